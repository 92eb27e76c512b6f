"""``dropout`` and ``recurrent_dropout`` of the recurrent layers, as Keras
applies them: inverted dropout in training only, the same units dropped at
every step of a call (a mask per gate with ``recurrent_dropout``)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")


def _identity_rnn(**kwargs):
    layer = layers.SimpleRNN(
        6,
        kernel_initializer="identity",
        recurrent_initializer="zeros",
        return_sequences=True,
        **kwargs,
    )
    layer(np.zeros((1, 1, 6), "float32"))
    return layer


def test_input_dropout_drops_the_same_units_at_every_step():
    layer = _identity_rnn(dropout=0.5, seed=3)
    x = np.ones((32, 5, 6), "float32")
    out = layer(x, training=True).numpy()
    # h_t = tanh(x_t * mask / (1 - rate)): 0 or tanh(2), the same every step.
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 5, axis=1), rtol=1e-6)
    values = np.unique(np.round(out, 5))
    np.testing.assert_allclose(values, [0.0, np.round(np.tanh(2.0), 5)])
    assert 0.3 < np.mean(out == 0.0) < 0.7
    np.testing.assert_allclose(
        layer(x, training=False).numpy(), np.tanh(np.ones((32, 5, 6))), rtol=1e-6
    )


def test_recurrent_dropout_drops_the_same_units_of_the_state_at_every_step():
    layer = layers.SimpleRNN(
        6,
        kernel_initializer="identity",
        recurrent_initializer="identity",
        return_sequences=True,
        recurrent_dropout=0.5,
    )
    x = np.ones((16, 4, 6), "float32")
    out = layer(x, training=True).numpy()
    # A kept unit sees 2 * h_prev, a dropped one nothing, at every step.
    kept = np.tanh(1.0 + 2.0 * np.tanh(1.0))
    second = out[:, 1]
    dropped = np.isclose(second, np.tanh(1.0), atol=1e-6)
    assert (dropped | np.isclose(second, kept, atol=1e-6)).all()
    for t in range(2, 4):
        np.testing.assert_array_equal(
            np.isclose(out[:, t], np.tanh(1.0), atol=1e-6), dropped
        )
    assert 0.2 < dropped.mean() < 0.8


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_dropout_trains_and_leaves_inference_alone(backend, kind):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    cls = getattr(layers, kind)
    dropped = cls(4, dropout=0.3, recurrent_dropout=0.3, seed=1)
    plain = cls(4)
    models = []
    for layer in (dropped, plain):
        model = kg.Sequential([kg.Input((6, 3)), layer, layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", backend=backend)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    np.testing.assert_allclose(
        models[0].predict(x, verbose=0), models[1].predict(x, verbose=0), rtol=1e-6
    )
    train_loss = models[0].evaluate(x, y, verbose=0)
    history = models[0].fit(x, y, epochs=6, batch_size=8, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < train_loss * 1.5
    # Training steps see the masks: the first epoch's loss is not the
    # dropout-free evaluation's.
    assert history.history["loss"][0] != pytest.approx(train_loss, rel=1e-6)


def test_dropout_round_trips_in_configs():
    layer = layers.GRU(3, dropout=0.25, recurrent_dropout=0.1, seed=5)
    copy = layers.GRU.from_config(layer.get_config())
    assert (copy.dropout, copy.recurrent_dropout, copy.seed) == (0.25, 0.1, 5)
