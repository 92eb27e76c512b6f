"""Writes the preprocessing fixtures the loading tests compare against.

Run with Keras 3 installed (not a kgraph dependency)::

    KERAS_BACKEND=jax /tmp/peers/bin/python tools/keras_fixture_preprocessing.py

``keras_preprocessing.keras``: ``Rescaling(1/255)`` and a ``Normalization``
adapted on the rescaled training images in front of a small classifier,
built and seeded in Keras. ``keras_image_preprocessing.keras``: resizing,
cropping, upsampling and augmentation layers (identities at inference)
before a small head. Each ``.keras`` file has a ``.npz`` next to it holding
an input batch (``x``) and Keras's predictions for it (``y``).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"


def preprocessing_model(rng: np.random.Generator) -> keras.Model:
    """Rescaling and an adapted Normalization before Flatten and Dense."""
    images = rng.integers(0, 256, size=(64, 6, 6, 3)).astype("float32")
    rescale = keras.layers.Rescaling(1.0 / 255)
    normalize = keras.layers.Normalization(axis=-1)
    normalize.adapt(np.asarray(rescale(images)))
    inputs = keras.Input(shape=(6, 6, 3), name="pixels")
    x = rescale(inputs)
    x = normalize(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    outputs = keras.layers.Dense(3)(x)
    return keras.Model(inputs, outputs, name="keras_preprocessing")


def image_preprocessing_model() -> keras.Model:
    """Resizing, cropping, upsampling and inference-time augmentation."""
    inputs = keras.Input(shape=(10, 14, 3), name="image")
    x = keras.layers.RandomFlip("horizontal")(inputs)
    x = keras.layers.RandomRotation(0.1)(x)
    x = keras.layers.RandomZoom(0.1)(x)
    x = keras.layers.RandomContrast(0.2)(x)
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(x)
    x = keras.layers.Resizing(7, 9)(x)
    x = keras.layers.UpSampling2D((2, 2), interpolation="bilinear")(x)
    x = keras.layers.CenterCrop(12, 12)(x)
    x = keras.layers.Resizing(5, 5, interpolation="nearest")(x)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(2)(x)
    return keras.Model(inputs, outputs, name="keras_image_preprocessing")


def write(model: keras.Model, name: str, x: np.ndarray) -> None:
    """Saves the model and ``{x, y}`` with Keras's predictions."""
    y = model.predict(x, verbose=0)
    model.save(OUT / f"{name}.keras")
    np.savez(OUT / f"{name}.npz", x=x, y=y)
    print(f"wrote {name}: x {x.shape}, y {y.shape}")


def main() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = preprocessing_model(rng)
    x = rng.integers(0, 256, size=(5, 6, 6, 3)).astype("float32")
    write(model, "keras_preprocessing", x)
    keras.utils.set_random_seed(1)
    model = image_preprocessing_model()
    x = rng.uniform(0, 255, size=(3, 10, 14, 3)).astype("float32")
    write(model, "keras_image_preprocessing", x)


if __name__ == "__main__":
    main()
