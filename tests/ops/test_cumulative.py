"""``cumsum``, ``cumprod`` and ``prod``: NumPy's results eagerly and in a
model on both backends, and ``prod``'s gradient with zeros."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops import sources

BACKENDS = ("numpy", "llvm")


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


def test_cumsum_and_cumprod_match_numpy():
    x = np.arange(1, 25, dtype="float32").reshape(2, 3, 4) / 10
    for axis in (None, 0, 1, -1):
        np.testing.assert_allclose(ops.cumsum(x, axis).numpy(), np.cumsum(x, axis))
        np.testing.assert_allclose(
            ops.cumprod(x, axis).numpy(), np.cumprod(x, axis), rtol=1e-6
        )
    assert ops.cumsum([True, True, False]).numpy().tolist() == [1, 2, 2]
    assert ops.cumsum([1, 2], dtype="float32").dtype == "float32"


@pytest.mark.parametrize("backend", BACKENDS)
def test_running_ops_and_prod_in_a_model(backend):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (4, 3, 5)).astype("float32")
    result = _predict(
        lambda t: ops.concatenate(
            [
                ops.cumsum(t, axis=1),
                ops.cumprod(t, axis=-1)[:, :, :3],
                ops.prod(t, axis=2, keepdims=True),
            ],
            axis=-1,
        ),
        x,
        backend,
    )
    expected = np.concatenate(
        [np.cumsum(x, 1), np.cumprod(x, -1)[:, :, :3], np.prod(x, 2, keepdims=True)],
        axis=-1,
    )
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_prod_matches_numpy_over_any_axes():
    x = np.arange(1, 25, dtype="float32").reshape(2, 3, 4) / 7
    for axis in (None, 0, (0, 2), -1):
        np.testing.assert_allclose(
            ops.prod(x, axis=axis).numpy(), np.prod(x, axis=axis), rtol=1e-6
        )
    assert ops.prod(np.array([2, 3], "int32")).numpy() == 6


@pytest.mark.parametrize("axis", [None, (1,), (0, 2)])
def test_prod_gradient_is_exact_with_zeros(axis):
    x = np.array(
        [[[0.0, 2.0], [3.0, 0.0], [1.5, 2.0]], [[1.0, 2.0], [0.0, 4.0], [2.0, 0.5]]]
    )
    graph = Graph(name="prod")
    node = sources.placeholder(graph, "x", x.shape, "float64")
    total = ops.sum(ops.prod(node, axis=axis))
    (grad,) = gradients(graph, total.node_id, [node.node_id])
    graph.set_output("g", grad)
    result = interpreter.run(graph, {"x": x})["g"]
    axes = tuple(range(3)) if axis is None else axis
    expected = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        others = x.copy()
        others[index] = 1.0
        block = tuple(
            slice(None) if a in axes else slice(i, i + 1) for a, i in enumerate(index)
        )
        expected[index] = np.prod(others[block])
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_cumsum_trains_on_both_backends_alike():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 4)).astype("float32")
    weights = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(4,))
        hidden = layers.Dense(4, kernel_initializer="ones")(inputs)
        out = layers.Lambda(
            lambda t: ops.cumsum(t, axis=1) + ops.prod(t, axis=1, keepdims=True)
        )(hidden)
        model = kg.Model(inputs, out)
        model.compile(optimizer=kg.optimizers.SGD(0.001), loss="mse", backend=backend)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
