"""Keras's linear algebra (``kgraph/ops/linalg_functions.py``): norms and
distances composed (eager and in a model on both backends), decompositions
eager against NumPy, and a clear error when one is used symbolically."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import ops

RNG = np.random.default_rng(1)
X = RNG.normal(size=(3, 4, 5)).astype("float32")
Y = RNG.normal(size=(3, 6, 5)).astype("float32")
A = RNG.normal(size=(2, 4, 4)).astype("float32")
SPD = (A @ np.swapaxes(A, -1, -2) + 4 * np.eye(4)).astype("float32")
B = RNG.normal(size=(2, 4, 3)).astype("float32")
R = RNG.normal(size=(5, 3)).astype("float32")


@pytest.mark.parametrize("order", [None, 2, 1, 0, 3, np.inf, -np.inf, 0.5])
def test_vector_norms_match_numpy(order):
    np.testing.assert_allclose(
        ops.norm(X, ord=order, axis=-1).numpy(),
        np.linalg.norm(X.astype("float64"), ord=order, axis=-1),
        rtol=1e-5,
    )


@pytest.mark.parametrize("order", [None, "fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"])
def test_matrix_norms_match_numpy(order):
    np.testing.assert_allclose(
        ops.norm(X, ord=order, axis=(1, 2)).numpy(),
        np.linalg.norm(X.astype("float64"), ord=order, axis=(1, 2)),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        ops.norm(X, ord=order, axis=(2, 0), keepdims=True).numpy(),
        np.linalg.norm(X.astype("float64"), ord=order, axis=(2, 0), keepdims=True),
        rtol=1e-5,
    )


def test_norm_of_everything_and_bad_orders():
    np.testing.assert_allclose(ops.norm(X).numpy(), np.linalg.norm(X), rtol=1e-6)
    assert ops.norm(X, keepdims=True).shape == (1, 1, 1)
    assert ops.norm(np.arange(4)).dtype == "float32"
    with pytest.raises(ValueError, match="matrix norm"):
        ops.norm(X, ord="fro", axis=0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ops.norm(X, ord=1)
    with pytest.raises(ValueError, match="invalid order"):
        ops.norm(X, ord=3, axis=(0, 1))


def np_cdist(x, y):
    diff = x[..., :, None, :] - y[..., None, :, :]
    return np.sqrt((diff * diff).sum(-1))


def test_cdist_is_the_euclidean_distance_between_rows():
    np.testing.assert_allclose(ops.cdist(X, Y).numpy(), np_cdist(X, Y), rtol=1e-5)
    with pytest.raises(ValueError, match="last dimension"):
        ops.cdist(X, Y[..., :4])
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.cdist(X[0, 0], Y[0])


def test_norm_and_cdist_run_in_a_model(backend):
    x = kg.Input((4, 5))
    y = kg.Input((6, 5))
    outputs = [
        ops.norm(x, axis=-1),
        ops.norm(x, ord=1, axis=(1, 2)),
        ops.norm(x, ord=np.inf, axis=-1, keepdims=True),
        ops.cdist(x, y),
    ]
    model = kg.Model([x, y], outputs)
    model.compile(loss="mse", backend=backend)
    l2, l1, peak, distances = model.predict([X, Y], verbose=0)
    np.testing.assert_allclose(l2, np.linalg.norm(X, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(l1, np.linalg.norm(X, ord=1, axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(peak, np.abs(X).max(-1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(distances, np_cdist(X, Y), rtol=1e-5)


# ---------------------------------------------------------------- eager


def test_determinants_inverses_and_solvers():
    np.testing.assert_allclose(ops.det(A).numpy(), np.linalg.det(A), rtol=1e-5)
    np.testing.assert_allclose(
        ops.inv(A).numpy(), np.linalg.inv(A), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        ops.solve(A, B).numpy(), np.linalg.solve(A, B), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        ops.solve(A[0], B[0, :, 0]).numpy(),
        np.linalg.solve(A[0], B[0, :, 0]),
        rtol=1e-4,
    )
    for lower in (True, False):
        triangle = np.tril(A) if lower else np.triu(A)
        np.testing.assert_allclose(
            ops.solve_triangular(A, B, lower=lower).numpy(),
            np.linalg.solve(triangle, B),
            rtol=1e-4,
            atol=1e-5,
        )
    assert ops.det(A).dtype == "float32"
    with pytest.raises(ValueError, match="square"):
        ops.inv(R)


def test_cholesky_and_its_inverse():
    lower = ops.cholesky(SPD).numpy()
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), SPD, rtol=1e-5)
    upper = ops.cholesky(SPD, upper=True).numpy()
    np.testing.assert_allclose(upper, np.swapaxes(lower, -1, -2))
    np.testing.assert_allclose(
        ops.cholesky_inverse(lower).numpy(), np.linalg.inv(SPD), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        ops.cholesky_inverse(upper, upper=True).numpy(),
        np.linalg.inv(SPD),
        rtol=1e-4,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="positive definite"):
        ops.cholesky(-SPD)


def test_qr_svd_and_eigen_decompositions():
    for mode, shapes in (("reduced", ((5, 3), (3, 3))), ("complete", ((5, 5), (5, 3)))):
        q, r = ops.qr(R, mode=mode)
        assert (q.shape, r.shape) == shapes
        np.testing.assert_allclose(q.numpy() @ r.numpy(), R, atol=1e-5)
    u, s, vh = ops.svd(R, full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), R, atol=1e-5)
    np.testing.assert_allclose(
        ops.svd(R, compute_uv=False).numpy(),
        np.linalg.svd(R, compute_uv=False),
        rtol=1e-5,
    )
    w, v = ops.eigh(SPD)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigh(SPD)[0], rtol=1e-5)
    np.testing.assert_allclose(
        SPD @ v.numpy(), v.numpy() * w.numpy()[..., None, :], rtol=1e-4, atol=1e-4
    )
    w, v = ops.eig(np.triu(A[0]))
    np.testing.assert_allclose(np.sort(w.numpy()), np.sort(np.diag(A[0])), rtol=1e-5)
    with pytest.raises(ValueError, match="complex"):
        ops.eig(np.array([[0.0, -1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="mode"):
        ops.qr(R, mode="r")


def np_lu_factor(a):
    """Doolittle LU with partial pivoting, as LAPACK's getrf and SciPy's
    lu_factor report it."""
    a = a.astype("float64").copy()
    n = a.shape[0]
    pivots = np.zeros(n, "int32")
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        pivots[k] = p
        a[[k, p]] = a[[p, k]]
        a[k + 1 :, k] /= a[k, k]
        a[k + 1 :, k + 1 :] -= np.outer(a[k + 1 :, k], a[k, k + 1 :])
    return a, pivots


def test_lu_factor_reconstructs_the_permuted_matrix():
    lu, pivots = ops.lu_factor(A)
    assert pivots.dtype == "int32" and pivots.shape == (2, 4)
    for matrix, packed, swaps in zip(A, lu.numpy(), pivots.numpy(), strict=True):
        expected, expected_pivots = np_lu_factor(matrix)
        np.testing.assert_allclose(packed, expected, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(swaps, expected_pivots)
        permuted = matrix.copy()
        for k, p in enumerate(swaps):
            permuted[[k, p]] = permuted[[p, k]]
        lower = np.tril(packed, -1) + np.eye(4)
        np.testing.assert_allclose(lower @ np.triu(packed), permuted, atol=1e-5)


def test_least_squares_pseudo_inverse_rank_and_log_determinants():
    b = RNG.normal(size=5).astype("float32")
    np.testing.assert_allclose(
        ops.lstsq(R, b).numpy(), np.linalg.lstsq(R, b, rcond=None)[0], rtol=1e-4
    )
    np.testing.assert_allclose(
        ops.pinv(R).numpy(), np.linalg.pinv(R), rtol=1e-4, atol=1e-5
    )
    singular = np.array([[1.0, 2.0], [2.0, 4.0]], "float32")
    assert int(ops.matrix_rank(singular).numpy()) == 1
    assert ops.matrix_rank(singular).dtype == "int32"
    sign, logabs = ops.slogdet(A)
    expected_sign, expected_log = np.linalg.slogdet(A)
    np.testing.assert_array_equal(sign.numpy(), expected_sign)
    np.testing.assert_allclose(logabs.numpy(), expected_log, rtol=1e-5)
    np.testing.assert_allclose(ops.logdet(A).numpy(), expected_log, rtol=1e-5)


@pytest.mark.parametrize(
    "name",
    ["det", "inv", "cholesky", "qr", "svd", "eigh", "slogdet", "pinv", "lu_factor"],
)
def test_decompositions_name_themselves_when_used_in_a_model(name):
    inputs = kg.Input((4, 4))
    with pytest.raises(ValueError, match=rf"kgraph\.ops\.{name} runs eagerly only"):
        getattr(ops, name)(inputs)


def test_singular_value_norms_are_eager_only():
    inputs = kg.Input((4, 4))
    with pytest.raises(ValueError, match="runs eagerly only"):
        ops.norm(inputs, ord=2, axis=(1, 2))


def assert_gradient_matches_finite_differences(fn, x):
    """The graph gradient of ``sum(fn(x) * weights)`` (float64, interpreter)
    against central finite differences of the eager function."""
    from kgraph.backends import interpreter
    from kgraph.ir.graph import Graph
    from kgraph.ops import sources
    from kgraph.ops.vjp import gradients
    from kgraph.testing import numerics

    weights = np.random.default_rng(6).uniform(0.5, 1.5, np.asarray(fn(x)).shape)
    graph = Graph(name="gradient")
    placeholder = sources.placeholder(graph, "x", x.shape, "float64")
    total = ops.sum(ops.multiply(fn(placeholder), weights))
    (grad,) = gradients(graph, total.node_id, [placeholder.node_id])
    graph.set_output("g", grad)
    found = interpreter.run(graph, {"x": x})["g"]

    def loss(point):
        return float(np.sum(np.asarray(fn(point[0])) * weights))

    expected = numerics.numeric_gradient(loss, [x], 0, step=1e-6)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.norm(x, axis=-1),
        lambda x: ops.norm(x, ord=3, axis=0),
        lambda x: ops.norm(x, ord=np.inf, axis=(0, 1)),
        lambda x: ops.cdist(x[:2], x[2:]),
    ],
    ids=["l2", "l3", "matrix_inf", "cdist"],
)
def test_composed_norms_have_exact_gradients(fn):
    x = np.random.default_rng(7).normal(size=(5, 4))
    assert_gradient_matches_finite_differences(fn, x)
