"""Composite ops: ``zeros`` and ``ones`` (Keras's constructors), and
``mean`` over dimensions known only when the graph runs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops


def test_zeros_and_ones_are_eager_constants_of_a_static_shape():
    np.testing.assert_array_equal(ops.zeros((2, 3)).numpy(), np.zeros((2, 3)))
    assert ops.zeros((2, 3)).dtype == "float32"
    np.testing.assert_array_equal(ops.ones(4, dtype="int32").numpy(), np.ones(4))
    assert ops.ones(4, dtype="int32").dtype == "int32"
    with pytest.raises(ValueError, match=r"shape must be static.*\(None, 3\)"):
        ops.zeros((None, 3))


def test_zeros_as_an_initial_state_inside_a_layer():
    class Accumulate(layers.Layer):
        def call(self, inputs):
            state = ops.zeros((inputs.shape[0], inputs.shape[2]))
            for t in range(inputs.shape[1]):
                state = state + inputs[:, t, :]
            return state

    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    np.testing.assert_allclose(Accumulate()(x).numpy(), x.sum(axis=1))
    inputs = kg.Input(batch_shape=(2, 4, 3))
    model = kg.Model(inputs, Accumulate()(inputs))
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), x.sum(1))


def test_mean_over_a_sequence_of_unknown_length_divides_by_its_length():
    # The batch dimension is the graph's batch size; another unknown
    # dimension (any sequence length) is counted from the data.
    inputs = kg.Input(shape=(None, 2))
    model = kg.Model(
        inputs,
        [
            layers.GlobalAveragePooling1D()(inputs),
            layers.Lambda(lambda x: ops.mean(x, axis=(1, 2)))(inputs),
            layers.Lambda(lambda x: x - ops.mean(x, axis=(0, 1), keepdims=True))(
                inputs
            ),
        ],
    )
    x = np.arange(3 * 5 * 2, dtype="float32").reshape(3, 5, 2)
    # Native loops need static shapes; the interpreter takes any length.
    model.compile(loss="mse", backend="numpy")
    pooled, rows, centered = model.predict(x, batch_size=3, verbose=0)
    np.testing.assert_allclose(pooled, x.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(rows, x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(centered, x - x.mean(axis=(0, 1)), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_its_gradient_stay_finite_far_from_zero(dtype):
    # 1 / (1 + exp(-x)) differentiates to 0 * inf below x = -88 (float32):
    # a binary classifier whose logits ran that far trained into NaN.
    from kgraph.backends import interpreter
    from kgraph.compiler.autodiff import gradients
    from kgraph.ir.graph import Graph

    values = np.array([-1e4, -200.0, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 200.0, 1e4])
    graph = Graph()
    x = ops.placeholder(graph, "x", values.shape, dtype)
    y = ops.sigmoid(x)
    (grad,) = gradients(graph, ops.sum(y).node_id, [x.node_id])
    graph.set_output("y", y.node_id)
    graph.set_output("g", grad)
    out = interpreter.run(graph, {"x": values.astype(dtype)})
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-values.astype("float64")))
    np.testing.assert_allclose(out["y"], exact, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(out["g"], exact * (1.0 - exact), rtol=1e-5, atol=1e-30)
    assert out["g"][5] == 0.25


def test_softplus_gradient_is_sigmoid_everywhere():
    from kgraph.backends import interpreter
    from kgraph.compiler.autodiff import gradients
    from kgraph.ir.graph import Graph

    values = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4])
    graph = Graph()
    x = ops.placeholder(graph, "x", values.shape, "float64")
    (grad,) = gradients(graph, ops.sum(ops.softplus(x)).node_id, [x.node_id])
    graph.set_output("g", grad)
    out = interpreter.run(graph, {"x": values})
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(out["g"], 1.0 / (1.0 + np.exp(-values)), atol=1e-300)
