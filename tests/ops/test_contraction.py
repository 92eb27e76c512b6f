"""NumPy's products (``ops/contraction.py``) against NumPy, eagerly and in
a model on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
RNG = np.random.default_rng(1)
A = RNG.normal(size=(2, 3, 4)).astype("float32")
B = RNG.normal(size=(4, 3, 5)).astype("float32")
V = RNG.normal(size=4).astype("float32")


def _close(result, expected):
    result = np.asarray(result)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (
            lambda: ops.tensordot(A, B, ([1, 2], [1, 0])),
            lambda: np.tensordot(A, B, ([1, 2], [1, 0])),
        ),
        (lambda: ops.tensordot(A, B, 1), lambda: np.tensordot(A, B, 1)),
        (lambda: ops.tensordot(A, A, 0), lambda: np.tensordot(A, A, 0)),
        (lambda: ops.dot(A, V), lambda: np.dot(A, V)),
        (lambda: ops.dot(A, B[:, :, 0]), lambda: np.dot(A, B[:, :, 0])),
        (
            lambda: ops.dot(A, B.transpose(1, 0, 2)),
            lambda: np.dot(A, B.transpose(1, 0, 2)),
        ),
        (lambda: ops.dot(V, V), lambda: np.dot(V, V)),
        (lambda: ops.dot(2.0, V), lambda: 2 * V),
        (lambda: ops.inner(A, B[:, :, 0].T), lambda: np.inner(A, B[:, :, 0].T)),
        (lambda: ops.outer(A[0], V), lambda: np.outer(A[0], V)),
        (lambda: ops.vdot(A, A), lambda: np.vdot(A, A)),
        (lambda: ops.kron(A[0], B[0]), lambda: np.kron(A[0], B[0])),
        (lambda: ops.kron([1, 10], [[1, 2]]), lambda: np.kron([1, 10], [[1, 2]])),
        (
            lambda: ops.cross(A[0, :, :3], B[0, :, :3]),
            lambda: np.cross(A[0, :, :3], B[0, :, :3]),
        ),
        (
            lambda: ops.cross(A[0, :3], B[1, :3, :4], axisa=0, axisb=0, axisc=0),
            lambda: np.cross(A[0, :3], B[1, :3, :4], axisa=0, axisb=0, axisc=0),
        ),
        (
            lambda: ops.cross(V[:2], V[1:4]),
            lambda: np.cross(np.append(V[:2], 0), V[1:4]),
        ),
    ],
)
def test_matches_numpy(ours, reference):
    _close(ours(), reference())


@pytest.mark.parametrize("backend", BACKENDS)
def test_products_in_a_model(backend):
    weights = RNG.normal(size=(4, 2)).astype("float32")
    inputs = kg.Input(shape=(3, 4))
    out = layers.Lambda(
        lambda t: ops.concatenate(
            [
                ops.reshape(ops.tensordot(t, weights, axes=1), (-1, 6)),
                ops.reshape(ops.dot(t, V), (-1, 3)),
                ops.reshape(ops.cross(t[:, :, :3], t[:, :, 1:]), (-1, 9)),
            ],
            axis=-1,
        )[:, :9]
    )(inputs)
    model = kg.Model(inputs, out)
    model.compile(loss="mse", backend=backend)
    expected = np.concatenate(
        [
            np.tensordot(A, weights, 1).reshape(-1, 6),
            np.dot(A, V).reshape(-1, 3),
            np.cross(A[:, :, :3], A[:, :, 1:]).reshape(2, -1),
        ],
        axis=-1,
    )[:, :9]
    _close(model.predict(A, verbose=0), expected)
