"""Sorting (``ops/sorting.py``): stable order, NaN placement, ``top_k``,
``take_along_axis`` and their gradients, eagerly and in models on both
backends (the native insertion into sorted prefixes included)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


def _descending(x, k):
    """Stable descending order along the last axis (ties: earlier first)."""
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order


def test_sort_and_argsort_match_numpy_stable_order():
    x = np.array([[3, 1, 2, 1], [0, 0, 5, -1]], "int32")
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(
            ops.argsort(x, axis=axis).numpy(), np.argsort(x, axis=axis, kind="stable")
        )
        np.testing.assert_array_equal(ops.sort(x, axis=axis).numpy(), np.sort(x, axis))
    np.testing.assert_array_equal(
        ops.argsort(x, axis=None).numpy(), np.argsort(x, None, kind="stable")
    )
    with_nan = np.array([2.0, np.nan, -1.0, 0.5], "float32")
    np.testing.assert_array_equal(ops.argsort(with_nan).numpy(), [2, 3, 0, 1])


def test_top_k_values_and_indices():
    x = np.array([[1.0, 5.0, 3.0, 5.0], [0.0, -2.0, 7.0, 1.0]], "float32")
    values, indices = ops.top_k(x, 3)
    expected_values, expected_indices = _descending(x, 3)
    np.testing.assert_array_equal(values.numpy(), expected_values)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    with pytest.raises(kg.errors.ShapeError, match="top_k"):
        ops.top_k(x, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sorting_in_a_model_on_long_rows(backend):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, (3, 200)).astype("float32")  # many ties
    result = _predict(
        lambda t: ops.concatenate(
            [
                ops.sort(t, axis=-1),
                ops.cast(ops.argsort(t, axis=-1), "float32"),
                ops.top_k(t, 7)[0],
                ops.cast(ops.top_k(t, 7)[1], "float32"),
                ops.cast(ops.argsort(t, axis=0), "float32"),
            ],
            axis=-1,
        ),
        x,
        backend,
    )
    values, indices = _descending(x, 7)
    expected = np.concatenate(
        [
            np.sort(x, -1),
            np.argsort(x, -1, kind="stable"),
            values,
            indices,
            np.argsort(x, 0, kind="stable"),
        ],
        axis=-1,
    )
    np.testing.assert_array_equal(result, expected)


def test_take_along_axis_broadcasts_and_wraps_negative_indices():
    x = np.arange(12, dtype="float32").reshape(3, 4)
    indices = np.array([[0, -1], [2, 1], [3, 3]])
    np.testing.assert_array_equal(
        ops.take_along_axis(x, indices, axis=1).numpy(),
        np.take_along_axis(x, indices, axis=1),
    )
    np.testing.assert_array_equal(
        ops.take_along_axis(x, np.array([[1, 0, 2, 1]]), axis=0).numpy(),
        np.take_along_axis(x, np.array([[1, 0, 2, 1]]), axis=0),
    )
    np.testing.assert_array_equal(
        ops.take_along_axis(x, np.array([5, 0]), axis=None).numpy(), [5.0, 0.0]
    )


def test_sort_and_top_k_train_identically_on_both_backends():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 6)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    models = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(6,))
        hidden = layers.Dense(6)(inputs)
        out = layers.Lambda(lambda t: ops.top_k(t, 3)[0] + ops.sort(t, axis=-1)[:, :3])(
            hidden
        )
        model = kg.Model(inputs, out)
        model.compile(optimizer=kg.optimizers.SGD(0.05), loss="mse", backend=backend)
        if models:
            model.set_weights(models[0].get_weights())
        models.append(model)
    for model in models:
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_argpartition_puts_the_kth_element_in_place():
    x = np.array([3, 4, 2, 1, 5], "int32")
    order = ops.argpartition(x, 2).numpy()
    assert x[order][2] == np.sort(x)[2]
    assert set(x[order][:2]) == {1, 2}
