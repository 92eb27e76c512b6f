"""Stateful recurrent layers, as Keras's: each batch starts from the final
states of the previous one (in fit, evaluate and predict) until
``reset_state``; the batch size is fixed."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")


def _models(kind, backend):
    stateful = getattr(layers, kind)(3, stateful=True, return_sequences=True)
    model = kg.Sequential([kg.Input(batch_shape=(4, 5, 2)), stateful])
    plain = getattr(layers, kind)(3, return_sequences=True)
    whole = kg.Sequential([kg.Input((10, 2)), plain])
    whole.set_weights(model.get_weights())
    for m in (model, whole):
        m.compile(optimizer="sgd", loss="mse", backend=backend)
    return model, whole, stateful


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_chunks_continue_where_the_last_batch_stopped(backend, kind):
    x = np.random.default_rng(0).normal(size=(4, 10, 2)).astype("float32")
    model, whole, layer = _models(kind, backend)
    first = model.predict(x[:, :5], batch_size=4, verbose=0)
    second = model.predict(x[:, 5:], batch_size=4, verbose=0)
    expected = whole.predict(x, verbose=0)
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), expected, rtol=1e-5, atol=1e-6
    )
    # The carried state is the last output (and the cell state).
    np.testing.assert_allclose(layer.states[0].numpy(), expected[:, -1], rtol=1e-5)
    layer.reset_state()
    assert not np.any(layer.states[0].numpy())
    np.testing.assert_allclose(
        model.predict(x[:, :5], batch_size=4, verbose=0), first, rtol=1e-6
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_carries_the_states_across_batches(backend):
    x = np.random.default_rng(1).normal(size=(8, 5, 2)).astype("float32")
    model, _, layer = _models("LSTM", backend)
    model.fit(x, np.zeros((8, 5, 3), "float32"), batch_size=4, shuffle=False, verbose=0)
    assert np.any(layer.states[0].numpy()) and np.any(layer.states[1].numpy())


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match="batch size must be static"):
        kg.Sequential([kg.Input((5, 2)), layers.LSTM(3, stateful=True)])
    layer = layers.GRU(2, stateful=True, name="g")
    layer(np.zeros((4, 5, 2), "float32"))
    with pytest.raises(
        ValueError, match=r"Expected batch size: 4\n- Received batch size: 3"
    ):
        layer(np.zeros((3, 5, 2), "float32"))
