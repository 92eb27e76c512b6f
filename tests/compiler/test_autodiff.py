"""Reverse-mode autodiff: known gradients, fan-out, broadcasting, second order."""

import numpy as np
import pytest

from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops.verify import verify_graph
from kgraph.testing import numerics


def _run(graph, outputs, feeds):
    for name, node_id in outputs.items():
        graph.set_output(name, node_id)
    verify_graph(graph)
    return interpreter.run(graph, feeds)


def test_mlp_gradients_match_the_hand_derivation():
    graph = Graph()
    x = ops.placeholder(graph, "x", (4, 3), "float64")
    w = ops.placeholder(graph, "w", (3, 2), "float64", role="parameter")
    b = ops.placeholder(graph, "b", (2,), "float64", role="parameter")
    hidden = ops.tanh(ops.matmul(x, w) + b)
    loss = ops.mean(ops.square(hidden))
    grad_w, grad_b = gradients(graph, loss.node_id, [w.node_id, b.node_id])
    rng = np.random.default_rng(1)
    feeds = {
        "x": rng.normal(size=(4, 3)),
        "w": rng.normal(size=(3, 2)),
        "b": rng.normal(size=2),
    }
    out = _run(graph, {"gw": grad_w, "gb": grad_b}, feeds)
    t = np.tanh(feeds["x"] @ feeds["w"] + feeds["b"])
    upstream = 2 * t / t.size * (1 - t**2)
    np.testing.assert_allclose(out["gw"], feeds["x"].T @ upstream, rtol=1e-12)
    np.testing.assert_allclose(out["gb"], upstream.sum(axis=0), rtol=1e-12)


def test_fan_out_accumulates():
    graph = Graph()
    x = ops.placeholder(graph, "x", (), "float64")
    loss = x * x + ops.exp(x) * x
    (grad,) = gradients(graph, loss.node_id, [x.node_id])
    out = _run(graph, {"g": grad}, {"x": 0.7})
    assert np.isclose(out["g"], 2 * 0.7 + np.exp(0.7) * (1 + 0.7))


def test_second_derivative():
    graph = Graph()
    x = ops.placeholder(graph, "x", (), "float64")
    y = ops.tanh(x) * x
    (first,) = gradients(graph, y.node_id, [x.node_id])
    (second,) = gradients(graph, first, [x.node_id])
    out = _run(graph, {"d1": first, "d2": second}, {"x": 0.3})

    def f(p):
        return float(np.tanh(p[0]) * p[0])

    d1 = numerics.numeric_gradient(f, [np.array(0.3)], 0)
    assert np.isclose(out["d1"], d1, rtol=1e-8)
    t = np.tanh(0.3)
    expected = 2 * (1 - t**2) - 2 * 0.3 * t * (1 - t**2)
    assert np.isclose(out["d2"], expected, rtol=1e-10)


def test_broadcast_operands_get_reduced_gradients():
    graph = Graph()
    x = ops.placeholder(graph, "x", (3, 1, 4), "float64")
    y = ops.placeholder(graph, "y", (2, 1), "float64")
    loss = ops.sum((x * y) ** 2.0)
    gx, gy = gradients(graph, loss.node_id, [x.node_id, y.node_id])
    rng = np.random.default_rng(2)
    feeds = {"x": rng.normal(size=(3, 1, 4)), "y": rng.normal(size=(2, 1))}
    out = _run(graph, {"gx": gx, "gy": gy}, feeds)
    prod = feeds["x"] * feeds["y"]
    np.testing.assert_allclose(
        out["gx"], (2 * prod * feeds["y"]).sum(axis=1, keepdims=True)
    )
    np.testing.assert_allclose(
        out["gy"], (2 * prod * feeds["x"]).sum(axis=0).sum(axis=-1, keepdims=True)
    )


def test_unreachable_gives_zeros_and_integer_paths_stop():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,), "float64")
    unused = ops.placeholder(graph, "u", (3,), "float64")
    picked = ops.take(x, ops.argmax(x, axis=0))
    loss = picked * 2.0
    gx, gu = gradients(graph, loss.node_id, [x.node_id, unused.node_id])
    out = _run(graph, {"gx": gx, "gu": gu}, {"x": [1.0, 5.0], "u": [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(out["gx"], [0.0, 2.0])
    np.testing.assert_array_equal(out["gu"], np.zeros(3))


def test_stop_gradient_blocks():
    graph = Graph()
    x = ops.placeholder(graph, "x", (), "float64")
    loss = ops.stop_gradient(x) * x
    (grad,) = gradients(graph, loss.node_id, [x.node_id])
    assert _run(graph, {"g": grad}, {"x": 3.0})["g"] == 3.0


def test_target_must_be_a_float_scalar():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    with pytest.raises(errors.ShapeError, match="must be a float scalar"):
        gradients(graph, ops.exp(x).node_id, [x.node_id])
