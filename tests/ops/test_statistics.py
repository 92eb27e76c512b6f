"""Statistics (``ops/statistics.py``) against NumPy: quantiles by every
method, NaN-ignoring reductions, binning and counting, eagerly and in
models on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

# NumPy warns about rows of NaN alone; kgraph gives NaN there too.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

BACKENDS = ("numpy", "llvm")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4, 5)).astype("float32")
XN = X.copy()
XN[0, 1, 2] = np.nan
XN[1, :, 3] = np.nan
METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _close(result, expected, tol=1e-5):
    result = np.asarray(result)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result, expected, rtol=tol, atol=tol, equal_nan=True)


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("axis", [None, 1, (0, 2), -1])
def test_quantiles_match_numpy(method, axis):
    for q in (0.5, [0.1, 0.9], [[0.0, 0.3], [0.77, 1.0]]):
        for keepdims in (False, True):
            _close(
                ops.quantile(X, q, axis=axis, method=method, keepdims=keepdims),
                np.quantile(X, q, axis=axis, method=method, keepdims=keepdims),
            )
    for q in (0.5, [0.1, 0.9]):
        with np.errstate(all="ignore"):
            _close(
                ops.nanquantile(XN, q, axis=axis, method=method),
                np.nanquantile(XN, q, axis=axis, method=method),
            )
        _close(
            ops.quantile(XN, q, axis=axis, method=method),
            np.quantile(XN, q, axis=axis, method=method),
        )


def test_median_and_percentile():
    _close(ops.median(X, axis=1), np.median(X, axis=1))
    _close(ops.median(np.array([[1, 3, 2]], "int32")), 2.0)
    _close(ops.percentile(X, [25, 50]), np.percentile(X, [25, 50]))
    with np.errstate(all="ignore"):
        _close(ops.nanmedian(XN, axis=2), np.nanmedian(XN, axis=2))
        _close(ops.nanpercentile(XN, 40, axis=0), np.nanpercentile(XN, 40, axis=0))


@pytest.mark.parametrize(
    "name", ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"]
)
def test_nan_reductions(name):
    for axis in (None, 1, (0, 2)):
        expected = getattr(np, name)(XN, axis=axis)
        _close(getattr(ops, name)(XN, axis=axis), expected)


def test_nan_index_and_running_reductions():
    _close(ops.nanargmax(XN, axis=2), np.nanargmax(XN, axis=2))
    _close(ops.nanargmin(XN, axis=2), np.nanargmin(XN, axis=2))
    _close(ops.nancumsum(XN, axis=1), np.nancumsum(XN, axis=1))
    _close(ops.nancumprod(XN), np.nancumprod(XN))


def test_plain_reductions():
    _close(ops.amax(X, 1), np.amax(X, 1))
    _close(ops.amin(X, (0, 2)), np.amin(X, (0, 2)))
    _close(ops.ptp(X, 1), np.ptp(X, 1))
    _close(
        ops.count_nonzero(np.round(X), axis=2), np.count_nonzero(np.round(X), axis=2)
    )
    _close(
        ops.average(X, 1, weights=np.arange(4.0)),
        np.average(X, 1, weights=np.arange(4.0)),
    )
    _close(ops.average(X), np.average(X))
    _close(ops.average(X, weights=X * X), np.average(X, weights=X * X))


def test_binning_and_searching():
    _close(
        ops.searchsorted([1, 2, 2, 3], [0, 2, 5, 2.5]),
        np.searchsorted([1, 2, 2, 3], [0, 2, 5, 2.5]),
    )
    _close(
        ops.searchsorted([1, 2, 2, 3], [0, 2, 5], side="right"),
        np.searchsorted([1, 2, 2, 3], [0, 2, 5], side="right"),
    )
    _close(ops.digitize(X, [-1.0, 0.0, 1.0]), np.digitize(X, [-1.0, 0.0, 1.0]))
    _close(ops.digitize(X, [1.0, 0.0, -1.0]), np.digitize(X, [1.0, 0.0, -1.0]))
    _close(ops.isin([1, 2, 3], [[3, 1]]), np.isin([1, 2, 3], [[3, 1]]))
    _close(ops.isin([1, 2, 3], [3, 1], invert=True), [False, True, False])
    _close(ops.bincount([0, 1, 1, 3]), np.bincount([0, 1, 1, 3]))
    weights = np.array([0.5, 1, 2, 3], "float32")
    _close(
        ops.bincount([0, 1, 1, 3], weights=weights, minlength=6),
        np.bincount([0, 1, 1, 3], weights=weights, minlength=6),
    )
    for bins, limits in ((7, None), (4, (-1.0, 1.0))):
        counts, edges = ops.histogram(X, bins=bins, range=limits)
        expected_counts, expected_edges = np.histogram(X, bins=bins, range=limits)
        _close(counts, expected_counts)
        _close(edges, expected_edges)


def test_differences_integrals_and_correlations():
    _close(ops.diff(X, 2, axis=1), np.diff(X, 2, axis=1))
    _close(ops.trapezoid(X), np.trapezoid(X))
    _close(ops.trapezoid(X, np.arange(5.0) ** 2), np.trapezoid(X, np.arange(5.0) ** 2))
    _close(ops.trapezoid(X, dx=0.5, axis=0), np.trapezoid(X, dx=0.5, axis=0))
    _close(ops.corrcoef(X[0]), np.corrcoef(X[0]))
    for mode in ("valid", "same", "full"):
        _close(
            ops.correlate(X[0, 0], X[0, 1, :3], mode),
            np.correlate(X[0, 0], X[0, 1, :3], mode),
        )
        _close(
            ops.correlate(X[0, 1, :3], X[0, 0], mode),
            np.correlate(X[0, 1, :3], X[0, 0], mode),
        )
    _close(ops.vander([1, 2, 3]), np.vander([1, 2, 3]))
    _close(ops.vander([1.0, 2.0, 3.0], 4, True), np.vander([1.0, 2.0, 3.0], 4, True))


def test_eager_only_functions():
    _close(ops.unique([3, 1, 3, 2]), np.unique([3, 1, 3, 2]))
    _, inverse, counts = ops.unique(
        [3, 1, 3, 2], return_inverse=True, return_counts=True
    )
    _close(inverse, [2, 0, 2, 1])
    _close(counts, [1, 1, 2])
    _close(ops.unique([3, 1], size=4), [1, 3, 1, 1])
    rows, columns = ops.nonzero([[0, 1], [2, 0]])
    _close(rows, [0, 1])
    _close(columns, [1, 0])
    inputs = kg.Input(shape=(3,))
    with pytest.raises(ValueError, match="eager tensors only"):
        layers.Lambda(lambda t: ops.unique(t))(inputs)
    for ours, theirs in zip(
        ops.unravel_index([5, 1, 22], (2, 3, 4)),
        np.unravel_index([5, 1, 22], (2, 3, 4)),
        strict=True,
    ):
        _close(ours, theirs)


@pytest.mark.parametrize("backend", BACKENDS)
def test_statistics_in_a_model(backend):
    def fn(t):
        return ops.concatenate(
            [
                ops.median(t, axis=-1),
                ops.quantile(t, 0.3, axis=(1, 2))[:, None],
                ops.nanquantile(t, 0.75, axis=-1, method="midpoint"),
                ops.nanmean(t, axis=-1),
                ops.nanmax(t, axis=-1),
                ops.cast(
                    ops.searchsorted(np.array([-1.0, 0.0, 1.0], "float32"), t[:, 0]),
                    "float32",
                ),
                ops.cast(
                    ops.bincount(ops.cast(ops.abs(t[:, 0]) * 2, "int32"), minlength=4),
                    "float32",
                ),
                ops.diff(t[:, 0], axis=-1),
                ops.trapezoid(t[:, 0])[:, None],
            ],
            axis=-1,
        )

    x = X.copy()
    x[2, 3, 1] = np.nan
    with np.errstate(all="ignore"):
        clean = np.nan_to_num(x[:, 0], nan=0.0)
        counts = np.stack(
            [np.bincount((np.abs(r) * 2).astype(int), minlength=4)[:4] for r in clean]
        )
        expected = np.concatenate(
            [
                np.median(x, axis=-1),
                np.quantile(x, 0.3, axis=(1, 2))[:, None],
                np.nanquantile(x, 0.75, axis=-1, method="midpoint"),
                np.nanmean(x, axis=-1),
                np.nanmax(x, axis=-1),
                np.searchsorted([-1.0, 0.0, 1.0], x[:, 0]),
                counts,
                np.diff(x[:, 0], axis=-1),
                np.trapezoid(x[:, 0])[:, None],
            ],
            axis=-1,
        )
    _close(_predict(fn, x, backend), expected)


def test_median_trains_identically_on_both_backends():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 5)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    models = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(5,))
        hidden = layers.Dense(6)(inputs)
        out = layers.Lambda(
            lambda t: ops.stack(
                [ops.median(t, axis=-1), ops.quantile(t, 0.8, axis=-1)], 1
            )
        )(hidden)
        model = kg.Model(inputs, out)
        model.compile(optimizer=kg.optimizers.SGD(0.05), loss="mse", backend=backend)
        if models:
            model.set_weights(models[0].get_weights())
        models.append(model)
    for model in models:
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
