"""Writes the convolution-family fixtures the loading tests compare against.

Run with Keras 3 installed (not a kgraph dependency)::

    KERAS_BACKEND=jax /tmp/peers/bin/python tools/keras_fixture_conv.py

Three small models built in Keras, their weights (biases included) set to
seeded random values so that every weight matters:

- ``keras_conv_2d.keras``: ZeroPadding2D, DepthwiseConv2D, a grouped
  Conv2D, SeparableConv2D, Conv2DTranspose, Cropping2D and
  AdaptiveAveragePooling2D;
- ``keras_conv_1d.keras``: ZeroPadding1D, DepthwiseConv1D, SeparableConv1D,
  Conv1DTranspose, Cropping1D, AdaptiveMaxPooling1D, GlobalMaxPooling1D;
- ``keras_conv_3d.keras``: ZeroPadding3D, Conv3D, Conv3DTranspose,
  Cropping3D, MaxPooling3D, AveragePooling3D, GlobalAveragePooling3D;
- ``keras_conv_lstm.keras``: two ConvLSTM2D (the first returning
  sequences) and a ConvLSTM1D over a reshaped sequence, then Dense.

Each ``.keras`` file has a ``.npz`` next to it holding an input batch
(``x``) and Keras's predictions for it (``y``).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"


def conv_2d() -> keras.Model:
    """The 2-D layers, channels last."""
    inputs = keras.Input(shape=(9, 9, 3), name="image")
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(inputs)
    x = layers.DepthwiseConv2D(
        3, strides=2, padding="same", depth_multiplier=2, activation="relu"
    )(x)
    x = layers.Conv2D(4, 3, padding="same", groups=2)(x)
    x = layers.SeparableConv2D(5, 2, depth_multiplier=2, activation="tanh")(x)
    x = layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1)(x)
    x = layers.Cropping2D(((1, 0), (0, 2)))(x)
    outputs = layers.AdaptiveAveragePooling2D((3, 2))(x)
    return keras.Model(inputs, outputs, name="keras_conv_2d")


def conv_1d() -> keras.Model:
    """The 1-D layers."""
    inputs = keras.Input(shape=(11, 3), name="sequence")
    x = layers.ZeroPadding1D((2, 1))(inputs)
    x = layers.DepthwiseConv1D(3, depth_multiplier=2, dilation_rate=2)(x)
    x = layers.SeparableConv1D(4, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv1DTranspose(3, 4, strides=3)(x)
    x = layers.Cropping1D((1, 2))(x)
    x = layers.AdaptiveMaxPooling1D(5)(x)
    outputs = layers.GlobalMaxPooling1D(keepdims=True)(x)
    return keras.Model(inputs, outputs, name="keras_conv_1d")


def conv_3d() -> keras.Model:
    """The 3-D layers."""
    inputs = keras.Input(shape=(5, 6, 4, 2), name="volume")
    x = layers.ZeroPadding3D(((1, 0), 1, (0, 2)))(inputs)
    x = layers.Conv3D(3, 2, strides=2, activation="relu")(x)
    x = layers.Conv3DTranspose(2, (2, 3, 2), strides=(2, 1, 2), padding="same")(x)
    x = layers.Cropping3D(((1, 0), (0, 1), 1))(x)
    x = layers.MaxPooling3D((2, 2, 1), padding="same")(x)
    x = layers.AveragePooling3D(1)(x)
    outputs = layers.GlobalAveragePooling3D()(x)
    return keras.Model(inputs, outputs, name="keras_conv_3d")


def conv_lstm() -> keras.Model:
    """The convolutional LSTMs."""
    inputs = keras.Input(shape=(4, 6, 6, 2), name="frames")
    x = layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
    x = layers.ConvLSTM2D(2, 2, strides=2, return_sequences=True, go_backwards=True)(x)
    x = layers.Reshape((4, 9, 2))(x)
    x = layers.ConvLSTM1D(2, 3)(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    return keras.Model(inputs, outputs, name="keras_conv_lstm")


def randomize(model: keras.Model, rng: np.random.Generator) -> None:
    """Sets every weight (biases too) to seeded random values."""
    model.set_weights(
        [
            rng.normal(scale=0.4, size=w.shape).astype("float32")
            for w in model.get_weights()
        ]
    )


def write(model: keras.Model, name: str, x: np.ndarray) -> None:
    """Saves the model and ``{x, y}`` with Keras's predictions."""
    y = model.predict(x, verbose=0)
    model.save(OUT / f"{name}.keras")
    np.savez(OUT / f"{name}.npz", x=x, y=y)
    print(f"wrote {name}: x {x.shape}, y {y.shape}")


def main() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    for build, shape in (
        (conv_2d, (3, 9, 9, 3)),
        (conv_1d, (3, 11, 3)),
        (conv_3d, (2, 5, 6, 4, 2)),
        (conv_lstm, (3, 4, 6, 6, 2)),
    ):
        model = build()
        randomize(model, rng)
        write(model, model.name, rng.normal(size=shape).astype("float32"))


if __name__ == "__main__":
    main()
