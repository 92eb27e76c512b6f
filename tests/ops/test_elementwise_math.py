"""NumPy's elementwise math beyond the basics (``ops/elementwise_math.py``):
eager results against NumPy, special values, integer division and shifts
by NumPy's rules, and the ops inside a model on both backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
_X = np.array([-2.5, -1.5, -0.5, -0.25, 0.0, 0.3, 0.5, 1.5, 2.5, 3.0], "float32")
_UNIT = np.linspace(-0.95, 0.95, 10).astype("float32")
_ERF = np.vectorize(math.erf)


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


@pytest.mark.parametrize(
    ("name", "reference", "values"),
    [
        ("tan", np.tan, _UNIT),
        ("arcsin", np.arcsin, _UNIT),
        ("arccos", np.arccos, _UNIT),
        ("arctan", np.arctan, _X),
        ("sinh", np.sinh, _X),
        ("cosh", np.cosh, _X),
        ("arcsinh", np.arcsinh, _X),
        ("arccosh", np.arccosh, _X + 4.0),
        ("arctanh", np.arctanh, _UNIT),
        ("erf", _ERF, _X),
        ("erfc", np.vectorize(math.erfc), _X),
        ("expm1", np.expm1, _X),
        ("cbrt", np.cbrt, _X),
        ("exp2", np.exp2, _X),
        ("log2", np.log2, _X + 3.0),
        ("log10", np.log10, _X + 3.0),
        ("ceil", np.ceil, _X),
        ("trunc", np.trunc, _X),
        ("round", np.round, _X),
    ],
)
def test_unary_functions_match_numpy_eagerly_and_in_a_model(name, reference, values):
    fn = getattr(ops, name)
    expected = reference(values.astype("float64")).astype("float32")
    np.testing.assert_allclose(fn(values).numpy(), expected, rtol=1e-6, atol=1e-6)
    batch = values.reshape(2, -1)
    for backend in BACKENDS:
        result = _predict(fn, batch, backend)
        np.testing.assert_allclose(
            result, expected.reshape(2, -1), rtol=1e-5, atol=1e-6
        )


def test_round_halves_to_even_and_rounds_to_decimals():
    np.testing.assert_array_equal(
        ops.round([0.5, 1.5, 2.5, -0.5]).numpy(), [0.0, 2.0, 2.0, -0.0]
    )
    np.testing.assert_allclose(
        ops.round([1.234, 5.678], decimals=1).numpy(), [1.2, 5.7], rtol=1e-6
    )
    np.testing.assert_array_equal(
        ops.round([1234, 1250], decimals=-2).numpy(), [1200, 1200]
    )
    assert ops.round([1, 2]).dtype == "int32"


def test_integer_inputs_become_float32():
    assert ops.erf(np.array([0, 1], "int32")).dtype == "float32"
    assert ops.ceil(np.array([1, 2], "int64")).dtype == "float32"
    assert ops.trunc(np.array([1, 2], "int32")).dtype == "int32"


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_floor_divide_mod_and_fmod_follow_numpy_signs(dtype):
    x = np.array([7, -7, 7, -7, 5, 0], dtype)
    y = np.array([2, 2, -2, -2, 0, 3], dtype)
    with np.errstate(all="ignore"):
        for name, reference in (
            ("floor_divide", np.floor_divide),
            ("mod", np.remainder),
            ("fmod", np.fmod),
        ):
            expected = reference(x, y)
            fn = getattr(ops, name)
            np.testing.assert_array_equal(fn(x, y).numpy(), expected)
            for backend in BACKENDS:
                result = _predict(
                    lambda t, fn=fn: fn(t[:, 0], t[:, 1]),
                    np.stack([x, y], axis=1),
                    backend,
                )
                np.testing.assert_array_equal(result, expected)


def test_float_mod_of_inexact_values_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-10, 10, (64, 2)).astype("float32")
    expected = np.stack(
        [np.floor_divide(x[:, 0], x[:, 1]), np.remainder(x[:, 0], x[:, 1])], axis=1
    )
    for backend in BACKENDS:
        result = _predict(
            lambda t: ops.stack(
                [ops.floor_divide(t[:, 0], t[:, 1]), ops.mod(t[:, 0], t[:, 1])], axis=1
            ),
            x,
            backend,
        )
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_two_argument_float_functions():
    a = np.array([1.0, -1.0, 0.0, 3.0, -2.0], "float32")
    b = np.array([0.0, -2.0, -1.0, 4.0, 5.0], "float32")
    for name, reference in (
        ("arctan2", np.arctan2),
        ("hypot", np.hypot),
        ("nextafter", np.nextafter),
    ):
        expected = reference(a, b)
        fn = getattr(ops, name)
        np.testing.assert_allclose(fn(a, b).numpy(), expected, rtol=1e-6)
        for backend in BACKENDS:
            result = _predict(
                lambda t, fn=fn: fn(t[:, 0], t[:, 1]),
                np.stack([a, b], axis=1),
                backend,
            )
            np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_bitwise_operations_and_shifts():
    x = np.array([12, -7, 5, 1 << 30, -1], "int32")
    y = np.array([10, 3, 33, 1, -1], "int32")
    np.testing.assert_array_equal(ops.bitwise_and(x, y).numpy(), x & y)
    np.testing.assert_array_equal(ops.bitwise_or(x, y).numpy(), x | y)
    np.testing.assert_array_equal(ops.bitwise_xor(x, y).numpy(), x ^ y)
    np.testing.assert_array_equal(ops.bitwise_invert(x).numpy(), ~x)
    np.testing.assert_array_equal(ops.bitwise_not(np.array([True])).numpy(), [False])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(
            ops.left_shift(x, y).numpy(), [12288, -56, 0, -(1 << 31), 0]
        )
        np.testing.assert_array_equal(
            ops.right_shift(x, y).numpy(), [0, -1, 0, 1 << 29, -1]
        )
    np.testing.assert_array_equal(ops.bitwise_left_shift([1], [3]).numpy(), [8])
    for backend in BACKENDS:
        result = _predict(
            lambda t: ops.stack(
                [
                    ops.bitwise_xor(t[:, 0], t[:, 1]),
                    ops.left_shift(t[:, 0], t[:, 1]),
                    ops.right_shift(t[:, 0], t[:, 1]),
                    ops.bitwise_invert(t[:, 0]),
                ],
                axis=1,
            ),
            np.stack([x, y], axis=1),
            backend,
        )
        np.testing.assert_array_equal(
            result,
            np.stack(
                [x ^ y, [12288, -56, 0, -(1 << 31), 0], [0, -1, 0, 1 << 29, -1], ~x],
                axis=1,
            ),
        )
    with pytest.raises(kg.errors.DTypeError, match="left_shift"):
        ops.left_shift(np.array([1.0]), 1)


def test_signbit_sees_negative_zero():
    x = np.array([-1.0, -0.0, 0.0, 2.0, -np.inf], "float32")
    np.testing.assert_array_equal(ops.signbit(x).numpy(), np.signbit(x))
    for backend in BACKENDS:
        np.testing.assert_array_equal(
            _predict(ops.signbit, x.reshape(1, -1), backend), np.signbit(x)[None]
        )


def test_gradients_train_identically_on_both_backends():
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.5, 0.5, (16, 3)).astype("float32")
    y = rng.uniform(-0.5, 0.5, (16, 1)).astype("float32")
    weights = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(3,))
        hidden = layers.Dense(4, kernel_initializer="ones")(inputs)
        mixed = layers.Lambda(
            lambda t: ops.erf(t) + ops.arctan(t) + ops.sinh(t) * 0.1 + ops.expm1(t)
        )(hidden)
        model = kg.Model(inputs, layers.Dense(1, kernel_initializer="ones")(mixed))
        model.compile(optimizer=kg.optimizers.SGD(0.01), loss="mse", backend=backend)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
