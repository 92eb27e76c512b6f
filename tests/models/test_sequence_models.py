"""Sequence models end to end: a GRU forecaster against Keras's formulas,
and convolutional models on sequences of unknown length, on both
backends."""

from __future__ import annotations

import numpy as np
import pytest
from keras_recurrent import gru_reference

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")


def _series(samples=48, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(steps + 1)[None, :] + rng.uniform(0, 6, size=(samples, 1))
    wave = np.sin(0.5 * t) + 0.05 * rng.normal(size=t.shape)
    return wave[:, :-1, None].astype("float32"), wave[:, -1:].astype("float32")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_gru_forecaster_trains_and_matches_keras(backend):
    x, y = _series()
    kg.utils.set_random_seed(4)
    gru = layers.GRU(8)
    head = layers.Dense(1)
    model = kg.Sequential([kg.Input((None, 1)), gru, head])
    model.compile(optimizer="adam", loss="mse", backend=backend)
    history = model.fit(x, y, epochs=12, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    weights = [w.astype("float64") for w in gru.get_weights()]
    kernel, bias = (w.astype("float64") for w in head.get_weights())
    _, (h,) = gru_reference(x.astype("float64"), *weights)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), h @ kernel + bias, rtol=1e-4, atol=1e-5
    )


def _conv_model(length):
    return kg.Sequential(
        [
            kg.Input((length, 4)),
            layers.Conv1D(6, 3, padding="same", activation="relu"),
            layers.Conv1D(6, 3, strides=2, padding="same"),
            layers.MaxPooling1D(2),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1),
        ]
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_convolutions_on_sequences_of_unknown_length(backend):
    """``padding="same"`` with strides, pooling and a global average over
    ``Input(shape=(None, 4))``: each length gets its own program, equal to
    the model built for that length."""
    kg.utils.set_random_seed(1)
    model = _conv_model(None)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    for length in (9, 16):
        x = np.random.default_rng(length).normal(size=(8, length, 4)).astype("float32")
        fixed = _conv_model(length)
        fixed.set_weights(model.get_weights())
        fixed.compile(optimizer="sgd", loss="mse", backend=backend)
        np.testing.assert_allclose(
            model.predict(x, verbose=0), fixed.predict(x, verbose=0), rtol=1e-6
        )
        y = np.ones((8, 1), "float32")
        first = model.fit(x, y, epochs=1, shuffle=False, verbose=0)
        second = fixed.fit(x, y, epochs=1, shuffle=False, verbose=0)
        np.testing.assert_allclose(
            first.history["loss"], second.history["loss"], rtol=1e-5
        )
        fixed.set_weights(model.get_weights())
