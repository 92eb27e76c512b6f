"""Cells and ``RNN(cell)``: kgraph's cells inside the generic layer, a
Keras-style custom cell (the keras.io "Working with RNNs" guide's), stacked
cells, initial states and configs, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")


class MinimalRNNCell(layers.Layer):
    """The keras.io guide's custom cell: ``h = x @ W + h_prev @ U``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            initializer="uniform",
            name="recurrent_kernel",
        )
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def _data(shape=(4, 5, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_custom_cell_runs_inside_the_loop_and_trains(backend):
    x = _data()
    kg.utils.set_random_seed(1)
    cell = MinimalRNNCell(2)
    model = kg.Sequential(
        [kg.Input((5, 3)), layers.RNN(cell, return_sequences=True), layers.Flatten()]
    )
    w, u = (v.numpy() for v in cell.weights)
    h = np.zeros((4, 2), "float32")
    expected = []
    for t in range(5):
        h = x[:, t] @ w + h @ u
        expected.append(h)
    expected = np.stack(expected, axis=1).reshape(4, -1)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)
    before = w.copy()
    model.fit(x, np.zeros((4, 10), "float32"), epochs=1, verbose=0)
    assert not np.allclose(cell.weights[0].numpy(), before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rnn_of_a_cell_equals_the_layer_of_that_cell(backend):
    x = _data()
    lstm = layers.LSTM(3, return_sequences=True)
    generic = layers.RNN(layers.LSTMCell(3), return_sequences=True)
    outputs = []
    for layer in (lstm, generic):
        model = kg.Sequential([kg.Input((5, 3)), layer])
        if layer is generic:
            generic.set_weights(lstm.get_weights())
        model.compile(loss="mse", backend=backend)
        outputs.append(model.predict(x, verbose=0))
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-6, atol=1e-7)


def test_stacked_cells_equal_stacked_layers():
    x = _data()
    stacked = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)], return_state=True)
    output, _, c1, h2 = stacked(x)
    assert stacked.cell.state_size == [4, 4, 3]
    first = layers.LSTM(4, return_sequences=True)
    second = layers.GRU(3)
    first(x)
    second(first(x))
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    np.testing.assert_allclose(output.numpy(), second(first(x)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(h2.numpy(), output.numpy())
    assert c1.shape == (4, 4)


def test_initial_state_starts_the_recurrence():
    x = _data()
    layer = layers.SimpleRNN(2, return_sequences=True)
    start = np.full((4, 2), 0.5, "float32")
    out = layer(x, initial_state=[start]).numpy()
    kernel, recurrent, bias = layer.get_weights()
    h = start
    for t in range(5):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        np.testing.assert_allclose(out[:, t], h, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"has 1 states; initial_state gives 2"):
        layer(x, initial_state=[start, start])


def test_cells_keep_keras_weight_paths_and_layer_attributes():
    lstm = layers.LSTM(3, name="encoder")
    lstm(_data())
    assert [w.path for w in lstm.weights] == [
        "encoder/lstm_cell/kernel",
        "encoder/lstm_cell/recurrent_kernel",
        "encoder/lstm_cell/bias",
    ]
    assert lstm.kernel is lstm.cell.kernel and lstm.units == 3
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = lstm.nope


def test_a_cell_called_directly_computes_one_step():
    cell = layers.GRUCell(2)
    x = _data((4, 3))
    h = np.zeros((4, 2), "float32")
    output, states = cell(x, [h])
    layer = layers.RNN(cell)
    np.testing.assert_allclose(
        layer(x[:, None, :]).numpy(), output.numpy(), rtol=1e-6, atol=1e-7
    )
    assert len(states) == 1


def test_configs_round_trip():
    generic = layers.RNN(
        [layers.SimpleRNNCell(3), layers.LSTMCell(2)], return_sequences=True
    )
    again = layers.RNN.from_config(generic.get_config())
    assert [type(c).__name__ for c in again.cell.cells] == [
        "SimpleRNNCell",
        "LSTMCell",
    ]
    assert again.return_sequences
    gru = layers.GRU(4, reset_after=False, go_backwards=True)
    copy = layers.GRU.from_config(gru.get_config())
    assert copy.reset_after is False and copy.go_backwards and copy.units == 4
    entry = layers.serialize(layers.LSTM(2))
    assert type(layers.deserialize(entry)).__name__ == "LSTM"


def test_a_model_with_a_generic_rnn_saves_and_loads(tmp_path):
    x = _data()
    model = kg.Sequential(
        [kg.Input((5, 3)), layers.RNN(layers.GRUCell(3)), layers.Dense(1)]
    )
    model.compile(loss="mse")
    path = tmp_path / "rnn.kgraph"
    model.save(path)
    loaded = kg.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_non_cells_are_refused():
    with pytest.raises(ValueError, match="needs a `call"):
        layers.RNN(object())
