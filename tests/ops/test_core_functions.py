"""Conversion, introspection and control flow (``ops/core_functions.py``):
eagerly, and ``cond``/``switch``/``fori_loop``/``while_loop`` traced inside
a layer on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")


def test_conversion_and_introspection():
    tensor = ops.convert_to_tensor([1, 2], dtype="float32")
    assert tensor.dtype == "float32" and ops.is_tensor(tensor)
    assert not ops.is_tensor(np.zeros(2))
    np.testing.assert_array_equal(ops.convert_to_numpy(tensor), [1.0, 2.0])
    assert ops.dtype([1.0]) == "float32" and ops.dtype(np.zeros(1, "int64")) == "int64"
    assert ops.ndim(np.zeros((2, 3))) == 2 and ops.size(np.zeros((2, 3))) == 6
    copied = ops.copy(tensor)
    assert copied is not tensor and copied.numpy().tolist() == [1.0, 2.0]
    assert ops.array([1, 2], dtype="int64").dtype == "int64"
    np.testing.assert_array_equal(
        ops.view(np.array([1.0], "float32"), "int32").numpy(),
        np.array([1.0], "float32").view("int32"),
    )
    inputs = kg.Input(shape=(3,))
    with pytest.raises(ValueError, match="no values"):
        ops.convert_to_numpy(inputs)
    with pytest.raises(ValueError, match="dense"):
        ops.convert_to_tensor([1], sparse=True)


def test_eager_control_flow():
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.cond(ops.convert_to_tensor(False), lambda: 1, lambda: 2) == 2
    assert ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 3) == 30
    assert ops.switch(-1, [lambda x: x + 1, lambda x: x * 10], 3) == 4
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    assert ops.while_loop(lambda i: i < 5, lambda i: i + 2, 0) == 6
    assert ops.while_loop(lambda i, j: i < 5, lambda i, j: (i + 1, j * 2), (0, 1)) == (
        5,
        32,
    )
    assert (
        ops.while_loop(lambda i: i < 50, lambda i: i + 1, 0, maximum_iterations=3) == 3
    )


class _Control(layers.Layer):
    def call(self, x):
        total = ops.sum(x)
        chosen = ops.cond(ops.greater(total, 0.0), lambda: x * 2.0, lambda: x - 1.0)
        looped = ops.fori_loop(0, 3, lambda i, v: v + ops.cast(i, "float32"), x)
        doubled = ops.while_loop(
            lambda v: ops.less(ops.max(v), 10.0),
            lambda v: v * 2.0,
            x,
            maximum_iterations=10,
        )
        index = ops.cast(ops.greater(total, 0.0), "int32")
        switched = ops.switch(index, [lambda a: a * 0.0, lambda a: a + 100.0], x)
        return ops.concatenate([chosen, looped, doubled, switched], axis=-1)


def _reference(x):
    total = x.sum()
    chosen = x * 2 if total > 0 else x - 1
    doubled = x.copy()
    for _ in range(10):
        if doubled.max() >= 10:
            break
        doubled = doubled * 2
    switched = x + 100 if total > 0 else x * 0
    return np.concatenate([chosen, x + 3, doubled, switched], axis=-1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_traced_control_flow_in_a_model(backend, sign):
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], "float32") * sign
    inputs = kg.Input(shape=(2,))
    model = kg.Model(inputs, _Control()(inputs))
    model.compile(loss="mse", backend=backend)
    np.testing.assert_allclose(model.predict(x, verbose=0), _reference(x), rtol=1e-6)
    np.testing.assert_allclose(_Control()(x).numpy(), _reference(x), rtol=1e-6)


def test_while_loop_needs_a_bound_in_a_graph():
    class Unbounded(layers.Layer):
        def call(self, x):
            return ops.while_loop(
                lambda v: ops.less(ops.max(v), 10.0), lambda v: v * 2.0, x
            )

    inputs = kg.Input(shape=(2,))
    with pytest.raises(ValueError, match="maximum_iterations"):
        Unbounded()(inputs)


def test_map_vectorize_and_associative_scan_eagerly():
    np.testing.assert_array_equal(
        ops.map(lambda x: x * 2, np.array([1, 2, 3], "int32")).numpy(), [2, 4, 6]
    )
    total, first = ops.map(lambda p: (p[0] + p[1], p[0]), (np.arange(3.0), np.ones(3)))
    np.testing.assert_array_equal(total.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(first.numpy(), [0.0, 1.0, 2.0])
    f = ops.vectorize(lambda a, b: a * b + 1)
    np.testing.assert_array_equal(
        f(np.array([[1, 2]], "int32"), np.array([3, 4], "int32")).numpy(), [[4, 9]]
    )
    x = np.arange(1.0, 9.0).reshape(2, 4)
    np.testing.assert_array_equal(
        ops.associative_scan(lambda a, b: a + b, x, axis=1).numpy(), np.cumsum(x, 1)
    )
    np.testing.assert_array_equal(
        ops.associative_scan(lambda a, b: a * b, x, reverse=True, axis=1).numpy(),
        np.cumprod(x[:, ::-1], 1)[:, ::-1],
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_map_and_associative_scan_in_a_model(backend):
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)

    class Mapped(layers.Layer):
        def call(self, t):
            rows = ops.map(
                lambda r: ops.sum(r * r, axis=-1), ops.transpose(t, (1, 0, 2))
            )
            running = ops.associative_scan(
                lambda a, b: ops.maximum(a, b) + 1.0, t, axis=1
            )
            return ops.concatenate(
                [ops.transpose(rows, (1, 0)), ops.reshape(running, (-1, 6))], axis=1
            )

    inputs = kg.Input(shape=(3, 2))
    model = kg.Model(inputs, Mapped()(inputs))
    model.compile(loss="mse", backend=backend)
    running = x.copy()
    for i in range(1, 3):
        running[:, i] = np.maximum(running[:, i - 1], x[:, i]) + 1.0
    expected = np.concatenate([(x * x).sum(-1), running.reshape(2, 6)], axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected)
