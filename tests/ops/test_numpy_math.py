"""Elementwise compositions (``ops/numpy_math.py``) against NumPy, special
values included, and in a model on both backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
SPECIAL = np.array([-2.0, -0.5, 0.0, 0.5, 3.0, np.inf, -np.inf, np.nan], "float32")


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


UNARY = [
    ("isnan", np.isnan),
    ("isinf", np.isinf),
    ("isfinite", np.isfinite),
    ("isposinf", np.isposinf),
    ("isneginf", np.isneginf),
    ("nan_to_num", np.nan_to_num),
    ("absolute", np.absolute),
    ("fabs", np.fabs),
    ("reciprocal", lambda x: 1 / x),
    ("deg2rad", np.deg2rad),
    ("rad2deg", np.rad2deg),
    ("sinc", np.sinc),
    ("real", np.real),
    ("imag", np.imag),
    ("conj", np.conj),
]
BINARY = [
    ("logaddexp", np.logaddexp),
    ("logaddexp2", np.logaddexp2),
    ("fmax", np.fmax),
    ("fmin", np.fmin),
    ("heaviside", np.heaviside),
    ("isclose", np.isclose),
]


@pytest.mark.parametrize(("name", "reference"), UNARY)
def test_unary_compositions_match_numpy(name, reference):
    with np.errstate(all="ignore"):
        expected = reference(SPECIAL)
    result = getattr(ops, name)(SPECIAL).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize(("name", "reference"), BINARY)
def test_binary_compositions_match_numpy(name, reference):
    a, b = np.repeat(SPECIAL, len(SPECIAL)), np.tile(SPECIAL, len(SPECIAL))
    with np.errstate(all="ignore"):
        expected = reference(a, b)
    result = getattr(ops, name)(a, b).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_compositions_in_a_model(backend):
    x = SPECIAL.reshape(2, 4)
    names = ["isnan", "isfinite", "nan_to_num", "sinc", "rsqrt"]

    def fn(t):
        parts = [ops.cast(getattr(ops, n)(t), "float32") for n in names]
        parts.append(ops.logaddexp(t, ops.flip(t, 1)))
        parts.append(ops.divide_no_nan(t, ops.flip(t, 1)))
        return ops.concatenate(parts, axis=1)

    with np.errstate(all="ignore"):
        expected = np.concatenate(
            [
                np.isnan(x),
                np.isfinite(x),
                np.nan_to_num(x),
                np.sinc(x),
                1 / np.sqrt(x),
                np.logaddexp(x, x[:, ::-1]),
                np.where(x[:, ::-1] == 0, 0, x / x[:, ::-1]),
            ],
            axis=1,
        ).astype("float32")
    np.testing.assert_allclose(
        _predict(fn, x, backend), expected, rtol=1e-5, equal_nan=True
    )


def test_integer_functions():
    a = np.array([12, -18, 0, 7, 1071, 0], "int32")
    b = np.array([18, 12, 5, 0, 462, 0], "int32")
    np.testing.assert_array_equal(ops.gcd(a, b).numpy(), np.gcd(a, b))
    np.testing.assert_array_equal(ops.lcm(a, b).numpy(), np.lcm(a, b))
    np.testing.assert_array_equal(
        ops.logical_xor([1, 0, 2], [0, 0, 1]).numpy(), [True, False, False]
    )
    np.testing.assert_allclose(
        ops.ldexp(np.float32([1.5, -2.0]), np.int32([3, -1])).numpy(), [12.0, -1.0]
    )
    for backend in BACKENDS:
        result = _predict(
            lambda t: ops.stack(
                [ops.gcd(t[:, 0], t[:, 1]), ops.lcm(t[:, 0], t[:, 1])], 1
            ),
            np.stack([a, b], axis=1),
            backend,
        )
        np.testing.assert_array_equal(result, np.stack([np.gcd(a, b), np.lcm(a, b)], 1))


def test_erfinv_inverts_erf():
    y = np.linspace(-0.999, 0.999, 41)
    x = ops.erfinv(y).numpy()
    np.testing.assert_allclose(np.vectorize(math.erf)(x), y, atol=1e-14)
    edges = ops.erfinv(np.float32([1.0, -1.0, 0.0, 2.0])).numpy()
    np.testing.assert_array_equal(edges[:3], [np.inf, -np.inf, 0.0])
    assert np.isnan(edges[3])
    for backend in BACKENDS:
        result = _predict(ops.erfinv, y.astype("float32").reshape(1, -1), backend)
        np.testing.assert_allclose(
            np.vectorize(math.erf)(result.astype("float64")), y[None], atol=1e-6
        )


def test_saturate_cast_clips_to_the_range():
    np.testing.assert_array_equal(
        ops.saturate_cast(np.float32([3e10, -3e10, -1.5]), "int32").numpy(),
        [2**31 - 1, -(2**31), -1],
    )
    np.testing.assert_array_equal(
        ops.saturate_cast(np.int64([2**40, 5]), "int32").numpy(), [2**31 - 1, 5]
    )
    assert (
        ops.saturate_cast(np.float64([1e300]), "float32").numpy()[0]
        == np.finfo("float32").max
    )


def test_predicates_and_complex_views():
    assert bool(ops.allclose([1.0, 2.0], [1.0, 2.0 + 1e-9]).numpy())
    assert not bool(ops.allclose([1.0, np.nan], [1.0, np.nan]).numpy())
    assert bool(ops.allclose([1.0, np.nan], [1.0, np.nan], equal_nan=True).numpy())
    assert ops.isreal([1.0, 2.0]).numpy().all()
    np.testing.assert_allclose(ops.angle([-1.0, 2.0]).numpy(), [np.pi, 0.0], rtol=1e-6)
    assert ops.isnan(np.array([1, 2], "int32")).numpy().tolist() == [False, False]


def test_i0_matches_numpy_on_both_sides_of_8():
    x = np.array([-20.0, -8.5, -8.0, -3.0, -0.1, 0.0, 0.5, 2.0, 8.0, 8.01, 30.0])
    np.testing.assert_allclose(ops.i0(x).numpy(), np.i0(x), rtol=1e-14)
    for backend in BACKENDS:
        result = _predict(ops.i0, x.astype("float32").reshape(1, -1), backend)
        np.testing.assert_allclose(result, np.i0(x)[None], rtol=1e-6)
