"""Writes the transformer-encoder fixture the loading tests compare against.

Run with Keras 3 installed (not a kgraph dependency)::

    KERAS_BACKEND=jax /tmp/peers/bin/python tools/keras_fixture_transformer.py

``keras_transformer.keras``: a small seeded classifier of token sequences:
token and position ``Embedding``s (the tokens' with ``mask_zero=True``, so
padding is masked) added, one encoder block (``MultiHeadAttention`` with a
residual and ``LayerNormalization``, a ``Dense`` feed-forward with a
residual and ``LayerNormalization``), ``GlobalAveragePooling1D`` and a
softmax ``Dense``; trained for a few steps so no weight is at its initial
value. ``keras_transformer.npz`` holds an input batch (``tokens``,
``positions``) and Keras's predictions for it (``y``).

``keras_layers_misc.keras`` chains the other layers of that family
(``SpectralNormalization``, ``GroupNormalization``, ``PReLU``, ``ELU``,
``RepeatVector``, ``Permute``, the noise layers, ``RMSNormalization``,
``UnitNormalization``, ``Attention``, ``AdditiveAttention``,
``GroupQueryAttention``, ``EinsumDense``), trained a few steps;
``keras_layers_misc.npz`` holds ``x`` and Keras's predictions ``y``.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"
VOCAB, LENGTH, WIDTH, CLASSES = 40, 8, 16, 3


def transformer_model() -> keras.Model:
    """Embedding + positions, one encoder block, pooling, a classifier."""
    tokens = keras.Input(shape=(LENGTH,), dtype="int32", name="tokens")
    positions = keras.Input(shape=(LENGTH,), dtype="int32", name="positions")
    x = keras.layers.Embedding(VOCAB, WIDTH, mask_zero=True)(tokens)
    p = keras.layers.Embedding(LENGTH, WIDTH)(positions)
    x = keras.layers.Add()([x, p])
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8, name="mha")(
        x, x
    )
    x = keras.layers.LayerNormalization(epsilon=1e-6)(
        keras.layers.Add()([x, attention])
    )
    hidden = keras.layers.Dense(32, activation="relu")(x)
    hidden = keras.layers.Dropout(0.1)(hidden)
    hidden = keras.layers.Dense(WIDTH)(hidden)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, hidden]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(x)
    return keras.Model([tokens, positions], outputs, name="keras_transformer")


def batch(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences padded with 0 at the end (lengths 3 to 8) and their
    positions."""
    tokens = rng.integers(1, VOCAB, size=(count, LENGTH)).astype("int32")
    lengths = rng.integers(3, LENGTH + 1, size=count)
    tokens[np.arange(LENGTH)[None, :] >= lengths[:, None]] = 0
    positions = np.tile(np.arange(LENGTH, dtype="int32"), (count, 1))
    return tokens, positions


def misc_model() -> keras.Model:
    """The other attention, normalization, activation, noise and reshaping
    layers, one after another."""
    L = keras.layers
    inputs = keras.Input(shape=(6,), name="features")
    x = L.SpectralNormalization(L.Dense(4), power_iterations=2)(inputs)
    x = L.GroupNormalization(groups=2)(x)
    x = L.PReLU()(x)
    x = L.RepeatVector(3)(x)
    x = L.Permute((2, 1))(x)
    x = L.SpatialDropout1D(0.2)(x)
    x = L.GaussianNoise(0.1)(x)
    x = L.GaussianDropout(0.1)(x)
    x = L.AlphaDropout(0.1)(x)
    x = L.ActivityRegularization(l2=0.001)(x)
    x = L.RMSNormalization()(x)
    x = L.ELU(alpha=0.5)(x)
    q = L.Attention(use_scale=True, score_mode="concat")([x, x])
    q = L.AdditiveAttention()([q, x])
    q = L.UnitNormalization()(q)
    q = L.GroupQueryAttention(2, num_query_heads=2, num_key_value_heads=1)(q, x)
    q = L.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d")(q)
    outputs = L.Flatten()(q)
    return keras.Model(inputs, outputs, name="keras_layers_misc")


def main() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = transformer_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    tokens, positions = batch(rng, 64)
    labels = (tokens[:, 0] % CLASSES).astype("int32")
    model.fit([tokens, positions], labels, epochs=3, batch_size=16, verbose=0)
    tokens, positions = batch(rng, 6)
    y = model.predict([tokens, positions], verbose=0)
    model.save(OUT / "keras_transformer.keras")
    np.savez(OUT / "keras_transformer.npz", tokens=tokens, positions=positions, y=y)
    print(f"wrote keras_transformer: tokens {tokens.shape}, y {y.shape}")
    keras.utils.set_random_seed(1)
    model = misc_model()
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(32, 6)).astype("float32")
    model.fit(x, rng.normal(size=(32, 8)), epochs=2, batch_size=8, verbose=0)
    x = rng.normal(size=(4, 6)).astype("float32")
    y = model.predict(x, verbose=0)
    model.save(OUT / "keras_layers_misc.keras")
    np.savez(OUT / "keras_layers_misc.npz", x=x, y=y)
    print(f"wrote keras_layers_misc: x {x.shape}, y {y.shape}")


if __name__ == "__main__":
    main()
