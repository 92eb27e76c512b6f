"""The keras.io example "Image classification from scratch", as a kgraph
program (``import kgraph as keras``).

Changed, and why: the Cats vs Dogs JPEG files are replaced by generated
32x32 RGB images of two classes (a bright horizontal or vertical bar on
noise, values in [0, 255]); the augmentation layers sit inside the model
(the example's first option, "make it part of the model"), since kgraph has
no tf.data pipeline; the small Xception keeps its structure with an eighth
of its filters and trains for 2 epochs instead of 25. Augmentation runs in
training only, so ``predict`` sees the images as they are.
"""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers


def bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images with values in [0, 255] and 0/1 labels (vertical bar = 1)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 80, (n, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 2, size=n)
    for image, label in zip(images, labels, strict=True):
        at = rng.integers(6, 22)
        if label:
            image[4:28, at : at + 4] += 170
        else:
            image[at : at + 4, 4:28] += 170
    return images, labels.astype("float32")


data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64, 91]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def test_image_classification_from_scratch(backend):
    n = 128 if backend == "llvm" else 32
    train_images, train_labels = bars(n, seed=0)
    val_images, val_labels = bars(32, seed=1)

    model = make_model(input_shape=(32, 32, 3), num_classes=2)
    assert any(isinstance(layer, layers.SeparableConv2D) for layer in model.layers)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    history = model.fit(
        train_images,
        train_labels,
        epochs=2,
        batch_size=16,
        validation_data=(val_images, val_labels),
        verbose=0,
    )
    if backend == "llvm":
        # 128 images: enough steps to see the loss fall (the NumPy
        # reference trains on 32, two steps an epoch, only to run).
        assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["loss"]).all()
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}

    # Run inference on one image: augmentation is off, so two calls agree.
    img_array = val_images[:1]
    predictions = model.predict(img_array, verbose=0)
    np.testing.assert_array_equal(predictions, model.predict(img_array, verbose=0))
    score = float(keras.ops.sigmoid(predictions[0][0]))
    assert 0.0 <= score <= 1.0
