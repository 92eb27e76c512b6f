"""Reductions of segments of a tensor's rows (``segment_sum``,
``segment_max``, ``segment_min``, ``segment_prod``), as
``keras.ops.segment_*`` (JAX's semantics: ids outside ``[0,
num_segments)`` are dropped; an empty segment holds the reduction's
identity: 0, -inf (the dtype's smallest int), +inf, 1).

Each is a ``where`` over a (rows x segments) membership mask followed by
the reduction over the rows, so gradients and native code come from those
primitives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import composite
from kgraph.ops import cumulative
from kgraph.ops import elementwise as ew
from kgraph.ops import reduce as reduce_ops
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded
from kgraph.ops.tensor import SymbolicTensor


def _segments(
    op: str, data: Any, segment_ids: Any, num_segments: int | None
) -> tuple[Any, Any]:
    """The data and the (rows, segments, 1, ...) membership mask."""
    data = shape_ops.as_tensor(data)
    ids = shape_ops.as_tensor(segment_ids)
    if ids.ndim != 1:
        raise ValueError(
            f"{op}: segment_ids must be 1-D. Received: shape={tuple(ids.shape)}"
        )
    if num_segments is None:
        if isinstance(ids, SymbolicTensor):
            raise ValueError(
                f"{op}: in a graph num_segments must be given (the result's size "
                "is fixed when the model is defined). Received: num_segments=None"
            )
        values = np.asarray(ids)
        num_segments = int(values.max()) + 1 if values.size else 0
    if not dtypes.is_int(ids.dtype):
        ids = ew.cast(ids, "int32")
    segments = np.arange(int(num_segments), dtype=dtypes.to_numpy(ids.dtype))
    mask = ew.equal(shape_ops.expand_dims(ids, 1), segments)
    mask = shape_ops.reshape(mask, [-1, int(num_segments)] + [1] * (data.ndim - 1))
    return shape_ops.expand_dims(data, 1), mask


def _identity(dtype: str, kind: str) -> Any:
    if kind in ("sum", "prod"):
        return np.asarray(0 if kind == "sum" else 1, dtypes.to_numpy(dtype))
    if dtypes.is_float(dtype):
        return np.asarray(-math.inf if kind == "max" else math.inf, dtype)
    info = np.iinfo(dtype)
    return np.asarray(info.min if kind == "max" else info.max, dtype)


def _reduce(op: str, kind: str, data: Any, ids: Any, num_segments: Any) -> Any:
    rows, mask = _segments(op, data, ids, num_segments)
    if rows.dtype == "bool":
        rows = ew.cast(rows, "int32")
    chosen = ew.where(mask, rows, _identity(rows.dtype, kind))
    if kind == "sum":
        return reduce_ops.sum(chosen, axis=0)
    if kind == "prod":
        return cumulative.prod(chosen, axis=0)
    if kind == "max":
        return reduce_ops.max(chosen, axis=0)
    return composite.min(chosen, axis=0)


@recorded
def segment_sum(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:
    """Sums the rows of ``data`` that share a segment id.

    Args:
        data: a tensor whose leading axis holds the rows.
        segment_ids: one int id per row.
        num_segments: how many segments (required in a graph; eagerly,
            default the largest id plus one).
        sorted: whether the ids are sorted (no effect in kgraph).

    Example:

    >>> segment_sum(np.array([1.0, 2.0, 3.0], "float32"), [0, 0, 2]).numpy()
    array([3., 0., 3.], dtype=float32)
    """
    return _reduce("segment_sum", "sum", data, segment_ids, num_segments)


@recorded
def segment_max(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:
    """Returns the maximum of the rows of each segment (-inf when empty)."""
    return _reduce("segment_max", "max", data, segment_ids, num_segments)


@recorded
def segment_min(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:
    """Returns the minimum of the rows of each segment (+inf when empty)."""
    return _reduce("segment_min", "min", data, segment_ids, num_segments)


@recorded
def segment_prod(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:
    """Returns the product of the rows of each segment (1 when empty)."""
    return _reduce("segment_prod", "prod", data, segment_ids, num_segments)
