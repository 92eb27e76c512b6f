"""Shape and indexing primitives: ``reshape``, ``broadcast_to``,
``strided_slice``, ``pad``, ``concatenate``, ``take`` and ``scatter_add``.

``pad`` has interior padding (XLA's pad) so that it is exactly the gradient
of a strided slice; ``scatter_add`` is the gradient of ``take``. The public
functions ``expand_dims``, ``squeeze``, ``stack`` and ``get_item`` (Python
indexing) are compositions of these.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply
from kgraph.ops.reduce import fill_unknown
from kgraph.ops.reduce import static_shape
from kgraph.ops.reduce import sum_to_shape
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable


def as_tensor(x: Any) -> Any:
    """Returns ``x`` if it is a tensor or variable, else an eager ``Tensor``."""
    if isinstance(x, SymbolicTensor | Tensor | Variable):
        return x
    return Tensor(x)


# -- reshape ---------------------------------------------------------------------


def axis_code(axis: int) -> int:
    """A reshape target entry meaning "the size of input axis ``axis``"
    (``-2 - axis``): how ``expand_dims``, ``squeeze`` and indexing keep
    several dimensions known only when the graph runs."""
    return -2 - axis


def _resolve_target(shape: Sequence[Any], target: Sequence[int]) -> list[Any]:
    """The target with axis codes replaced by the input's sizes."""
    resolved = []
    for d in target:
        if d <= -2:
            axis = -2 - d
            if axis >= len(shape):
                raise errors.ShapeError(
                    f"reshape: entry {d} refers to input axis {axis}, but the input "
                    f"has rank {len(shape)}. Received: shape={tuple(target)}"
                )
            resolved.append(shape[axis])
        else:
            resolved.append(d)
    return resolved


def _reshape_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    target = _resolve_target(x.shape, attrs["shape"])
    if builtins.sum(d == -1 for d in target) > 1:
        raise errors.ShapeError(
            f"reshape: at most one dimension may be -1. Received: "
            f"shape={attrs['shape']}"
        )
    if not x.is_static:
        return x.with_shape(tuple(None if d == -1 else d for d in target))
    rest = math.prod(d for d in target if d != -1)
    total = x.size
    if -1 in target:
        if rest == 0 or total % rest:
            raise errors.ShapeError(
                f"reshape: cannot reshape {x} ({total} elements) into {target}. "
                f"Received: shape={attrs['shape']}"
            )
        return x.with_shape(tuple(total // rest if d == -1 else d for d in target))
    if rest != total:
        raise errors.ShapeError(
            f"reshape: cannot reshape {x} ({total} elements) into {target} "
            f"({rest} elements). Received: shape={attrs['shape']}"
        )
    return x.with_shape(tuple(target))


def _reshape_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    return [reshape(cotangent, fill_unknown(inputs[0].shape, "reshape gradient"))]


def _reshape_example(draw: Any) -> registry.Example:
    shape = draw.shape()
    total = math.prod(shape)
    targets = [(total,), tuple(reversed(shape)), (-1,), (1, *shape), (*shape, 1)]
    if len(shape) >= 2:
        targets.append((-1, shape[-1]))
    return registry.Example([(shape, "float", "real")], {"shape": draw.choice(targets)})


registry.register(
    registry.OpDef(
        name="reshape",
        kind=registry.SHAPE,
        arity=1,
        infer=_reshape_infer,
        reference=lambda arrays, attrs: np.reshape(
            arrays[0], _resolve_target(arrays[0].shape, attrs["shape"])
        ),
        grad=_reshape_grad,
        example=_reshape_example,
        doc="Gives the elements, in row-major order, a new shape (one -1 allowed).",
        view=True,
        attrs={"shape": registry.Attr(registry.as_int_tuple)},
    )
)


# -- broadcast_to ----------------------------------------------------------------


def _broadcast_to_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    target = attrs["shape"]
    if builtins.any(d < 0 for d in target):
        raise errors.ShapeError(
            f"broadcast_to: the target shape must be static. Received: shape={target}"
        )
    result = broadcast_shapes(x.shape, target, op="broadcast_to")
    if x.rank > len(target) or result != target:
        raise errors.ShapeError(
            f"broadcast_to: cannot broadcast {x} to {target}. Received: shape={target}"
        )
    return x.with_shape(target)


def _broadcast_to_example(draw: Any) -> registry.Example:
    small, other = draw.broadcastable(2)
    target = broadcast_shapes(small, other)
    return registry.Example([(small, "float", "real")], {"shape": target})


def _lower_broadcast_to(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    lowering.elementwise(em, inputs, output, lambda values: values[0])


registry.register(
    registry.OpDef(
        name="broadcast_to",
        kind=registry.SHAPE,
        arity=1,
        infer=_broadcast_to_infer,
        reference=lambda arrays, attrs: np.broadcast_to(arrays[0], attrs["shape"]),
        grad=lambda inputs, output, cot, attrs: [sum_to_shape(cot, inputs[0].shape)],
        example=_broadcast_to_example,
        doc="Broadcasts to a static shape by NumPy's rule.",
        lower=_lower_broadcast_to,
        attrs={"shape": registry.Attr(registry.as_int_tuple)},
    )
)


# -- strided_slice -----------------------------------------------------------------


def _as_index_tuple(value: Any) -> tuple[int | None, ...]:
    return tuple(None if v is None else registry.as_int(v) for v in value)


def _slices(attrs: Any) -> tuple[builtins.slice, ...]:
    return tuple(
        builtins.slice(b, e, s)
        for b, e, s in zip(attrs["starts"], attrs["stops"], attrs["steps"], strict=True)
    )


def _strided_slice_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    lengths = {len(attrs["starts"]), len(attrs["stops"]), len(attrs["steps"])}
    if lengths != {x.rank}:
        raise errors.ShapeError(
            f"strided_slice: starts, stops and steps need one entry per axis of "
            f"{x}. Received: {attrs}"
        )
    shape: list[int | None] = []
    for dim, piece in zip(x.shape, _slices(attrs), strict=True):
        if piece.step == 0:
            raise errors.ShapeError(f"strided_slice: a step is 0. Received: {attrs}")
        if dim is None:
            # The size of a sliced unknown dimension is unknown too.
            shape.append(None)
        else:
            shape.append(len(range(*piece.indices(dim))))
    return x.with_shape(tuple(shape))


def _strided_slice_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    x = inputs[0]
    dims = static_shape("strided_slice gradient", x.shape)
    low, high, interior = [], [], []
    flip = []
    for dim, piece in zip(dims, _slices(attrs), strict=True):
        picked = range(*piece.indices(dim))
        if len(picked) == 0:
            low.append(dim)
            high.append(0)
            interior.append(0)
            flip.append(False)
            continue
        first, last = min(picked[0], picked[-1]), max(picked[0], picked[-1])
        low.append(first)
        high.append(dim - last - 1)
        interior.append(builtins.abs(piece.step) - 1)
        flip.append(piece.step < 0)
    if builtins.any(flip):
        rank = len(dims)
        cotangent = strided_slice(
            cotangent,
            [None] * rank,
            [None] * rank,
            [-1 if f else 1 for f in flip],
        )
    return [pad_general(cotangent, low, high, interior)]


def _strided_slice_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    starts, stops, steps = [], [], []
    for dim in shape:
        starts.append(None if draw.boolean() else draw.integer(-dim - 1, dim + 1))
        stops.append(None if draw.boolean() else draw.integer(-dim - 1, dim + 1))
        steps.append(draw.choice([1, 1, 2, 3, -1, -2]))
    attrs = {"starts": tuple(starts), "stops": tuple(stops), "steps": tuple(steps)}
    return registry.Example([(shape, "float", "real")], attrs)


def _lower_strided_slice(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    source = lowering.strides(x.shape)
    starts, steps = [], []
    for dim, piece, stride in zip(x.shape, _slices(attrs), source, strict=True):
        start, _, step = piece.indices(dim)
        starts.append(start * stride)
        steps.append(step * stride)
    offset = builtins.sum(starts)
    out_steps = lowering.strides(output.shape)
    with em.loops(output.shape) as indices:
        index = em.builder.add(em.flat_index(indices, steps), em.index(offset))
        em.store(output, em.flat_index(indices, out_steps), em.load(x, index))


registry.register(
    registry.OpDef(
        name="strided_slice",
        kind=registry.SHAPE,
        arity=1,
        infer=_strided_slice_infer,
        reference=lambda arrays, attrs: arrays[0][_slices(attrs)],
        grad=_strided_slice_grad,
        example=_strided_slice_example,
        doc="Python slicing start:stop:step on every axis.",
        lower=_lower_strided_slice,
        attrs={
            "starts": registry.Attr(_as_index_tuple),
            "stops": registry.Attr(_as_index_tuple),
            "steps": registry.Attr(_as_index_tuple),
        },
    )
)


# -- pad -------------------------------------------------------------------------


def _padded(dim: int, low: int, high: int, interior: int) -> int:
    return low + high + dim + builtins.max(dim - 1, 0) * interior


def _pad_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    low, high, interior = attrs["low"], attrs["high"], attrs["interior"]
    if not len(low) == len(high) == len(interior) == x.rank:
        raise errors.ShapeError(
            f"pad: low, high and interior need one entry per axis of {x}. "
            f"Received: low={low}, high={high}, interior={interior}"
        )
    if builtins.any(v < 0 for v in (*low, *high, *interior)):
        raise errors.ShapeError(
            f"pad: padding must be non-negative. Received: low={low}, "
            f"high={high}, interior={interior}"
        )
    shape: list[int | None] = []
    for dim, lo, hi, mid in zip(x.shape, low, high, interior, strict=True):
        if dim is None:
            # Known once the graph is specialized to its inputs' sizes.
            shape.append(None)
        else:
            shape.append(_padded(dim, lo, hi, mid))
    return x.with_shape(tuple(shape))


def _pad_windows(shape: Sequence[int], attrs: Any) -> tuple[builtins.slice, ...]:
    return tuple(
        builtins.slice(lo, lo + builtins.max(dim - 1, 0) * (mid + 1) + 1, mid + 1)
        if dim
        else builtins.slice(lo, lo)
        for dim, lo, mid in zip(shape, attrs["low"], attrs["interior"], strict=True)
    )


def _pad_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x = arrays[0]
    shape = [
        _padded(d, lo, hi, mid)
        for d, lo, hi, mid in zip(
            x.shape, attrs["low"], attrs["high"], attrs["interior"], strict=True
        )
    ]
    out = np.full(shape, attrs["value"], dtype=x.dtype)
    out[_pad_windows(x.shape, attrs)] = x
    return out


def _pad_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    dims = static_shape("pad gradient", inputs[0].shape)
    windows = _pad_windows(dims, attrs)
    return [
        strided_slice(
            cotangent,
            [w.start for w in windows],
            [w.stop for w in windows],
            [w.step or 1 for w in windows],
        )
    ]


def _pad_example(draw: Any) -> registry.Example:
    shape = draw.shape()
    rank = len(shape)
    attrs = {
        "low": tuple(draw.integer(0, 2) for _ in range(rank)),
        "high": tuple(draw.integer(0, 2) for _ in range(rank)),
        "interior": tuple(draw.integer(0, 2) for _ in range(rank)),
        "value": draw.choice([0.0, 1.5]),
    }
    return registry.Example([(shape, "float", "real")], attrs)


def _lower_pad(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    if output.shape and not builtins.any(attrs["interior"]):
        _lower_edge_pad(em, inputs[0], output, attrs)
        return
    (x,) = inputs
    fill = em.const(attrs["value"], output.dtype)
    with em.loop(output.size, "f") as index:
        em.store(output, index, fill)
    out_strides = lowering.strides(output.shape)
    offset = builtins.sum(
        lo * s for lo, s in zip(attrs["low"], out_strides, strict=True)
    )
    steps = [
        (mid + 1) * s for mid, s in zip(attrs["interior"], out_strides, strict=True)
    ]
    with em.loops(x.shape) as indices:
        target = em.builder.add(em.flat_index(indices, steps), em.index(offset))
        value = em.load(x, em.flat_index(indices, lowering.strides(x.shape)))
        em.store(output, target, value)


def _lower_edge_pad(em: Any, x: Any, output: Any, attrs: Any) -> None:
    """A pad without interior padding, writing every output element once.

    The output is a stack of *rows*: all axes up to the last padded one,
    ``axis``. Each row is a contiguous run of ``out[axis] * cell`` elements
    (``cell``: the elements of one index of ``axis``); a row inside the
    input copies its run of ``x`` between its low and high fills, one
    outside is all fill. Threads split the rows (``em.share``).
    """
    low, high = attrs["low"], attrs["high"]
    padded = [a for a in range(len(output.shape)) if low[a] or high[a]]
    axis = padded[-1] if padded else 0
    cell = math.prod(output.shape[axis + 1 :])
    outer = output.shape[:axis]
    row = output.shape[axis] * cell
    fill = em.const(attrs["value"], output.dtype)
    builder = em.builder
    x_steps = lowering.strides(x.shape)[:axis]
    start, stop = em.share(math.prod(outer))
    with em.loop(stop, "row", start) as r:
        base = builder.mul(r, em.index(row))
        coords = em.unflatten(r, outer[1:]) if axis else []
        indices = [
            builder.sub(i, em.index(lo))
            for i, lo in zip(coords, low[:axis], strict=True)
        ]
        inside = None
        for shifted, size in zip(indices, x.shape[:axis], strict=True):
            within = builder.icmp_unsigned("<", shifted, em.index(size))
            inside = within if inside is None else builder.and_(inside, within)
        head = low[axis] * cell
        body = x.shape[axis] * cell

        def copy() -> None:
            _fill(em, output, fill, base, 0, head)
            source = em.flat_index(indices, x_steps)
            target = builder.add(base, em.index(head))
            with em.loop(body, "copy") as i:
                value = em.load(x, builder.add(source, i))
                em.store(output, builder.add(target, i), value)
            _fill(em, output, fill, base, head + body, row)

        if inside is None:
            copy()
        else:
            with builder.if_else(inside) as (within_x, outside):
                with within_x:
                    copy()
                with outside:
                    _fill(em, output, fill, base, 0, row)


def _fill(em: Any, output: Any, fill: Any, base: Any, first: int, last: int) -> None:
    """``output[base + first : base + last] = fill``."""
    if last <= first:
        return
    with em.loop(last, "fill", first) as i:
        em.store(output, em.builder.add(base, i), fill)


registry.register(
    registry.OpDef(
        name="pad",
        kind=registry.SHAPE,
        arity=1,
        infer=_pad_infer,
        reference=_pad_reference,
        grad=_pad_grad,
        example=_pad_example,
        doc="Pads each axis with a constant: low, high and between elements.",
        lower=_lower_pad,
        attrs={
            "low": registry.Attr(registry.as_int_tuple),
            "high": registry.Attr(registry.as_int_tuple),
            "interior": registry.Attr(registry.as_int_tuple),
            "value": registry.Attr(registry.as_float, 0.0),
        },
    )
)


# -- concatenate -------------------------------------------------------------------


def _concatenate_infer(types: Any, attrs: Any) -> TensorType:
    first = types[0]
    if first.rank == 0:
        raise errors.ShapeError(
            f"concatenate: cannot concatenate scalars. Received: {first}"
        )
    axis = registry.normalize_axis("concatenate", attrs["axis"], first.rank)
    total: int | None = 0
    shape = list(first.shape)
    for item in types:
        if item.rank != first.rank or item.dtype != first.dtype:
            raise errors.ShapeError(
                f"concatenate: every input needs the rank and dtype of the first "
                f"({first}). Received: {', '.join(str(t) for t in types)}"
            )
        for i, (a, b) in enumerate(zip(shape, item.shape, strict=True)):
            if i == axis:
                continue
            if a is not None and b is not None and a != b:
                raise errors.ShapeError(
                    f"concatenate: inputs differ on axis {i}, not the concatenation "
                    f"axis {axis}. Received: {', '.join(str(t) for t in types)}"
                )
            shape[i] = a if a is not None else b
        dim = item.shape[axis]
        total = None if total is None or dim is None else total + dim
    shape[axis] = total
    return first.with_shape(tuple(shape))


def _concatenate_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    rank = output.ndim
    axis = attrs["axis"] % rank
    grads, offset = [], 0
    for item in inputs:
        size = static_shape("concatenate gradient", item.shape)[axis]
        starts = [None] * rank
        stops = [None] * rank
        starts[axis], stops[axis] = offset, offset + size
        grads.append(strided_slice(cotangent, starts, stops, [1] * rank))
        offset += size
    return grads


def _concatenate_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    axis = draw.integer(-len(shape), len(shape) - 1)
    inputs = []
    for _ in range(draw.integer(1, 3)):
        piece = list(shape)
        piece[axis] = draw.integer(1, 3)
        inputs.append((tuple(piece), "float", "real"))
    return registry.Example(inputs, {"axis": axis})


def _lower_concatenate(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    axis = attrs["axis"] % len(output.shape)
    out_strides = lowering.strides(output.shape)
    offset = 0
    for piece in inputs:
        with em.loops(piece.shape) as indices:
            value = em.load(
                piece, em.flat_index(indices, lowering.strides(piece.shape))
            )
            target = em.builder.add(
                em.flat_index(indices, out_strides),
                em.index(offset * out_strides[axis]),
            )
            em.store(output, target, value)
        offset += piece.shape[axis]


registry.register(
    registry.OpDef(
        name="concatenate",
        kind=registry.SHAPE,
        arity=None,
        infer=_concatenate_infer,
        reference=lambda arrays, attrs: np.concatenate(arrays, axis=attrs["axis"]),
        grad=_concatenate_grad,
        example=_concatenate_example,
        doc="Joins tensors along an existing axis.",
        lower=_lower_concatenate,
        attrs={"axis": registry.Attr(registry.as_int, 0)},
    )
)


# -- take and scatter_add -----------------------------------------------------------


def _check_indices(op: str, indices: TensorType) -> None:
    if not dtypes.is_int(indices.dtype):
        raise errors.DTypeError(
            f"{op}: indices must be int32 or int64. Received: {indices}"
        )


def _take_infer(types: Any, attrs: Any) -> TensorType:
    x, indices = types
    _check_indices("take", indices)
    if x.rank == 0:
        raise errors.ShapeError(f"take: cannot index a scalar. Received: {x}")
    axis = registry.normalize_axis("take", attrs["axis"], x.rank)
    return x.with_shape((*x.shape[:axis], *indices.shape, *x.shape[axis + 1 :]))


def _check_range(op: str, indices: np.ndarray, size: int, axis: int) -> None:
    if indices.size and (indices.min() < -size or indices.max() >= size):
        bad = indices[(indices < -size) | (indices >= size)].reshape(-1)[0]
        raise errors.ShapeError(
            f"{op}: index {bad} is out of range for axis {axis} of size {size}. "
            f"Received: indices with min {indices.min()} and max {indices.max()}"
        )


def _take_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x, indices = arrays
    axis = attrs["axis"] % x.ndim
    _check_range("take", indices, x.shape[axis], axis)
    return np.take(x, indices, axis=axis)


def _take_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    x, indices = inputs
    axis = attrs["axis"] % x.ndim
    size = static_shape("take gradient", x.shape)[axis]
    return [scatter_add(cotangent, indices, axis=axis, size=size), None]


def _take_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    axis = draw.integer(-len(shape), len(shape) - 1)
    indices = draw.shape(max_rank=2)
    return registry.Example(
        [(shape, "float", "real"), (indices, "int32", f"index:{shape[axis]}")],
        {"axis": axis},
    )


def _take_sizes(shape: Sequence[int], axis: int, count: int) -> tuple[int, int, int]:
    outer = math.prod(shape[:axis])
    inner = math.prod(shape[axis + 1 :])
    return outer, count, inner


def _lower_take(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    x, indices = inputs
    axis = attrs["axis"] % len(x.shape)
    outer, count, inner = _take_sizes(x.shape, axis, indices.size)
    size, builder = x.shape[axis], em.builder
    with em.loops([outer, count], "g") as (p, q):
        row = lowering.gather_index(em, em.load(indices, q), size, indices.dtype)
        source = builder.mul(
            builder.add(builder.mul(p, em.index(size)), row), em.index(inner)
        )
        target = builder.mul(em.flat_index([p, q], [count, 1]), em.index(inner))
        with em.loop(inner, "r") as r:
            value = em.load(x, builder.add(source, r))
            em.store(output, builder.add(target, r), value)


registry.register(
    registry.OpDef(
        name="take",
        kind=registry.GATHER,
        arity=2,
        infer=_take_infer,
        reference=_take_reference,
        grad=_take_grad,
        example=_take_example,
        doc="Gathers slices along an axis by integer indices.",
        lower=_lower_take,
        attrs={"axis": registry.Attr(registry.as_int, 0)},
    )
)


def _scatter_add_infer(types: Any, attrs: Any) -> TensorType:
    updates, indices = types
    _check_indices("scatter_add", indices)
    axis, size = attrs["axis"], attrs["size"]
    window = updates.shape[axis : axis + indices.rank]
    if axis < 0 or axis + indices.rank > updates.rank or len(window) != indices.rank:
        raise errors.ShapeError(
            f"scatter_add: updates {updates} do not hold indices {indices} at "
            f"axis {axis}. Received: axis={axis}"
        )
    for a, b in zip(window, indices.shape, strict=True):
        if a is not None and b is not None and a != b:
            raise errors.ShapeError(
                f"scatter_add: updates {updates} and indices {indices} disagree "
                f"at axis {axis}. Received: axis={axis}"
            )
    return updates.with_shape(
        (*updates.shape[:axis], size, *updates.shape[axis + indices.rank :])
    )


def _scatter_add_reference(arrays: Any, attrs: Any) -> np.ndarray:
    updates, indices = arrays
    axis, size = attrs["axis"], attrs["size"]
    _check_range("scatter_add", indices, size, axis)
    shape = (*updates.shape[:axis], size, *updates.shape[axis + indices.ndim :])
    out = np.zeros(shape, dtype=updates.dtype)
    np.add.at(out, (builtins.slice(None),) * axis + (indices,), updates)
    return out


def _scatter_add_example(draw: Any) -> registry.Example:
    size = draw.integer(1, 4)
    indices = draw.shape(max_rank=2)
    before, after = draw.shape(max_rank=1), draw.shape(max_rank=1)
    updates = (*before, *indices, *after)
    return registry.Example(
        [(updates, "float", "real"), (indices, "int32", f"index:{size}")],
        {"axis": len(before), "size": size},
    )


def _lower_scatter_add(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    updates, indices = inputs
    axis, size = attrs["axis"], attrs["size"]
    outer = math.prod(updates.shape[:axis])
    count = indices.size
    inner = math.prod(updates.shape[axis + indices.type.rank :])
    builder = em.builder
    add = builder.fadd if lowering.is_float(output.dtype) else builder.add
    with em.loop(output.size, "z") as index:
        em.store(output, index, em.const(0, output.dtype))
    with em.loops([outer, count], "g") as (p, q):
        row = lowering.gather_index(em, em.load(indices, q), size, indices.dtype)
        target = builder.mul(
            builder.add(builder.mul(p, em.index(size)), row), em.index(inner)
        )
        source = builder.mul(em.flat_index([p, q], [count, 1]), em.index(inner))
        with em.loop(inner, "r") as r:
            here = builder.add(target, r)
            value = add(em.load(output, here), em.load(updates, builder.add(source, r)))
            em.store(output, here, value)


registry.register(
    registry.OpDef(
        name="scatter_add",
        kind=registry.GATHER,
        arity=2,
        infer=_scatter_add_infer,
        reference=_scatter_add_reference,
        grad=lambda inputs, output, cot, attrs: [
            take(cot, inputs[1], axis=attrs["axis"]),
            None,
        ],
        example=_scatter_add_example,
        doc="Adds slices into a zero tensor at integer indices (take's gradient).",
        lower=_lower_scatter_add,
        attrs={
            "axis": registry.Attr(registry.as_int),
            "size": registry.Attr(registry.as_int),
        },
    )
)


# -- public functions ----------------------------------------------------------------


def broadcast_shapes_check(shapes: Sequence[Sequence[int | None]]) -> tuple:
    """Returns the broadcast of ``shapes``; raises ``ShapeError`` if none."""
    return broadcast_shapes(*shapes, op="broadcast")


def reshape(x: Any, newshape: Any) -> Any:
    """Gives ``x`` a new shape; one dimension may be -1.

    Example:

    >>> reshape([[1, 2, 3], [4, 5, 6]], [3, 2]).numpy()
    array([[1, 2],
           [3, 4],
           [5, 6]], dtype=int32)
    """
    if isinstance(newshape, int):
        newshape = (newshape,)
    target = tuple(-1 if d is None else d for d in newshape)
    if builtins.any(int(d) < -1 for d in target):
        raise errors.ShapeError(
            f"reshape: sizes must be non-negative or -1. Received: newshape={newshape}"
        )
    return apply("reshape", [as_tensor(x)], {"shape": target})


def _keeping(x: Any, sources: Sequence[int | None]) -> tuple[int, ...]:
    """A reshape target whose entries are input axes (``None`` for a new
    size-1 axis): a known size as it is, an unknown one as its axis code."""
    target = []
    for axis in sources:
        if axis is None:
            target.append(1)
        elif x.shape[axis] is None:
            target.append(axis_code(axis))
        else:
            target.append(int(x.shape[axis]))
    return tuple(target)


def broadcast_to(x: Any, shape: Any) -> Any:
    """Broadcasts ``x`` to a static ``shape``."""
    return apply("broadcast_to", [as_tensor(x)], {"shape": tuple(shape)})


def strided_slice(x: Any, starts: Any, stops: Any, steps: Any) -> Any:
    """Slices every axis as Python's ``start:stop:step`` does."""
    attrs = {"starts": tuple(starts), "stops": tuple(stops), "steps": tuple(steps)}
    return apply("strided_slice", [as_tensor(x)], attrs)


def pad_general(x: Any, low: Any, high: Any, interior: Any, value: float = 0.0) -> Any:
    """Pads each axis with ``value``: ``low`` before, ``high`` after and
    ``interior`` between elements."""
    attrs = {
        "low": tuple(low),
        "high": tuple(high),
        "interior": tuple(interior),
        "value": float(value),
    }
    return apply("pad", [as_tensor(x)], attrs)


# Modes of ``pad`` whose new elements repeat elements of ``x``.
_GATHERED_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(
    x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None
) -> Any:
    """Pads ``x`` like ``numpy.pad``.

    Args:
        x: a tensor.
        pad_width: ``((before, after), ...)`` per axis, or one pair for all.
        mode: ``"constant"``, or one of the modes that repeat elements of
            ``x``: ``"edge"``, ``"reflect"``, ``"symmetric"``, ``"wrap"``
            (gathers of the padded axes, which need known sizes).
        constant_values: the fill value (default 0).

    Raises:
        ValueError: for another mode or a malformed ``pad_width``.

    Example:

    >>> pad([1, 2, 3], (2, 1), mode="reflect").numpy()
    array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    x = as_tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if mode in _GATHERED_MODES:
        for axis, (low, high) in enumerate(widths):
            if low or high:
                size = static_shape(f"pad (mode={mode!r})", (x.shape[axis],))[0]
                positions = np.pad(np.arange(size), (low, high), mode=mode)
                x = take(x, positions.astype("int32"), axis=axis)
        return x
    if mode != "constant":
        raise ValueError(
            f"pad: mode must be 'constant' or one of {_GATHERED_MODES}. "
            f"Received: mode={mode!r}"
        )
    return pad_general(
        x, widths[:, 0], widths[:, 1], [0] * x.ndim, constant_values or 0.0
    )


def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    """Joins tensors along an existing axis (Keras's default ``axis=0``)."""
    from kgraph import ops

    xs = ops.promote(*xs)
    return apply("concatenate", list(xs), {"axis": axis})


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Gathers elements along ``axis`` (of the flattened tensor if ``None``)."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    indices = as_tensor(indices)
    if indices.dtype not in dtypes.INT_DTYPES:
        from kgraph import ops

        indices = ops.cast(indices, "int32")
    return apply("take", [x, indices], {"axis": axis})


def scatter_add(updates: Any, indices: Any, axis: int, size: int) -> Any:
    """Adds ``updates`` into zeros of length ``size`` along ``axis`` at ``indices``."""
    return apply("scatter_add", [updates, indices], {"axis": axis, "size": size})


def expand_dims(x: Any, axis: int) -> Any:
    """Inserts a size-1 axis at ``axis``."""
    x = as_tensor(x)
    position = registry.normalize_axis("expand_dims", axis, x.ndim + 1)
    sources: list[int | None] = list(range(x.ndim))
    sources.insert(position, None)
    return apply("reshape", [x], {"shape": _keeping(x, sources)})


def squeeze(x: Any, axis: Any = None) -> Any:
    """Removes size-1 axes (all of them if ``axis`` is ``None``).

    Raises:
        ShapeError: when a named axis does not have size 1.
    """
    x = as_tensor(x)
    if axis is None:
        axes = {i for i, d in enumerate(x.shape) if d == 1}
    else:
        axes = {
            registry.normalize_axis("squeeze", a, x.ndim)
            for a in registry.as_int_tuple(axis)
        }
        for a in axes:
            if x.shape[a] != 1:
                raise errors.ShapeError(
                    f"squeeze: axis {a} of {x.shape} does not have size 1. "
                    f"Received: axis={axis}"
                )
    sources = [i for i in range(x.ndim) if i not in axes]
    return apply("reshape", [x], {"shape": _keeping(x, sources)})


def stack(xs: Sequence[Any], axis: int = 0) -> Any:
    """Joins tensors along a new axis."""
    xs = [as_tensor(x) for x in xs]
    rank = xs[0].ndim + 1
    position = registry.normalize_axis("stack", axis, rank)
    return concatenate([expand_dims(x, position) for x in xs], axis=position)


def flip(x: Any, axis: Any = None) -> Any:
    """Reverses the order of elements along ``axis`` (all axes for
    ``None``), as ``keras.ops.flip``.

    Example:

    >>> flip([[1, 2], [3, 4]], axis=1).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = as_tensor(x)
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    flipped = {registry.normalize_axis("flip", a, x.ndim) for a in axes}
    key = tuple(
        builtins.slice(None, None, -1) if i in flipped else builtins.slice(None)
        for i in range(x.ndim)
    )
    return x[key]


def slice(x: Any, start_indices: Any, shape: Any) -> Any:
    """Keras's ``ops.slice``: a block of ``shape`` starting at ``start_indices``."""
    x = as_tensor(x)
    starts = [int(s) for s in start_indices]
    stops = [s + int(n) for s, n in zip(starts, shape, strict=True)]
    return strided_slice(x, starts, stops, [1] * len(starts))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchanges two axes."""
    from kgraph import ops

    x = as_tensor(x)
    axes = list(range(x.ndim))
    a = registry.normalize_axis("swapaxes", axis1, x.ndim)
    b = registry.normalize_axis("swapaxes", axis2, x.ndim)
    axes[a], axes[b] = axes[b], axes[a]
    return ops.transpose(x, axes)


def get_item(x: Any, key: Any) -> Any:
    """Python indexing: ints, slices with steps, ``...``, ``None`` and integer
    arrays (one array index, gathered with ``take``).

    Example:

    >>> t = Tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> t[:, 1].numpy()
    array([2, 5, 8], dtype=int32)
    """
    x = as_tensor(x)
    key = key if isinstance(key, tuple) else (key,)
    key = _expand_ellipsis(key, x.ndim)
    starts, stops, steps, final = [], [], [], []
    axis = 0
    array_index = None
    for item in key:
        if item is None:
            final.append(1)
            continue
        if axis >= x.ndim:
            raise errors.ShapeError(
                f"get_item: too many indices for a tensor of rank {x.ndim}. "
                f"Received: key={key}"
            )
        dim = x.shape[axis]
        if isinstance(item, builtins.slice):
            starts.append(item.start)
            stops.append(item.stop)
            steps.append(1 if item.step is None else item.step)
            final.append("keep")
        elif _is_int(item):
            index = int(item)
            if dim is not None and not -dim <= index < dim:
                raise errors.ShapeError(
                    f"get_item: index {index} is out of range for axis {axis} of "
                    f"size {dim}. Received: key={key}"
                )
            if dim is None and index < 0:
                raise errors.ShapeError(
                    f"get_item: a negative index needs a known size on axis {axis}. "
                    f"Received: key={key}"
                )
            index = index % dim if dim is not None else index
            starts.append(index)
            stops.append(index + 1)
            steps.append(1)
            final.append("drop")
        else:
            if array_index is not None:
                raise errors.ShapeError(
                    f"get_item: only one array index is supported. Received: key={key}"
                )
            array_index = (len([f for f in final if f != 1]), item)
            starts.append(None)
            stops.append(None)
            steps.append(1)
            final.append("keep")
        axis += 1
    for _ in range(axis, x.ndim):
        starts.append(None)
        stops.append(None)
        steps.append(1)
        final.append("keep")
    result = strided_slice(x, starts, stops, steps)
    if array_index is not None:
        position, indices = array_index
        result = take(result, indices, axis=position)
        extra = np.ndim(indices) - 1
        final = _splice(final, position, extra)
    return _apply_final(result, final)


def _splice(final: list, position: int, extra: int) -> list:
    """Accounts for the axes an array index adds or removes."""
    kept = [i for i, f in enumerate(final) if f != 1]
    at = kept[position]
    if extra < 0:
        return [*final[:at], *final[at + 1 :]]
    return [*final[:at], *(["keep"] * (extra + 1)), *final[at + 1 :]]


def _apply_final(result: Any, final: list) -> Any:
    sources: list[int | None] = []
    axis = 0
    for item in final:
        if item == 1:
            sources.append(None)
        elif item == "keep":
            sources.append(axis)
            axis += 1
        else:
            axis += 1
    if sources == list(range(result.ndim)):
        return result
    return apply("reshape", [result], {"shape": _keeping(result, sources)})


def _is_int(item: Any) -> bool:
    return isinstance(item, int | np.integer) and not isinstance(item, bool)


def _expand_ellipsis(key: tuple, rank: int) -> tuple:
    count = builtins.sum(1 for k in key if k is Ellipsis)
    if count > 1:
        raise errors.ShapeError(f"get_item: at most one '...'. Received: key={key}")
    if not count:
        return key
    used = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    at = next(i for i, k in enumerate(key) if k is Ellipsis)
    fill = (builtins.slice(None),) * (rank - used)
    return key[:at] + fill + key[at + 1 :]
