"""Segment reductions (``ops/segments.py``): JAX's semantics (dropped ids,
identities of empty segments), eagerly and in a model on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
DATA = np.arange(12, dtype="float32").reshape(4, 3) - 5.0
IDS = np.array([0, 2, 0, 7])  # 7 is out of range for 4 segments: dropped


def _expected(kind, data, ids, count):
    identity = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}[kind]
    combine = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}
    out = np.full((count, *data.shape[1:]), identity, data.dtype)
    for row, segment in zip(data, ids, strict=True):
        if 0 <= segment < count:
            out[segment] = combine[kind](out[segment], row)
    return out


@pytest.mark.parametrize("kind", ["sum", "prod", "max", "min"])
def test_segments_match_jax_semantics(kind):
    fn = getattr(ops, f"segment_{kind}")
    np.testing.assert_array_equal(
        fn(DATA, IDS, num_segments=4).numpy(), _expected(kind, DATA, IDS, 4)
    )
    np.testing.assert_array_equal(fn(DATA, IDS).numpy(), _expected(kind, DATA, IDS, 8))
    ints = DATA.astype("int32")
    result = fn(ints, IDS, num_segments=3).numpy()
    assert result.dtype == np.int32
    if kind in ("sum", "prod"):
        np.testing.assert_array_equal(result, _expected(kind, ints, IDS, 3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_segments_in_a_model(backend):
    class Segments(layers.Layer):
        # Each row next to the sum and maximum of its segment (model outputs
        # are batch-major).
        def call(self, t):
            ids = ops.cast(t[:, 0] > 0, "int32")
            sums = ops.take(ops.segment_sum(t, ids, num_segments=2), ids, axis=0)
            peaks = ops.take(ops.segment_max(t, ids, 2), ids, axis=0)
            return ops.concatenate([t, sums, peaks], axis=1)

    inputs = kg.Input(batch_shape=(4, 3))
    model = kg.Model(inputs, Segments()(inputs))
    model.compile(loss="mse", backend=backend)
    ids = (DATA[:, 0] > 0).astype(int)
    expected = np.concatenate(
        [
            DATA,
            _expected("sum", DATA, ids, 2)[ids],
            _expected("max", DATA, ids, 2)[ids],
        ],
        axis=1,
    )
    result = model.predict(DATA, batch_size=4, verbose=0)
    np.testing.assert_array_equal(result, expected)


def test_symbolic_ids_need_num_segments():
    inputs = kg.Input(shape=(3,))
    with pytest.raises(ValueError, match="num_segments"):
        layers.Lambda(lambda t: ops.segment_sum(t, ops.cast(t[:, 0], "int32")))(inputs)
