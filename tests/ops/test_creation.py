"""Constructors (``ops/creation.py``): ranges, filled tensors, identity-like
matrices and windows against NumPy, and tensor bounds in a model."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")


def test_arange_dtypes_follow_keras():
    assert ops.arange(5).dtype == "int32"
    assert ops.arange(0.0, 1.0, 0.25).dtype == "float32"
    np.testing.assert_array_equal(ops.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(ops.arange(0, 1, 0.3).numpy(), np.arange(0, 1, 0.3))
    assert ops.arange(3, dtype="float64").dtype == "float64"


def test_spaces_match_numpy():
    np.testing.assert_allclose(ops.linspace(2, 3, 5).numpy(), np.linspace(2, 3, 5))
    values, step = ops.linspace(0, 1, 4, endpoint=False, retstep=True)
    np.testing.assert_allclose(values.numpy(), np.linspace(0, 1, 4, endpoint=False))
    assert float(step) == pytest.approx(0.25)
    np.testing.assert_allclose(
        ops.linspace([0, 1], [1, 3], 3, axis=1).numpy(),
        np.linspace([0, 1], [1, 3], 3, axis=1),
    )
    np.testing.assert_allclose(
        ops.logspace(0, 3, 4, base=2).numpy(), np.logspace(0, 3, 4, base=2)
    )
    np.testing.assert_allclose(
        ops.geomspace(1, 256, 9).numpy(), np.geomspace(1, 256, 9), rtol=1e-6
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_spaces_between_tensors_in_a_model(backend):
    x = np.array([[0.0, 1.0], [2.0, 10.0]], "float32")
    inputs = kg.Input(shape=(2,))
    out = layers.Lambda(
        lambda t: ops.concatenate(
            [
                ops.linspace(t[:, 0], t[:, 1], 5, axis=-1),
                ops.logspace(t[:, 0], t[:, 1], 3, axis=-1),
                ops.geomspace(t[:, 1], t[:, 1] * 8.0, 4, axis=-1),
            ],
            axis=-1,
        )
    )(inputs)
    model = kg.Model(inputs, out)
    model.compile(loss="mse", backend=backend)
    expected = np.concatenate(
        [
            np.linspace(x[:, 0], x[:, 1], 5, axis=-1),
            np.logspace(x[:, 0], x[:, 1], 3, axis=-1),
            np.geomspace(x[:, 1], x[:, 1] * 8, 4, axis=-1),
        ],
        axis=-1,
    )
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)


def test_matrices_and_filled_tensors():
    np.testing.assert_array_equal(ops.eye(3, 4, k=1).numpy(), np.eye(3, 4, 1))
    np.testing.assert_array_equal(ops.identity(2).numpy(), np.identity(2))
    np.testing.assert_array_equal(ops.tri(3, 2, -1).numpy(), np.tri(3, 2, -1))
    assert ops.eye(2, dtype="int32").dtype == "int32"
    full = ops.full((2, 3), 7)
    assert full.dtype == "int32" and full.numpy().tolist() == [[7, 7, 7]] * 2
    np.testing.assert_array_equal(ops.full((2, 2), [1.0, 2.0]).numpy(), [[1, 2]] * 2)
    like = ops.full_like(np.zeros((2, 1), "float32"), np.nan)
    assert np.isnan(like.numpy()).all()
    assert ops.empty((2,)).numpy().tolist() == [0.0, 0.0]
    assert ops.empty_like(np.ones(3, "int32")).dtype == "int32"


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
def test_windows_match_numpy(name):
    result = getattr(ops, name)(7)
    assert result.dtype == "float32"
    np.testing.assert_allclose(result.numpy(), getattr(np, name)(7), atol=1e-7)


def test_kaiser_window():
    np.testing.assert_allclose(ops.kaiser(6, 3.5).numpy(), np.kaiser(6, 3.5), rtol=1e-6)


def test_full_like_fills_an_unknown_batch():
    inputs = kg.Input(shape=(3,))
    model = kg.Model(inputs, ops.full_like(inputs, 2.5))
    model.compile(loss="mse", backend="llvm")
    result = model.predict(np.zeros((4, 3), "float32"), verbose=0)
    np.testing.assert_array_equal(result, np.full((4, 3), 2.5))
