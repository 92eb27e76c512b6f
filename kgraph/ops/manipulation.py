"""Rearranging tensors, as ``keras.ops``'s NumPy functions: tiling,
repeating, splitting, stacking, rolling, rotating, triangles and diagonals,
and writing into parts of a tensor (``slice_update``, ``scatter``).

Everything here is composed from the shape primitives (slices, pads,
concatenation, gathers), ``where`` and sums, so gradients and native code
come from them. Sizes that decide how a tensor is cut (the split axis, the
diagonal's matrix) must be known when the model is defined; other axes,
such as the batch, may be unknown.
"""

from __future__ import annotations

import builtins
import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph.ops import composite
from kgraph.ops import elementwise as ew
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import reduce as reduce_ops
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded
from kgraph.ops.tensor import SymbolicTensor


def _static(op: str, x: Any, axis: int) -> int:
    size = x.shape[axis]
    if size is None:
        raise ValueError(
            f"{op}: axis {axis} must have a size known when the model is defined. "
            f"Received: shape={tuple(x.shape)}"
        )
    return int(size)


def _take_slice(x: Any, axis: int, start: int, stop: int) -> Any:
    key = [builtins.slice(None)] * x.ndim
    key[axis] = builtins.slice(start, stop)
    return shape_ops.get_item(x, tuple(key))


# -- tiling and repeating ------------------------------------------------------


@recorded
def tile(x: Any, repeats: Any) -> Any:
    """Repeats the whole of ``x`` ``repeats[i]`` times along axis ``i``, as
    ``keras.ops.tile`` (NumPy's rules when ``repeats`` and ``x`` differ in
    length).

    Example:

    >>> tile([1, 2], 2).numpy()
    array([1, 2, 1, 2], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    reps = [int(r) for r in np.atleast_1d(np.asarray(repeats))]
    if len(reps) < x.ndim:
        reps = [1] * (x.ndim - len(reps)) + reps
    while x.ndim < len(reps):
        x = shape_ops.expand_dims(x, 0)
    for axis, count in enumerate(reps):
        if count == 1:
            continue
        if count == 0:
            x = _take_slice(x, axis, 0, 0)
        elif x.shape[axis] is None:
            x = shape_ops.concatenate([x] * count, axis=axis)
        else:  # one gather of the axis's positions, repeated
            positions = np.tile(np.arange(int(x.shape[axis]), dtype="int32"), count)
            x = shape_ops.take(x, positions, axis=axis)
    return x


@recorded
def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    """Repeats each element of ``x`` along ``axis`` (of the flattened ``x``
    for ``None``), as ``keras.ops.repeat``.

    Args:
        x: a tensor.
        repeats: an int, or one int per element along the axis.
        axis: the axis.

    Example:

    >>> repeat([1, 2], 2).numpy()
    array([1, 1, 2, 2], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    axis = registry.normalize_axis("repeat", axis, x.ndim)
    size = _static("repeat", x, axis)
    counts = np.asarray(repeats)
    if isinstance(repeats, SymbolicTensor):
        raise ValueError(
            "repeat: repeats must be known when the model is defined. "
            f"Received: {repeats!r}"
        )
    indices = np.repeat(np.arange(size, dtype="int32"), counts)
    return shape_ops.take(x, indices, axis=axis)


# -- splitting and stacking ----------------------------------------------------


def _split_points(op: str, size: int, sections: Any, equal: bool) -> list[int]:
    if isinstance(sections, int | np.integer):
        count = int(sections)
        if count <= 0:
            raise ValueError(
                f"{op}: the number of sections must be positive. Received: {sections}"
            )
        if equal and size % count:
            raise ValueError(
                f"{op}: an axis of size {size} does not split into {count} equal "
                f"parts. Use array_split for unequal parts. Received: "
                f"indices_or_sections={sections}"
            )
        base, extra = divmod(size, count)
        sizes = [base + 1] * extra + [base] * (count - extra)
        return list(np.cumsum(sizes)[:-1])
    return [int(i) for i in sections]


def _split(op: str, x: Any, sections: Any, axis: int, equal: bool) -> list[Any]:
    x = shape_ops.as_tensor(x)
    axis = registry.normalize_axis(op, axis, x.ndim)
    size = _static(op, x, axis)
    points = [
        builtins.min(builtins.max(p if p >= 0 else p + size, 0), size)
        for p in _split_points(op, size, sections, equal)
    ]
    bounds = [0, *points, size]
    return [
        _take_slice(x, axis, start, builtins.max(start, stop))
        for start, stop in itertools.pairwise(bounds)
    ]


@recorded
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Splits ``x`` along ``axis`` into equal parts (an int) or at the given
    indices (a list), as ``keras.ops.split``.

    Example:

    >>> [p.numpy() for p in split([1, 2, 3, 4], 2)]
    [array([1, 2], dtype=int32), array([3, 4], dtype=int32)]
    """
    return _split("split", x, indices_or_sections, axis, equal=True)


@recorded
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Like ``split``, but an int need not divide the axis: the first parts
    get one element more.

    Example:

    >>> [p.numpy() for p in array_split([1, 2, 3], 2)]
    [array([1, 2], dtype=int32), array([3], dtype=int32)]
    """
    return _split("array_split", x, indices_or_sections, axis, equal=False)


@recorded
def hsplit(x: Any, indices_or_sections: Any) -> list[Any]:
    """Splits along axis 1 (axis 0 of a vector)."""
    x = shape_ops.as_tensor(x)
    return split(x, indices_or_sections, axis=0 if x.ndim == 1 else 1)


@recorded
def vsplit(x: Any, indices_or_sections: Any) -> list[Any]:
    """Splits along axis 0 (``x`` of rank >= 2)."""
    return split(x, indices_or_sections, axis=0)


@recorded
def dsplit(x: Any, indices_or_sections: Any) -> list[Any]:
    """Splits along axis 2 (``x`` of rank >= 3)."""
    return split(x, indices_or_sections, axis=2)


def _at_least(x: Any, rank: int) -> Any:
    """NumPy's ``atleast_2d``/``atleast_3d``."""
    x = shape_ops.as_tensor(x)
    if x.ndim >= rank:
        return x
    if x.ndim == 0:
        return shape_ops.reshape(x, (1,) * rank)
    if x.ndim == 1:
        x = shape_ops.expand_dims(x, 0)
    return x if rank == 2 else shape_ops.expand_dims(x, -1)


@recorded
def hstack(xs: Sequence[Any]) -> Any:
    """Joins tensors along axis 1 (axis 0 for vectors).

    Example:

    >>> hstack([[1, 2], [3]]).numpy()
    array([1, 2, 3], dtype=int32)
    """
    xs = [shape_ops.as_tensor(x) for x in xs]
    axis = 0 if xs[0].ndim == 1 else 1
    return shape_ops.concatenate(xs, axis=axis)


@recorded
def vstack(xs: Sequence[Any]) -> Any:
    """Joins tensors along axis 0, vectors as rows.

    Example:

    >>> vstack([[1, 2], [3, 4]]).numpy()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    return shape_ops.concatenate([_at_least(x, 2) for x in xs], axis=0)


@recorded
def dstack(xs: Sequence[Any]) -> Any:
    """Joins tensors along axis 2, after making them at least 3-D."""
    return shape_ops.concatenate([_at_least(x, 3) for x in xs], axis=2)


@recorded
def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Any]:
    """Splits ``x`` along ``axis`` into its slices, that axis removed.

    Example:

    >>> [t.numpy() for t in unstack([[1, 2], [3, 4]])]
    [array([1, 2], dtype=int32), array([3, 4], dtype=int32)]
    """
    x = shape_ops.as_tensor(x)
    axis = registry.normalize_axis("unstack", axis, x.ndim)
    size = x.shape[axis]
    if size is None:
        if num is None:
            raise ValueError(
                f"unstack: axis {axis} has an unknown size; pass num. "
                f"Received: shape={tuple(x.shape)}"
            )
        size = num
    key = [builtins.slice(None)] * x.ndim
    parts = []
    for i in range(int(size)):
        key[axis] = i
        parts.append(shape_ops.get_item(x, tuple(key)))
    return parts


@recorded
def append(x1: Any, x2: Any, axis: int | None = None) -> Any:
    """Appends ``x2`` to ``x1`` along ``axis`` (flattened for ``None``).

    Example:

    >>> append([1, 2], [[3]]).numpy()
    array([1, 2, 3], dtype=int32)
    """
    x1, x2 = shape_ops.as_tensor(x1), shape_ops.as_tensor(x2)
    if axis is None:
        x1, x2, axis = shape_ops.reshape(x1, (-1,)), shape_ops.reshape(x2, (-1,)), 0
    return shape_ops.concatenate([x1, x2], axis=axis)


@recorded
def meshgrid(*x: Any, indexing: str = "xy") -> list[Any]:
    """Returns coordinate grids from 1-D coordinate vectors, as
    ``keras.ops.meshgrid`` (``"xy"``: the first two axes swapped).

    Example:

    >>> a, b = meshgrid([1, 2], [3, 4, 5])
    >>> a.shape, b.shape
    ((3, 2), (3, 2))
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"meshgrid: indexing must be 'xy' or 'ij'. Received: indexing={indexing!r}"
        )
    vectors = [shape_ops.reshape(shape_ops.as_tensor(v), (-1,)) for v in x]
    sizes = [v.shape[0] for v in vectors]
    count = len(vectors)
    if indexing == "xy" and count >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, vector in enumerate(vectors):
        position = i
        if indexing == "xy" and count >= 2 and i < 2:
            position = 1 - i
        target = [1] * count
        target[position] = -1
        grids.append(shape_ops.broadcast_to(shape_ops.reshape(vector, target), sizes))
    return grids


# -- axes ----------------------------------------------------------------------


@recorded
def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Moves axes of ``x`` to new positions, the others keeping their order.

    Example:

    >>> moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    x = shape_ops.as_tensor(x)
    sources = [
        registry.normalize_axis("moveaxis", a, x.ndim) for a in np.atleast_1d(source)
    ]
    targets = [
        registry.normalize_axis("moveaxis", a, x.ndim)
        for a in np.atleast_1d(destination)
    ]
    if len(sources) != len(targets):
        raise ValueError(
            "moveaxis: source and destination must have the same number of "
            f"axes. Received: source={source}, destination={destination}"
        )
    order = [a for a in range(x.ndim) if a not in sources]
    for target, axis in sorted(zip(targets, sources, strict=True)):
        order.insert(target, axis)
    if order == list(range(x.ndim)):
        return x
    return linalg_ops.transpose(x, order)


@recorded
def ravel(x: Any) -> Any:
    """Returns ``x`` flattened to one axis.

    Example:

    >>> ravel([[1, 2], [3, 4]]).numpy()
    array([1, 2, 3, 4], dtype=int32)
    """
    return shape_ops.reshape(shape_ops.as_tensor(x), (-1,))


@recorded
def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """Rolls elements along ``axis`` (the flattened ``x`` for ``None``):
    those pushed past the end come back at the start.

    Example:

    >>> roll([1, 2, 3, 4], 1).numpy()
    array([4, 1, 2, 3], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    if axis is None:
        flat = roll(shape_ops.reshape(x, (-1,)), shift, 0)
        return shape_ops.reshape(flat, [-1 if d is None else d for d in x.shape])
    shifts = np.atleast_1d(np.asarray(shift))
    axes = np.atleast_1d(np.asarray(axis))
    shifts, axes = np.broadcast_arrays(shifts, axes)
    totals: dict[int, int] = {}
    for s, a in zip(shifts, axes, strict=True):
        a = registry.normalize_axis("roll", int(a), x.ndim)
        totals[a] = totals.get(a, 0) + int(s)
    for a, s in totals.items():
        size = _static("roll", x, a)
        s = s % size if size else 0
        if s:
            x = shape_ops.concatenate(
                [_take_slice(x, a, size - s, size), _take_slice(x, a, 0, size - s)], a
            )
    return x


@recorded
def fliplr(x: Any) -> Any:
    """Reverses axis 1 (left and right)."""
    return shape_ops.flip(x, axis=1)


@recorded
def flipud(x: Any) -> Any:
    """Reverses axis 0 (up and down)."""
    return shape_ops.flip(x, axis=0)


@recorded
def rot90(array: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotates ``array`` by 90 degrees ``k`` times in the plane of ``axes``
    (from the first axis towards the second), as ``keras.ops.rot90``.

    Example:

    >>> rot90([[1, 2], [3, 4]]).numpy()
    array([[2, 4],
           [1, 3]], dtype=int32)
    """
    x = shape_ops.as_tensor(array)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes. Received: axes={axes}")
    first = registry.normalize_axis("rot90", axes[0], x.ndim)
    second = registry.normalize_axis("rot90", axes[1], x.ndim)
    if first == second:
        raise ValueError(f"rot90: the axes must differ. Received: axes={axes}")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return shape_ops.flip(shape_ops.flip(x, first), second)
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return linalg_ops.transpose(shape_ops.flip(x, second), order)
    return shape_ops.flip(linalg_ops.transpose(x, order), second)


# -- triangles and diagonals ---------------------------------------------------


def _matrix_dims(op: str, x: Any) -> tuple[int, int]:
    if x.ndim < 2:
        raise ValueError(f"{op}: expected a tensor of rank >= 2. Received: {x.shape}")
    return _static(op, x, x.ndim - 2), _static(op, x, x.ndim - 1)


@recorded
def tril(x: Any, k: int = 0) -> Any:
    """Keeps the lower triangle of the last two axes (on and below the
    ``k``-th diagonal), zeros elsewhere.

    Example:

    >>> tril([[1, 2], [3, 4]]).numpy()
    array([[1, 0],
           [3, 4]], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    rows, columns = _matrix_dims("tril", x)
    mask = np.tri(rows, columns, int(k), dtype=bool)
    return ew.where(mask, x, np.zeros((), x.dtype))


@recorded
def triu(x: Any, k: int = 0) -> Any:
    """Keeps the upper triangle of the last two axes (on and above the
    ``k``-th diagonal), zeros elsewhere.

    Example:

    >>> triu([[1, 2], [3, 4]]).numpy()
    array([[1, 2],
           [0, 4]], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    rows, columns = _matrix_dims("triu", x)
    mask = ~np.tri(rows, columns, int(k) - 1, dtype=bool)
    return ew.where(mask, x, np.zeros((), x.dtype))


@recorded
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Returns the diagonal of the ``axis1``/``axis2`` planes of ``x`` as a
    new last axis (``offset`` above the main one if positive), as
    ``keras.ops.diagonal``.

    Example:

    >>> diagonal([[1, 2], [3, 4]]).numpy()
    array([1, 4], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    first = registry.normalize_axis("diagonal", axis1, x.ndim)
    second = registry.normalize_axis("diagonal", axis2, x.ndim)
    if first == second:
        raise ValueError(
            f"diagonal: axis1 and axis2 must differ. Received: {axis1}, {axis2}"
        )
    x = moveaxis(x, [first, second], [-2, -1])
    rows, columns = _matrix_dims("diagonal", x)
    offset = int(offset)
    row0, column0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(rows - row0, columns - column0), 0)
    picked = shape_ops.take(x, np.arange(row0, row0 + length, dtype="int32"), axis=-2)
    hits = np.arange(columns) == (np.arange(length) + column0)[:, None]
    kept = ew.where(hits, picked, np.zeros((), picked.dtype))
    return (
        reduce_ops.sum(kept, axis=-1)
        if picked.dtype != "bool"
        else (ew.not_equal(reduce_ops.sum(ew.cast(kept, "int32"), axis=-1), 0))
    )


@recorded
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Returns the sum of the diagonal (see ``diagonal``).

    Example:

    >>> trace([[1, 2], [3, 4]]).numpy()
    array(5, dtype=int32)
    """
    diagonals = diagonal(x, offset, axis1, axis2)
    if diagonals.dtype == "bool":
        diagonals = ew.cast(diagonals, "int32")
    return reduce_ops.sum(diagonals, axis=-1)


@recorded
def diag(x: Any, k: int = 0) -> Any:
    """For a vector, the square matrix with it on the ``k``-th diagonal; for
    a matrix, its ``k``-th diagonal, as ``keras.ops.diag``.

    Example:

    >>> diag([1, 2]).numpy()
    array([[1, 0],
           [0, 2]], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: expected a vector or a matrix. Received: {x.shape}")
    size = _static("diag", x, 0)
    k = int(k)
    n = size + builtins.abs(k)
    rows, columns = np.indices((n, n))
    position = np.where(k >= 0, rows, columns)
    on_diagonal = columns - rows == k
    gathered = shape_ops.take(x, np.clip(position, 0, size - 1).astype("int32"))
    return ew.where(on_diagonal, gathered, np.zeros((), x.dtype))


@recorded
def diagflat(x: Any, k: int = 0) -> Any:
    """Returns the square matrix with the flattened ``x`` on its ``k``-th
    diagonal."""
    return diag(ravel(x), k)


# -- choosing and writing ------------------------------------------------------


@recorded
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """Returns, elementwise, the choice of the first true condition, else
    ``default``, as ``keras.ops.select``.

    Example:

    >>> select([[True, False], [False, True]], [[1, 2], [3, 4]], 0).numpy()
    array([1, 4], dtype=int32)
    """
    if len(condlist) != len(choicelist):
        raise ValueError(
            "select: condlist and choicelist must have the same length. "
            f"Received: {len(condlist)} and {len(choicelist)}"
        )
    if not condlist:
        raise ValueError("select: condlist must not be empty. Received: []")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = ew.where(condition, choice, result)
    return result


@recorded
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """Returns ``inputs`` with the block starting at ``start_indices``
    replaced by ``updates``, as ``keras.ops.slice_update``.

    Args:
        inputs: a tensor.
        start_indices: one int per axis, known when the model is defined.
        updates: the new block, of ``inputs``'s rank.

    Example:

    >>> slice_update(np.zeros(4, "int32"), [1], np.array([7, 8], "int32")).numpy()
    array([0, 7, 8, 0], dtype=int32)
    """
    inputs = shape_ops.as_tensor(inputs)
    updates = shape_ops.as_tensor(updates)
    if isinstance(start_indices, SymbolicTensor):
        raise ValueError(
            "slice_update: start_indices must be known when the model is "
            f"defined. Received: {start_indices!r}"
        )
    starts = [int(s) for s in np.asarray(start_indices).reshape(-1)]
    if len(starts) != inputs.ndim or updates.ndim != inputs.ndim:
        raise ValueError(
            "slice_update: start_indices needs one entry per axis and updates "
            f"the rank of inputs. Received: start_indices={starts}, "
            f"inputs.shape={inputs.shape}, updates.shape={updates.shape}"
        )
    highs = []
    for axis, (start, size, block) in enumerate(
        zip(starts, inputs.shape, updates.shape, strict=True)
    ):
        if size is None and start == 0 and block is None:
            highs.append(0)
            continue
        if size is None or block is None or not 0 <= start <= size - block:
            raise ValueError(
                f"slice_update: the block of shape {updates.shape} at "
                f"{starts} does not fit inside {inputs.shape} on axis {axis}. "
                f"Received: start_indices={starts}"
            )
        highs.append(size - block - start)
    updates = ew.cast(updates, inputs.dtype)
    zeros = [0] * inputs.ndim
    placed = shape_ops.pad_general(updates, starts, highs, zeros, 0.0)
    ones = composite.ones_like(updates, "float32")
    inside = shape_ops.pad_general(ones, starts, highs, zeros, 0.0)
    return ew.where(ew.greater(inside, 0.5), placed, inputs)


def _flat_positions(op: str, indices: Any, shape: Sequence[int]) -> tuple[Any, int]:
    """Row-major positions of the index rows among the first ``k`` axes of
    ``shape`` (``k`` = the indices' last size), as int32."""
    indices = shape_ops.as_tensor(indices)
    if indices.ndim != 2 or indices.shape[1] is None:
        raise ValueError(
            f"{op}: indices must have shape (num_updates, k). "
            f"Received: shape={tuple(indices.shape)}"
        )
    k = int(indices.shape[1])
    if k > len(shape):
        raise ValueError(
            f"{op}: each index row has {k} entries for a tensor of rank "
            f"{len(shape)}. Received: indices.shape={tuple(indices.shape)}"
        )
    steps = np.asarray([math.prod(shape[a + 1 : k]) for a in range(k)], dtype="int32")
    indices = ew.cast(indices, "int32")
    sizes = np.asarray(shape[:k], dtype="int32")
    wrapped = ew.where(ew.less(indices, 0), ew.add(indices, sizes), indices)
    return reduce_ops.sum(ew.multiply(wrapped, steps), axis=1), k


@recorded
def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """Returns zeros of ``shape`` with ``values`` added at ``indices`` (rows
    of ``k`` coordinates; ``values`` then has shape ``(rows,) + shape[k:]``),
    as ``keras.ops.scatter``.

    Example:

    >>> scatter([[0], [2], [0]], np.array([1.0, 2.0, 3.0], "float32"), (3,)).numpy()
    array([4., 0., 2.], dtype=float32)
    """
    shape = tuple(int(d) for d in shape)
    values = shape_ops.as_tensor(values)
    positions, k = _flat_positions("scatter", indices, shape)
    size = math.prod(shape[:k])
    flat = shape_ops.scatter_add(values, positions, axis=0, size=size)
    return shape_ops.reshape(flat, shape)


@recorded
def scatter_update(
    inputs: Any, indices: Any, updates: Any, reduction: str | None = None
) -> Any:
    """Returns ``inputs`` with ``updates`` written at ``indices``, as
    ``keras.ops.scatter_update``.

    Args:
        inputs: a tensor of a static shape.
        indices: ``(num_updates, k)`` coordinates of the first ``k`` axes.
        updates: ``(num_updates,) + inputs.shape[k:]`` new values.
        reduction: ``None`` (replace; with indices known when the model is
            defined, the last of repeated indices wins; with symbolic
            indices repeats must not occur), ``"add"``, ``"max"``, ``"min"``
            or ``"mul"`` (combining every update of an index with the
            input).

    Raises:
        ValueError: for another reduction.

    Example:

    >>> scatter_update(np.zeros(3, "float32"), [[1]], np.ones(1, "float32")).numpy()
    array([0., 1., 0.], dtype=float32)
    """
    inputs = shape_ops.as_tensor(inputs)
    shape = tuple(_static("scatter_update", inputs, a) for a in range(inputs.ndim))
    updates = ew.cast(shape_ops.as_tensor(updates), inputs.dtype)
    if reduction is not None:
        reduction = reduction.lower()
    if reduction == "add":
        return ew.add(inputs, scatter(indices, updates, shape))
    if reduction in _SEGMENT_REDUCTIONS:
        return _scatter_reduce(inputs, indices, updates, shape, reduction)
    if reduction is not None:
        raise ValueError(
            "scatter_update: reduction must be None, 'add', 'max', 'min' or "
            f"'mul'. Received: reduction={reduction!r}"
        )
    if not isinstance(indices, SymbolicTensor):
        rows = np.asarray(indices).reshape(len(np.asarray(indices)), -1)
        wrapped = np.where(rows < 0, rows + np.asarray(shape[: rows.shape[1]]), rows)
        keys = np.ravel_multi_index(tuple(wrapped.T), shape[: rows.shape[1]])
        _, last = np.unique(keys[::-1], return_index=True)
        keep = np.sort(len(keys) - 1 - last).astype("int32")
        if len(keep) != len(keys):
            indices = rows[keep]
            updates = shape_ops.take(updates, keep, axis=0)
    hit = scatter(indices, composite.ones_like(updates, "float32"), shape)
    values = updates if updates.dtype != "bool" else ew.cast(updates, "int32")
    written = ew.cast(scatter(indices, values, shape), inputs.dtype)
    return ew.where(ew.greater(hit, 0.5), written, inputs)


# -- einops-style rearrangement -----------------------------------------------


def _groups(side: str, pattern: str) -> list[list[str]]:
    """The axes of one side of a pattern: a name, or a parenthesized group."""
    groups: list[list[str]] = []
    for token in re.findall(r"\([^()]*\)|[^\s()]+", side):
        names = token[1:-1].split() if token.startswith("(") else [token]
        if not all(re.fullmatch(r"\w+", n) for n in names):
            raise ValueError(
                f"rearrange: axis names must be words. Received: pattern={pattern!r}"
            )
        groups.append(names)
    return groups


@recorded
def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Any:
    """Reorders, splits and merges axes as an einops pattern says, as
    ``keras.ops.rearrange``: ``"b h w c -> b (h w) c"`` merges ``h`` and
    ``w``; ``"b (h p) c -> b h p c"`` splits an axis, with ``p=...`` given
    (one size of each split group may be left out).

    Raises:
        ValueError: for a malformed pattern, or axes on one side only.

    Example:

    >>> rearrange(np.zeros((2, 3, 4)), "b h w -> b (w h)").shape
    (2, 12)
    """
    x = shape_ops.as_tensor(tensor)
    if pattern.count("->") != 1:
        raise ValueError(
            f"rearrange: expected 'inputs -> outputs'. Received: {pattern!r}"
        )
    left, right = (_groups(side, pattern) for side in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(
            f"rearrange: the pattern names {len(left)} axes for a tensor of rank "
            f"{x.ndim}. Received: pattern={pattern!r}"
        )
    flat_left = [n for g in left for n in g]
    flat_right = [n for g in right for n in g]
    if sorted(flat_left) != sorted(flat_right) or len(set(flat_left)) != len(flat_left):
        raise ValueError(
            "rearrange: both sides must name the same axes, once each. "
            f"Received: pattern={pattern!r}"
        )
    sizes: dict[str, Any] = {}
    for group, dim in zip(left, x.shape, strict=True):
        if len(group) == 1:
            sizes[group[0]] = axes_lengths.get(group[0], dim)
            continue
        known = [axes_lengths[n] for n in group if n in axes_lengths]
        missing = [n for n in group if n not in axes_lengths]
        if len(missing) > 1 or (missing and dim is None):
            raise ValueError(
                f"rearrange: give the sizes of the axes of {group} (all but one, of "
                f"an axis of known size). Received: axes_lengths={axes_lengths}"
            )
        for n in group:
            sizes[n] = (
                axes_lengths[n] if n in axes_lengths else int(dim) // math.prod(known)
            )
    if any(len(g) > 1 for g in left):
        x = shape_ops.reshape(
            x, [-1 if sizes[n] is None else sizes[n] for n in flat_left]
        )
    order = [flat_left.index(n) for n in flat_right]
    if order != list(range(len(order))):
        x = linalg_ops.transpose(x, order)
    if all(len(g) == 1 for g in right):
        return x
    merged = []
    for group in right:
        dims = [sizes[n] for n in group]
        merged.append(None if any(d is None for d in dims) else math.prod(dims))
    return shape_ops.reshape(x, [-1 if d is None else d for d in merged])


_SEGMENT_REDUCTIONS = {
    "max": "segment_max",
    "min": "segment_min",
    "mul": "segment_prod",
}


def _scatter_reduce(
    inputs: Any, indices: Any, updates: Any, shape: tuple, reduction: str
) -> Any:
    """Combines all updates of each index with the input: the updates are
    reduced per position (positions without one get the reduction's
    identity, which leaves the input unchanged), then combined with it."""
    from kgraph.ops import segments

    positions, k = _flat_positions("scatter_update", indices, shape)
    count = math.prod(shape[:k])
    reduce_fn = getattr(segments, _SEGMENT_REDUCTIONS[reduction])
    combined = reduce_fn(updates, positions, num_segments=count)
    combined = shape_ops.reshape(combined, shape)
    if reduction == "max":
        return ew.maximum(inputs, combined)
    if reduction == "min":
        return ew.minimum(inputs, combined)
    return ew.multiply(inputs, combined)
