"""SimpleRNN, LSTM and GRU: the standard layer checks, Keras's recurrences
transcribed in NumPy, backpropagation through time and the errors."""

import numpy as np
import pytest
from keras_recurrent import gru_reference
from keras_recurrent import lstm_reference
from keras_recurrent import simple_rnn_reference

import kgraph as kg
from kgraph import layers
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops.builder import variable_node
from kgraph.ops.verify import verify_graph
from kgraph.testing import numerics
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


# -- Keras's recurrences, transcribed in NumPy: tests/keras_recurrent.py -------------


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.weights
    ]


# -- run_layer_test --------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer_cls", "kwargs", "output_shape"),
    [
        (layers.SimpleRNN, {"units": 3}, (2, 3)),
        (layers.LSTM, {"units": 3, "return_sequences": True}, (2, 4, 3)),
        (layers.GRU, {"units": 3, "go_backwards": True}, (2, 3)),
    ],
)
def test_run_layer_test(layer_cls, kwargs, output_shape):
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape=(2, 4, 5),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3,
        backends=BACKENDS,
    )


@pytest.mark.parametrize(
    ("layer_cls", "kwargs", "output_shape"),
    [
        (layers.SimpleRNN, {"units": 2, "return_sequences": True}, (2, 3, 2)),
        (layers.LSTM, {"units": 2, "go_backwards": True}, (2, 2)),
        (
            layers.GRU,
            {"units": 2, "return_sequences": True, "reset_after": False},
            (2, 3, 2),
        ),
        (layers.LSTM, {"units": 2, "use_bias": False}, (2, 2)),
    ],
)
def test_run_layer_test_interpreter_variants(layer_cls, kwargs, output_shape):
    expected_weights = 2 if kwargs.get("use_bias") is False else 3
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape=(2, 3, 4),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=expected_weights,
        backends=("numpy",),
    )


# -- weights ---------------------------------------------------------------------


def test_weight_names_shapes_and_order_are_keras():
    x = np.zeros((1, 2, 5), "float32")
    lstm, gru, gru_before, rnn = (
        layers.LSTM(3),
        layers.GRU(3),
        layers.GRU(3, reset_after=False),
        layers.SimpleRNN(3),
    )
    for layer in (lstm, gru, gru_before, rnn):
        layer(x)
    assert [(w.name, w.shape) for w in lstm.weights] == [
        ("kernel", (5, 12)),
        ("recurrent_kernel", (3, 12)),
        ("bias", (12,)),
    ]
    assert [w.shape for w in gru.weights] == [(5, 9), (3, 9), (2, 9)]
    assert [w.shape for w in gru_before.weights] == [(5, 9), (3, 9), (9,)]
    assert [w.shape for w in rnn.weights] == [(5, 3), (3, 3), (3,)]
    # unit_forget_bias: ones for the forget gate, zeros elsewhere.
    np.testing.assert_array_equal(lstm.bias.numpy(), [0] * 3 + [1] * 3 + [0] * 6)
    no_forget = layers.LSTM(3, unit_forget_bias=False)
    no_forget(x)
    np.testing.assert_array_equal(no_forget.bias.numpy(), np.zeros(12))
    # Orthogonal recurrent kernel by default.
    u = rnn.recurrent_kernel.numpy()
    np.testing.assert_allclose(u @ u.T, np.eye(3), atol=1e-5)


# -- outputs against NumPy -------------------------------------------------------


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_matches_keras_recurrence(go_backwards):
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    layer = layers.LSTM(
        3, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    layer(x)
    weights = _random_weights(layer, 1)
    layer.set_weights(weights)
    sequence, h, c = (np.asarray(t) for t in layer(x))
    ref_seq, (ref_h, ref_c) = lstm_reference(x.astype(float), *weights, go_backwards)
    np.testing.assert_allclose(sequence, ref_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, ref_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, ref_c, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_keras_recurrence(reset_after):
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    layer = layers.GRU(3, return_sequences=True, reset_after=reset_after)
    layer(x)
    weights = _random_weights(layer, 2)
    layer.set_weights(weights)
    ref_seq, _ = gru_reference(x.astype(float), *weights, reset_after=reset_after)
    np.testing.assert_allclose(np.asarray(layer(x)), ref_seq, rtol=1e-5, atol=1e-6)


def test_simple_rnn_matches_keras_recurrence():
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    layer = layers.SimpleRNN(3, go_backwards=True)
    layer(x)
    weights = _random_weights(layer, 3)
    layer.set_weights(weights)
    _, (ref_h,) = simple_rnn_reference(x.astype(float), *weights, go_backwards=True)
    np.testing.assert_allclose(np.asarray(layer(x)), ref_h, rtol=1e-5, atol=1e-6)


def test_return_state_in_a_compiled_model_on_both_backends():
    x = np.random.default_rng(4).normal(size=(4, 3, 2)).astype("float32")
    inputs = kg.Input(shape=(3, 2))
    lstm = layers.LSTM(2, return_sequences=True, return_state=True)
    sequence, h, c = lstm(inputs)
    model = kg.Model(inputs, [sequence, h, c])
    weights = _random_weights(lstm, 5)
    lstm.set_weights(weights)
    ref_seq, (ref_h, ref_c) = lstm_reference(x.astype(float), *weights)
    for backend in BACKENDS:
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        out_seq, out_h, out_c = model.predict(x, verbose=0)
        np.testing.assert_allclose(out_seq, ref_seq, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out_h, ref_h, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out_c, ref_c, rtol=1e-5, atol=1e-6)


def test_gru_return_state_shapes():
    inputs = kg.Input(shape=(3, 2))
    outputs = layers.GRU(4, return_state=True)(inputs)
    assert [tuple(t.shape) for t in outputs] == [(None, 4), (None, 4)]
    assert layers.LSTM(4, return_state=True).compute_output_shape((None, 3, 2)) == [
        (None, 4),
        (None, 4),
        (None, 4),
    ]


# -- backpropagation through time --------------------------------------------------


def test_lstm_kernel_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    layer = layers.LSTM(2, return_sequences=True, dtype="float64")
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 3, 2), "float64")
    weights_out = ops.placeholder(graph, "w_out", (2, 3, 2), "float64")
    loss = ops.sum(ops.multiply(layer(x), weights_out))
    kernel_id = variable_node(graph, layer.kernel)
    (grad,) = gradients(graph, loss.node_id, [kernel_id])
    graph.set_output("loss", loss.node_id)
    graph.set_output("grad", grad)
    verify_graph(graph)
    names = [w.path for w in layer.weights]
    values = [rng.normal(scale=0.7, size=w.shape) for w in layer.weights]
    feeds = {
        "x": rng.normal(size=(2, 3, 2)),
        "w_out": rng.normal(size=(2, 3, 2)),
        **dict(zip(names, values, strict=True)),
    }

    def loss_of(arrays):
        return float(
            interpreter.run(
                graph, {**feeds, **dict(zip(names, arrays, strict=True))}, ["loss"]
            )["loss"]
        )

    analytic = interpreter.run(graph, feeds, ["grad"])["grad"]
    numeric = numerics.numeric_gradient(loss_of, values, 0)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # The forward pass is Keras's recurrence.
    ref_seq, _ = lstm_reference(feeds["x"], *values)
    np.testing.assert_allclose(loss_of(values), np.sum(ref_seq * feeds["w_out"]))


# -- errors ------------------------------------------------------------------------


def test_an_unrolled_layer_needs_the_number_of_time_steps():
    with pytest.raises(ValueError, match=r'"my_lstm" \(LSTM\) with unroll=True.*time'):
        layers.LSTM(2, unroll=True, name="my_lstm")(kg.Input(shape=(None, 3)))


def test_wrong_rank_is_an_error():
    with pytest.raises(ValueError, match=r'"my_gru" \(GRU\) expects inputs of rank 3'):
        layers.GRU(2, name="my_gru")(kg.Input(shape=(3,)))


@pytest.mark.parametrize("arg", ["dropout", "recurrent_dropout"])
def test_dropout_rates_are_checked(arg):
    with pytest.raises(ValueError, match=rf"SimpleRNNCell: `{arg}` must be in"):
        layers.SimpleRNN(2, **{arg: 1.0})


def test_invalid_units():
    with pytest.raises(ValueError, match=r"positive integer.*units=0"):
        layers.LSTM(0)
