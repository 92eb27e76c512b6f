"""Activations: Keras 3's formulas, eager against graph, gradients, lookup."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph
from kgraph import activations
from kgraph import dtypes
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients

X = np.array(
    [-100.0, -10.0, -6.0, -3.0, -1.5, -0.5, 0.0, 0.5, 1.5, 3.0, 6.0, 10.0, 100.0],
    dtype="float32",
)
XD = X.astype("float64")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def np_erf(x):
    return np.array([math.erf(v) for v in np.ravel(x)]).reshape(np.shape(x))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_relu6(x):
    return np.minimum(np.maximum(x, 0), 6)


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": np_sigmoid,
    "tanh": np.tanh,
    "linear": lambda x: x,
    "elu": np_elu,
    "selu": lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA),
    "gelu": lambda x: 0.5 * x * (1 + np_erf(x / np.sqrt(2))),
    "silu": lambda x: x * np_sigmoid(x),
    "swish": lambda x: x * np_sigmoid(x),
    "softplus": np_softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "exponential": np.exp,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": np_relu6,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -np_softplus(-x),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "celu": lambda x: np.where(x >= 0, x, np.expm1(np.minimum(x, 0))),
    "mish": lambda x: x * np.tanh(np_softplus(x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_elementwise_activations_match_numpy(name):
    fn = activations.get(name)
    expected = REFERENCES[name](XD)
    if name == "exponential":
        inputs = X[np.abs(X) < 50]
        expected = np.exp(inputs.astype("float64"))
    else:
        inputs = X
    result = np.asarray(fn(inputs))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=2e-6, atol=1e-6)
    assert np.isfinite(result).all()


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_eager_and_graph_agree(name):
    fn = activations.get(name)
    inputs = X[np.abs(X) < 50] if name == "exponential" else X
    graph = kgraph.Graph()
    x = ops.placeholder(graph, "x", (None,))
    out = fn(x)
    if out is x:  # linear returns its input
        out = ops.add(x, 0.0)
    graph.set_output("y", out.node_id)
    result = interpreter.run(graph, {"x": inputs})["y"]
    np.testing.assert_allclose(result, np.asarray(fn(inputs)), rtol=1e-6, atol=1e-7)


def test_hand_computed_values():
    np.testing.assert_allclose(activations.relu6(np.float32([7.0])).numpy(), [6.0])
    np.testing.assert_allclose(activations.hard_sigmoid(np.float32([1.5])), [0.75])
    np.testing.assert_allclose(activations.softsign(np.float32([3.0])), [0.75])
    np.testing.assert_allclose(activations.leaky_relu(np.float32([-2.0])), [-0.4])
    np.testing.assert_allclose(
        activations.leaky_relu(np.float32([-2.0]), negative_slope=0.5), [-1.0]
    )
    np.testing.assert_allclose(
        activations.elu(np.float32([-1.0]), alpha=2.0),
        [2 * (np.exp(-1) - 1)],
        rtol=1e-6,
    )
    # gelu(1) = Phi(1) = 0.841344746...
    np.testing.assert_allclose(
        activations.gelu(np.float32([1.0])), [0.8413447461], rtol=1e-6
    )


def test_gelu_exact_is_accurate_over_a_wide_range():
    x = np.linspace(-12.0, 12.0, 4801).astype("float32")
    exact = (
        0.5
        * x.astype("float64")
        * np.array([math.erfc(-v / math.sqrt(2.0)) for v in x.astype("float64")])
    )
    result = activations.gelu(x).numpy()
    np.testing.assert_allclose(result, exact, rtol=1e-5, atol=5e-7)
    # Far in the negative tail the value is tiny but relatively accurate.
    tail = activations.gelu(np.float32([-8.0])).numpy()[0]
    np.testing.assert_allclose(
        tail, -8.0 * 0.5 * math.erfc(8.0 / math.sqrt(2)), rtol=1e-4
    )


def test_gelu_approximate_is_the_tanh_form():
    c = np.sqrt(2 / np.pi)
    expected = 0.5 * XD * (1 + np.tanh(c * (XD + 0.044715 * XD**3)))
    result = activations.gelu(X, approximate=True).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_softmax_and_log_softmax():
    x = np.float32([[1.0, 2.0, 3.0], [-100.0, 0.0, 100.0]])
    expected = np.exp(x - x.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(activations.softmax(x).numpy(), expected, rtol=1e-6)
    shifted = x.astype("float64") - x.max(-1, keepdims=True)
    log_expected = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    np.testing.assert_allclose(
        activations.log_softmax(x).numpy(), log_expected, rtol=1e-6, atol=1e-6
    )
    along_0 = activations.softmax(x, axis=0).numpy()
    np.testing.assert_allclose(along_0.sum(axis=0), [1.0, 1.0, 1.0], rtol=1e-6)


def test_relu_variants_follow_keras():
    x = np.float32([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(activations.relu(x), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10]
    )
    np.testing.assert_allclose(activations.relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(activations.relu(x, threshold=5.0), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.1, threshold=1.0, max_value=8.0),
        [-1.1, -0.6, -0.1, 5, 8],
        rtol=1e-6,
    )


def _derivative(fn, x):
    graph = kgraph.Graph()
    node = ops.placeholder(graph, "x", x.shape)
    y = ops.sum(fn(node))
    (grad,) = gradients(graph, y.node_id, [node.node_id])
    graph.set_output("g", grad)
    return interpreter.run(graph, {"x": x})["g"]


def test_gradients_at_the_kinks_follow_tensorflow():
    x = np.float32([-1.0, 0.0, 3.0, 6.0, 7.0])
    np.testing.assert_allclose(_derivative(activations.relu, x), [0, 0, 1, 1, 1])
    np.testing.assert_allclose(_derivative(activations.relu6, x), [0, 0, 1, 0, 0])


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "softplus", "selu", "elu"])
def test_smooth_gradients_match_finite_differences(name):
    fn = activations.get(name)
    x = np.float32([-3.0, -0.7, 0.3, 2.0])
    grad = _derivative(fn, x)
    h = 1e-5
    numeric = (
        REFERENCES[name](x.astype("float64") + h)
        - REFERENCES[name](x.astype("float64") - h)
    ) / (2 * h)
    # A float32 gradient against float64 differences (error near 1e-10):
    # float32's own rounding, a few ulps.
    rtol, atol = dtypes.TOLERANCES["float32"]
    np.testing.assert_allclose(grad, numeric, rtol=rtol, atol=atol)


def test_ints_become_float32():
    assert activations.sigmoid(np.array([0, 1])).dtype == "float32"
    assert activations.relu([1, -1]).dtype == "float32"


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(np.tanh) is np.tanh
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize("gelu") is activations.gelu
    assert (
        activations.get({"class_name": "function", "config": "tanh"})
        is activations.tanh
    )


def test_get_unknown_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"relu, relu6, selu.*Received: activation='rellu'$"
    ):
        activations.get("rellu")
    with pytest.raises(ValueError, match=r"Received: activation=5$"):
        activations.get(5)


def test_serialize_rejects_unknown_functions():
    with pytest.raises(ValueError, match="Received: activation="):
        activations.serialize(lambda x: x)
