"""The keras.io example "Image segmentation with a U-Net-like
architecture", as a kgraph program (``import kgraph as keras``).

Changed, and why: the Oxford-IIIT Pets images and trimaps are replaced by
generated 32x32 images of a bright disc on a noisy background, whose
three-class masks (background, disc, its rim) the network learns; the
model keeps the example's structure (separable-convolution encoder with
residual projections, transposed-convolution decoder with ``UpSampling2D``)
with a quarter of its filters, and trains for 2 epochs instead of 50.
"""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers


def discs(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images in [0, 1] and integer masks of shape ``(size, size, 1)``."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    images = rng.uniform(0.0, 0.3, (n, size, size, 3)).astype("float32")
    masks = np.zeros((n, size, size, 1), "uint8")
    for image, mask in zip(images, masks, strict=True):
        centre = rng.uniform(8, size - 8, size=2)
        radius = rng.uniform(4, 7)
        distance = np.hypot(rows - centre[0], cols - centre[1])
        mask[distance <= radius + 1.5, 0] = 2
        mask[distance <= radius, 0] = 1
        image[distance <= radius] += rng.uniform(0.5, 0.7, size=3)
    return np.clip(images, 0.0, 1.0), masks


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=(*img_size, 3))

    ### [First half of the network: downsampling inputs] ###

    # Entry block
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    # Blocks 1, 2, 3 are identical apart from the feature depth.
    for filters in [16, 32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    ### [Second half of the network: upsampling inputs] ###

    for filters in [64, 32, 16, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.UpSampling2D(2)(x)

        # Project residual
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    # Add a per-pixel classification layer
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)

    # Define the model
    model = keras.Model(inputs, outputs)
    return model


def test_unet_segmentation(backend):
    img_size, num_classes = (32, 32), 3
    n = 96 if backend == "llvm" else 24
    train_images, train_masks = discs(n, img_size[0], seed=0)
    val_images, val_masks = discs(16, img_size[0], seed=1)

    model = get_model(img_size, num_classes)
    assert model.output.shape == (None, 32, 32, 3)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"
    )
    history = model.fit(
        train_images,
        train_masks,
        epochs=2,
        batch_size=8,
        validation_data=(val_images, val_masks),
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    val_preds = model.predict(val_images, verbose=0)
    assert val_preds.shape == (16, 32, 32, 3)
    np.testing.assert_allclose(val_preds.sum(axis=-1), 1.0, rtol=1e-5)
    mask = np.argmax(val_preds, axis=-1)
    assert mask.shape == (16, 32, 32)
