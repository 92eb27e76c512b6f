"""The keras.io example "Convolutional autoencoder for image denoising", as
a kgraph program (``import kgraph as keras``).

Changed, and why: MNIST is replaced by generated 28x28 digits-like images
(bright strokes on black), 256 for training and 64 for testing (64 and 32
on the NumPy reference backend, which is slow on convolutions); the
example's 50 and 100 epochs at batch size 128 become 3 epochs at batch size
32, enough to see both trainings lower the loss.
"""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers
from kgraph.models import Model


def strokes(n: int, seed: int) -> np.ndarray:
    """Images of one to three bright bars, values in [0, 1]."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28, 1), "float32")
    for image in images:
        for _ in range(rng.integers(1, 4)):
            row, col = rng.integers(4, 20, size=2)
            if rng.uniform() < 0.5:
                image[row : row + 3, col : col + 8, 0] = 1.0
            else:
                image[row : row + 8, col : col + 3, 0] = 1.0
    return images


def noise(array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Adds random noise to each image in the supplied array."""
    noise_factor = 0.4
    noisy_array = array + noise_factor * rng.normal(
        loc=0.0, scale=1.0, size=array.shape
    )
    return np.clip(noisy_array, 0.0, 1.0).astype("float32")


def test_denoising_autoencoder(backend):
    rng = np.random.default_rng(0)
    sizes = (256, 64) if backend == "llvm" else (64, 32)
    train_data, test_data = strokes(sizes[0], 1), strokes(sizes[1], 2)
    noisy_train_data, noisy_test_data = noise(train_data, rng), noise(test_data, rng)

    input = layers.Input(shape=(28, 28, 1))
    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    # Decoder
    x = layers.Conv2DTranspose(
        32, (3, 3), strides=2, activation="relu", padding="same"
    )(x)
    x = layers.Conv2DTranspose(
        32, (3, 3), strides=2, activation="relu", padding="same"
    )(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

    autoencoder = Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    assert autoencoder.output.shape == (None, 28, 28, 1)

    first = autoencoder.fit(
        x=train_data,
        y=train_data,
        epochs=3,
        batch_size=32,
        shuffle=True,
        validation_data=(test_data, test_data),
        verbose=0,
    )
    assert first.history["loss"][-1] < first.history["loss"][0]

    second = autoencoder.fit(
        x=noisy_train_data,
        y=train_data,
        epochs=3,
        batch_size=32,
        shuffle=True,
        validation_data=(noisy_test_data, test_data),
        verbose=0,
    )
    assert second.history["loss"][-1] < second.history["loss"][0]
    predictions = autoencoder.predict(noisy_test_data, verbose=0)
    assert predictions.shape == test_data.shape
    assert np.all((predictions >= 0.0) & (predictions <= 1.0))
    if backend == "llvm":
        # Trained on 256 images: closer to the clean images than the noisy
        # input is.
        assert np.mean((predictions - test_data) ** 2) < np.mean(
            (noisy_test_data - test_data) ** 2
        )
    assert isinstance(keras.layers.Conv2DTranspose, type)
