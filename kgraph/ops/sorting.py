"""Sorting and the gathers along an axis it needs: ``argsort``,
``top_k_indices``, ``take_along_axis`` and ``scatter_add_along_axis``.

``sort`` and ``top_k``'s values are ``take_along_axis`` of the input at the
sorted indices, so they are differentiable: the gradient of
``take_along_axis`` is ``scatter_add_along_axis`` and the other way round.
Sorting is stable (ties keep their order, as ``jnp.argsort``), NaN sorts
last in ascending order and first in ``top_k``. Natively, ``argsort`` heap
sorts each row's indices by ``(value, index)`` (stable, ``n log n``, in
place), and ``top_k_indices`` inserts each element into the sorted prefix
of the ``k`` best (``n * k``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops.builder import apply
from kgraph.ops.history import recorded

_SORTABLE = ("int32", "int64", "float32", "float64")


# -- argsort and top_k_indices -------------------------------------------------


def _check_sortable(op: str, x: TensorType) -> None:
    if x.dtype not in _SORTABLE:
        raise errors.DTypeError(f"{op}: expected a numeric tensor. Received: {x}")
    if x.rank == 0:
        raise errors.ShapeError(f"{op}: expected a tensor of rank >= 1. Received: {x}")


def _argsort_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    _check_sortable("argsort", x)
    registry.normalize_axis("argsort", attrs["axis"], x.rank)
    return x.with_dtype("int32")


def _descending_order(x: np.ndarray, axis: int) -> np.ndarray:
    """Stable descending order with NaN first (``lax.top_k``'s order)."""
    axis %= x.ndim
    flipped = -x if dtypes.is_float(x.dtype.name) else np.invert(x)
    index = np.broadcast_to(
        np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1)), x.shape
    )
    return np.lexsort((index, flipped, ~np.isnan(x.astype(float))), axis=axis)


def _top_k_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    _check_sortable("top_k", x)
    k, size = attrs["k"], x.shape[-1]
    if k < 0 or (size is not None and k > size):
        raise errors.ShapeError(
            f"top_k: k must lie in [0, {size}] for a last axis of size {size}. "
            f"Received: k={k}"
        )
    return TensorType((*x.shape[:-1], k), "int32")


def _sort_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    axis = draw.integer(-len(shape), len(shape) - 1)
    dtype = draw.choice(["float", "int32"])
    domain = "real" if dtype == "float" else "index:3"
    return registry.Example([(shape, dtype, domain)], {"axis": axis})


def _top_k_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    dtype = draw.choice(["float", "int32"])
    domain = "real" if dtype == "float" else "index:3"
    return registry.Example([(shape, dtype, domain)], {"k": draw.integer(0, shape[-1])})


def _precedes(em: Any, value: ir.Value, other: ir.Value, dtype: str, descending: bool):
    """Whether ``value`` goes strictly before ``other``: smaller (larger when
    descending); NaN is the largest float."""
    builder = em.builder
    if not lowering.is_float(dtype):
        return builder.icmp_signed(">" if descending else "<", value, other)
    value_nan = builder.fcmp_unordered("uno", value, value)
    other_nan = builder.fcmp_unordered("uno", other, other)
    if descending:
        ordered = builder.fcmp_ordered(">", value, other)
        return builder.or_(ordered, builder.and_(value_nan, builder.not_(other_nan)))
    ordered = builder.fcmp_ordered("<", value, other)
    return builder.or_(ordered, builder.and_(other_nan, builder.not_(value_nan)))


def _emit_sorted_prefix(
    em: Any, x: Any, output: Any, axis: int, keep: int, descending: bool
) -> None:
    """Writes, for every row along ``axis``, the indices of its first
    ``keep`` elements in sorted order: each element is inserted into the
    sorted prefix, moving past the elements it strictly precedes (stable)."""
    shape = x.shape
    size = shape[axis]
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1 :])
    builder = em.builder
    step = em.index(inner)
    with em.loops([outer, inner], "s") as (o, i):
        base = builder.add(builder.mul(o, em.index(size * inner)), i)
        out_base = builder.add(builder.mul(o, em.index(keep * inner)), i)

        def out_at(j: ir.Value) -> ir.Value:
            return builder.add(out_base, builder.mul(j, step))

        with em.loop(size, "n") as position:
            value = em.load(x, builder.add(base, builder.mul(position, step)))
            filled = builder.select(
                builder.icmp_signed("<", position, em.index(keep)),
                position,
                em.index(keep),
            )
            slot = em.variable("int64", filled)
            head = builder.append_basic_block("ins.head")
            check = builder.append_basic_block("ins.check")
            move = builder.append_basic_block("ins.move")
            done = builder.append_basic_block("ins.done")
            builder.branch(head)
            builder.position_at_end(head)
            j = em.read(slot, lowering.I64)
            builder.cbranch(builder.icmp_signed(">", j, em.index(0)), check, done)
            builder.position_at_end(check)
            before = builder.sub(j, em.index(1))
            other_index = em.load(output, out_at(before))
            wide = em.convert(other_index, "int32", "int64")
            other = em.load(x, builder.add(base, builder.mul(wide, step)))
            goes_before = _precedes(em, value, other, x.dtype, descending)
            builder.cbranch(goes_before, move, done)
            builder.position_at_end(move)
            with builder.if_then(builder.icmp_signed("<", j, em.index(keep))):
                em.store(output, out_at(j), other_index)
            builder.store(before, slot)
            builder.branch(head)
            builder.position_at_end(done)
            j = em.read(slot, lowering.I64)
            with builder.if_then(builder.icmp_signed("<", j, em.index(keep))):
                em.store(output, out_at(j), em.convert(position, "int64", "int32"))


def _emit_heap_sort(em: Any, x: Any, output: Any, axis: int) -> None:
    """Writes, for every row along ``axis``, the indices that sort it: a
    heap sort of the index row in place, ordering by ``(value, index)`` so
    that the result is the stable order (``n log n`` steps, no scratch)."""
    shape = x.shape
    size = shape[axis]
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1 :])
    builder = em.builder
    step = em.index(inner)
    with em.loops([outer, inner], "h") as (o, i):
        base = builder.add(builder.mul(o, em.index(size * inner)), i)

        def at(j: ir.Value) -> ir.Value:
            return builder.add(base, builder.mul(j, step))

        def index_at(j: ir.Value) -> ir.Value:
            return em.load(output, at(j))

        def after(first: ir.Value, second: ir.Value) -> ir.Value:
            """Whether the element at index ``first`` sorts after the one at
            index ``second`` (i32 indices into the row)."""
            wide_a = em.convert(first, "int32", "int64")
            wide_b = em.convert(second, "int32", "int64")
            a, b = em.load(x, at(wide_a)), em.load(x, at(wide_b))
            later = _precedes(em, b, a, x.dtype, False)
            earlier = _precedes(em, a, b, x.dtype, False)
            tie = builder.and_(builder.not_(later), builder.not_(earlier))
            return builder.or_(
                later, builder.and_(tie, builder.icmp_signed(">", first, second))
            )

        def sift_down(root: ir.Value, end: ir.Value) -> None:
            slot = em.variable("int64", root)
            head = builder.append_basic_block("sift.head")
            body = builder.append_basic_block("sift.body")
            done = builder.append_basic_block("sift.done")
            builder.branch(head)
            builder.position_at_end(head)
            here = em.read(slot, lowering.I64)
            child = builder.add(builder.mul(here, em.index(2)), em.index(1))
            builder.cbranch(builder.icmp_signed("<", child, end), body, done)
            builder.position_at_end(body)
            right = builder.add(child, em.index(1))
            has_right = builder.icmp_signed("<", right, end)
            safe_right = builder.select(has_right, right, child)
            bigger = builder.and_(
                has_right, after(index_at(safe_right), index_at(child))
            )
            child = builder.select(bigger, safe_right, child)
            top, below = index_at(here), index_at(child)
            swap = builder.append_basic_block("sift.swap")
            builder.cbranch(after(below, top), swap, done)
            builder.position_at_end(swap)
            em.store(output, at(here), below)
            em.store(output, at(child), top)
            builder.store(child, slot)
            builder.branch(head)
            builder.position_at_end(done)

        with em.loop(size, "n") as position:
            em.store(output, at(position), em.convert(position, "int64", "int32"))
        with em.loop(size // 2, "b") as k:
            sift_down(builder.sub(em.index(size // 2 - 1), k), em.index(size))
        with em.loop(size - 1, "p") as k:
            end = builder.sub(em.index(size - 1), k)
            first, last = index_at(em.index(0)), index_at(end)
            em.store(output, at(em.index(0)), last)
            em.store(output, at(end), first)
            sift_down(em.index(0), end)


def _lower_argsort(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    _emit_heap_sort(em, x, output, attrs["axis"] % len(x.shape))


def _lower_top_k(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    _emit_sorted_prefix(em, x, output, len(x.shape) - 1, attrs["k"], True)


registry.register(
    registry.OpDef(
        name="argsort",
        kind=registry.GATHER,
        arity=1,
        infer=_argsort_infer,
        reference=lambda arrays, attrs: np.argsort(
            arrays[0], axis=attrs["axis"], kind="stable"
        ),
        grad=None,
        example=_sort_example,
        doc="Indices that sort along an axis (stable; NaN last).",
        attrs={"axis": registry.Attr(registry.as_int, -1)},
        differentiable=False,
        lower=_lower_argsort,
    )
)
registry.register(
    registry.OpDef(
        name="top_k_indices",
        kind=registry.GATHER,
        arity=1,
        infer=_top_k_infer,
        reference=lambda arrays, attrs: _descending_order(arrays[0], -1)[
            ..., : attrs["k"]
        ],
        grad=None,
        example=_top_k_example,
        doc="Indices of the k largest elements of the last axis, largest first.",
        attrs={"k": registry.Attr(registry.as_int)},
        differentiable=False,
        lower=_lower_top_k,
    )
)


# -- take_along_axis and scatter_add_along_axis --------------------------------


def _along_infer(op: str, scatter: bool) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        x, indices = types
        if not dtypes.is_int(indices.dtype):
            raise errors.DTypeError(
                f"{op}: indices must be int32 or int64. Received: {indices}"
            )
        if x.rank != indices.rank or x.rank == 0:
            raise errors.ShapeError(
                f"{op}: the tensor and the indices must have the same rank "
                f"(at least 1). Received: {x} and {indices}"
            )
        axis = registry.normalize_axis(op, attrs["axis"], x.rank)
        for a, (d, e) in enumerate(zip(x.shape, indices.shape, strict=True)):
            if a != axis and d is not None and e is not None and d != e:
                raise errors.ShapeError(
                    f"{op}: the tensor and the indices must agree on every axis "
                    f"but {axis}. Received: {x} and {indices}"
                )
        if scatter:
            shape = list(x.shape)
            shape[axis] = attrs["size"]
            return x.with_shape(tuple(shape))
        return TensorType(indices.shape, x.dtype)

    return infer


def _along_index(indices: np.ndarray, axis: int) -> tuple:
    """The NumPy index that picks ``indices`` along ``axis``."""
    grids = np.indices(indices.shape, sparse=True)
    return tuple(indices if a == axis else grids[a] for a in range(indices.ndim))


def _take_along_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x, indices = arrays
    axis = attrs["axis"] % x.ndim
    shape_ops._check_range("take_along_axis", indices, x.shape[axis], axis)
    return x[_along_index(indices, axis)]


def _scatter_along_reference(arrays: Any, attrs: Any) -> np.ndarray:
    updates, indices = arrays
    axis = attrs["axis"] % updates.ndim
    size = attrs["size"]
    shape_ops._check_range("scatter_add_along_axis", indices, size, axis)
    shape = list(updates.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=updates.dtype)
    np.add.at(out, _along_index(indices, axis), updates)
    return out


def _along_example(scatter: bool) -> Any:
    def example(draw: Any) -> registry.Example:
        shape = draw.shape(min_rank=1)
        axis = draw.integer(-len(shape), len(shape) - 1)
        size = shape[axis]
        picked = list(shape)
        picked[axis] = draw.integer(1, 4)
        if scatter:
            return registry.Example(
                [
                    (tuple(picked), "float", "real"),
                    (tuple(picked), "int32", f"index:{size}"),
                ],
                {"axis": axis, "size": size},
            )
        return registry.Example(
            [(shape, "float", "real"), (tuple(picked), "int32", f"index:{size}")],
            {"axis": axis},
        )

    return example


def _along_sizes(shape: tuple, axis: int) -> tuple[int, int]:
    return math.prod(shape[:axis]), math.prod(shape[axis + 1 :])


def _lower_take_along(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    x, indices = inputs
    axis = attrs["axis"] % len(x.shape)
    outer, inner = _along_sizes(x.shape, axis)
    size, count = x.shape[axis], indices.shape[axis]
    builder = em.builder
    with em.loops([outer, count, inner], "t") as (o, k, i):
        here = em.flat_index([o, k, i], [count * inner, inner, 1])
        row = lowering.gather_index(em, em.load(indices, here), size, indices.dtype)
        source = builder.add(
            builder.mul(
                builder.add(builder.mul(o, em.index(size)), row), em.index(inner)
            ),
            i,
        )
        em.store(output, here, em.load(x, source))


def _lower_scatter_along(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    updates, indices = inputs
    axis = attrs["axis"] % len(updates.shape)
    outer, inner = _along_sizes(updates.shape, axis)
    size, count = attrs["size"], indices.shape[axis]
    builder = em.builder
    add = builder.fadd if lowering.is_float(output.dtype) else builder.add
    with em.loop(output.size, "z") as index:
        em.store(output, index, em.const(0, output.dtype))
    with em.loops([outer, count, inner], "u") as (o, k, i):
        here = em.flat_index([o, k, i], [count * inner, inner, 1])
        row = lowering.gather_index(em, em.load(indices, here), size, indices.dtype)
        target = builder.add(
            builder.mul(
                builder.add(builder.mul(o, em.index(size)), row), em.index(inner)
            ),
            i,
        )
        em.store(output, target, add(em.load(output, target), em.load(updates, here)))


def _take_along_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    x, indices = inputs
    axis = attrs["axis"] % x.ndim
    size = x.shape[axis]
    if size is None:
        raise errors.ShapeError(
            "take_along_axis gradient: the gathered axis must have a known size. "
            f"Received: {x.type}"
        )
    return [scatter_add_along_axis(cotangent, indices, axis, size), None]


registry.register(
    registry.OpDef(
        name="take_along_axis",
        kind=registry.GATHER,
        arity=2,
        infer=_along_infer("take_along_axis", False),
        reference=_take_along_reference,
        grad=_take_along_grad,
        example=_along_example(False),
        doc="Gathers along an axis with indices of the tensor's rank.",
        attrs={"axis": registry.Attr(registry.as_int)},
        lower=_lower_take_along,
    )
)
registry.register(
    registry.OpDef(
        name="scatter_add_along_axis",
        kind=registry.GATHER,
        arity=2,
        infer=_along_infer("scatter_add_along_axis", True),
        reference=_scatter_along_reference,
        grad=lambda inputs, output, cotangent, attrs: [
            take_along_axis(cotangent, inputs[1], attrs["axis"]),
            None,
        ],
        example=_along_example(True),
        doc="Adds into zeros along an axis (take_along_axis's gradient).",
        attrs={
            "axis": registry.Attr(registry.as_int),
            "size": registry.Attr(registry.as_int),
        },
        lower=_lower_scatter_along,
    )
)


# -- public functions ----------------------------------------------------------


def _sortable(x: Any) -> Any:
    from kgraph.ops import elementwise as ew

    x = shape_ops.as_tensor(x)
    return ew.cast(x, "int32") if x.dtype == "bool" else x


@recorded
def argsort(x: Any, axis: int | None = -1) -> Any:
    """Returns the indices that sort ``x`` along ``axis`` (stable: equal
    elements keep their order; NaN last), as ``keras.ops.argsort``.

    Args:
        x: a tensor.
        axis: the axis; ``None`` sorts the flattened tensor.

    Returns:
        An ``int32`` tensor of ``x``'s shape.

    Example:

    >>> argsort([3, 1, 2]).numpy()
    array([1, 2, 0], dtype=int32)
    """
    x = _sortable(x)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    if x.ndim == 0:
        return shape_ops.as_tensor(np.zeros((), dtype="int32"))
    return apply("argsort", [x], {"axis": axis})


@recorded
def sort(x: Any, axis: int = -1) -> Any:
    """Returns ``x`` sorted in ascending order along ``axis`` (NaN last).

    Example:

    >>> sort([3.0, 1.0, 2.0]).numpy()
    array([1., 2., 3.], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    return take_along_axis(x, argsort(x, axis=axis), axis=axis)


@recorded
def argpartition(x: Any, kth: int, axis: int = -1) -> Any:
    """Returns indices that partition ``x`` along ``axis`` around its
    ``kth`` smallest element: it lands in place ``kth``, smaller ones
    before and larger ones after, as ``keras.ops.argpartition``. (kgraph
    sorts fully, which is one valid partition.)

    Example:

    >>> argpartition([3, 4, 2, 1], 2).numpy()
    array([3, 2, 0, 1], dtype=int32)
    """
    x = _sortable(x)
    size = x.shape[axis]
    if size is not None and not -size <= kth < size:
        raise ValueError(
            f"argpartition: kth must lie in [-{size}, {size}) for an axis of size "
            f"{size}. Received: kth={kth}"
        )
    return argsort(x, axis=axis)


def top_k_indices(x: Any, k: int) -> Any:
    """Returns the indices of the ``k`` largest elements of the last axis,
    largest first (ties: the earlier element first), as ``int32``.

    Example:

    >>> top_k_indices([1.0, 3.0, 2.0], 2).numpy()
    array([1, 2], dtype=int32)
    """
    return apply("top_k_indices", [_sortable(x)], {"k": int(k)})


@recorded
def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Any, Any]:
    """Returns the ``k`` largest elements of the last axis and their
    indices, largest first, as ``keras.ops.top_k``.

    Args:
        x: a tensor of rank >= 1.
        k: how many elements to keep.
        sorted: kgraph always returns them sorted (Keras allows that).

    Returns:
        ``(values, indices)``, both of shape ``x.shape[:-1] + (k,)``.

    Example:

    >>> values, indices = top_k([1.0, 3.0, 2.0], 2)
    >>> values.numpy(), indices.numpy()
    (array([3., 2.], dtype=float32), array([1, 2], dtype=int32))
    """
    del sorted
    x = shape_ops.as_tensor(x)
    indices = top_k_indices(x, k)
    return take_along_axis(x, indices, axis=-1), indices


@recorded
def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Picks elements of ``x`` along ``axis`` at ``indices`` (of the same
    rank; other axes broadcast), as ``keras.ops.take_along_axis``.

    Args:
        x: a tensor.
        indices: integer indices; negative ones count from the end.
        axis: the axis; ``None`` uses the flattened ``x``.

    Example:

    >>> take_along_axis([[10, 30, 20]], [[1, 0]], axis=1).numpy()
    array([[30, 10]], dtype=int32)
    """
    from kgraph.ops import elementwise as ew

    x = shape_ops.as_tensor(x)
    indices = shape_ops.as_tensor(indices)
    if not dtypes.is_int(indices.dtype):
        indices = ew.cast(indices, "int32")
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
        indices = shape_ops.reshape(indices, (-1,))
    if x.ndim != indices.ndim:
        raise ValueError(
            "take_along_axis: x and indices must have the same rank. "
            f"Received: x.shape={x.shape}, indices.shape={indices.shape}"
        )
    axis = registry.normalize_axis("take_along_axis", axis, x.ndim)
    x, indices = _broadcast_except(x, indices, axis)
    return apply("take_along_axis", [x, indices], {"axis": axis})


def _broadcast_except(x: Any, indices: Any, axis: int) -> tuple[Any, Any]:
    """Broadcasts the axes other than ``axis`` (sizes of 1 stretch)."""
    x_shape, i_shape = list(x.shape), list(indices.shape)
    for a in range(len(x_shape)):
        if a == axis:
            continue
        d, e = x_shape[a], i_shape[a]
        if d == 1 and e != 1:
            x_shape[a] = e
        elif e == 1 and d != 1:
            i_shape[a] = d
    if x_shape != list(x.shape):
        x = shape_ops.broadcast_to(x, x_shape)
    if i_shape != list(indices.shape):
        indices = shape_ops.broadcast_to(indices, i_shape)
    return x, indices


def scatter_add_along_axis(updates: Any, indices: Any, axis: int, size: int) -> Any:
    """Adds ``updates`` into zeros whose ``axis`` has ``size`` elements, at
    ``indices`` along that axis (the gradient of ``take_along_axis``).

    Example:

    >>> scatter_add_along_axis([[1.0, 2.0]], [[2, 2]], axis=1, size=3).numpy()
    array([[0., 0., 3.]], dtype=float32)
    """
    attrs = {"axis": axis, "size": size}
    return apply("scatter_add_along_axis", [updates, indices], attrs)
