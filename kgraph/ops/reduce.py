"""Reductions: ``sum``, ``max`` and ``argmax`` over axes, with ``keepdims``.

``mean``, ``min``, ``logsumexp`` and friends are compositions of these (see
``composite.py``). ``sum_to_shape`` is the unbroadcasting helper autodiff uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply

_AXIS_ATTRS = {
    "axis": registry.Attr(registry.as_axes, None),
    "keepdims": registry.Attr(registry.as_bool, False),
}


def normalize_axes(op: str, axis: tuple[int, ...] | None, rank: int) -> tuple[int, ...]:
    """Returns sorted, non-negative, unique axes (all axes for ``None``).

    Raises:
        ShapeError: for an axis out of range or given twice.
    """
    if axis is None:
        return tuple(range(rank))
    axes = tuple(registry.normalize_axis(op, a, rank) for a in axis)
    if len(set(axes)) != len(axes):
        raise errors.ShapeError(f"{op}: an axis is repeated. Received: axis={axis}")
    return tuple(sorted(axes))


def reduced_shape(
    shape: Sequence[int | None], axes: tuple[int, ...], keepdims: bool
) -> tuple[int | None, ...]:
    """Returns the shape left after reducing ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_infer(op: str, allowed: tuple[str, ...]) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        (x,) = types
        if x.dtype not in allowed:
            raise errors.DTypeError(f"{op}: expected a numeric tensor. Received: {x}")
        axes = normalize_axes(op, attrs["axis"], x.rank)
        if op == "max" and any(x.shape[a] == 0 for a in axes):
            raise errors.ShapeError(
                f"max: cannot reduce an empty axis. Received: {x}, axis={axes}"
            )
        return x.with_shape(reduced_shape(x.shape, axes, attrs["keepdims"]))

    return infer


def _reduce_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    axis = None if draw.boolean() else draw.axes(len(shape))
    return registry.Example(
        [(shape, "float", "real")], {"axis": axis, "keepdims": draw.boolean()}
    )


def _keepdims_shape(x_type: TensorType, attrs: Any) -> tuple[int | None, ...]:
    axes = normalize_axes("reduce", attrs["axis"], x_type.rank)
    return reduced_shape(x_type.shape, axes, True)


def expand_to_input(cotangent: Any, x: Any, attrs: Any) -> Any:
    """Broadcasts a reduction's cotangent back to the input's shape."""
    from kgraph import ops

    kept = ops.reshape(cotangent, fill_unknown(_keepdims_shape(x.type, attrs)))
    return ops.broadcast_to(kept, static_shape("reduce gradient", x.shape))


def static_shape(what: str, shape: Sequence[int | None]) -> tuple[int, ...]:
    """Returns ``shape`` if every dimension is known.

    Raises:
        ShapeError: saying that ``what`` needs concrete shapes (gradients are
            taken once the batch size is known).
    """
    if any(d is None for d in shape):
        raise errors.ShapeError(
            f"{what} needs a static shape; infer shapes with a concrete batch "
            f"size first. Received: shape={tuple(shape)}"
        )
    return tuple(int(d) for d in shape)  # type: ignore[arg-type]


def fill_unknown(shape: Sequence[int | None], what: str = "reshape") -> tuple[int, ...]:
    """Writes one unknown dimension as -1, as a reshape target.

    Raises:
        ShapeError: naming ``what`` when more than one dimension is unknown.
    """
    if len([d for d in shape if d is None]) > 1:
        static_shape(what, shape)
    return tuple(-1 if d is None else int(d) for d in shape)


def _sum_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    return [expand_to_input(cotangent, inputs[0], attrs)]


def _max_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    from kgraph import ops

    # Ties share the cotangent equally, as in JAX and TensorFlow.
    x = inputs[0]
    peak = expand_to_input(output, x, attrs)
    mask = ops.cast(ops.equal(x, peak), x.dtype)
    count = ops.sum(mask, axis=attrs["axis"], keepdims=attrs["keepdims"])
    share = ops.divide(cotangent, count)
    return [ops.multiply(expand_to_input(share, x, attrs), mask)]


# -- LLVM lowerings ----------------------------------------------------------------


def fold(em: Any, op: str, dtype: str) -> tuple[Any, Any]:
    """The starting value and ``(accumulator, element) -> accumulator`` of
    a ``sum`` or ``max`` over ``dtype`` elements, in register form."""
    float_ = lowering.is_float(dtype)
    if op == "sum":
        return em.const(0, dtype), em.builder.fadd if float_ else em.builder.add
    if float_:

        def largest(best: Any, value: Any) -> Any:
            return em.intrinsic("maximum", [best, value], dtype)

        return em.const(float("-inf"), dtype), largest

    def larger(best: Any, value: Any) -> Any:
        bigger = em.builder.icmp_signed(">", value, best)
        return em.builder.select(bigger, value, best)

    return em.const(np.iinfo(dtype).min, dtype), larger


def _lower_sum(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    axes = normalize_axes("sum", attrs["axis"], x.type.rank)
    lowering.reduction(em, x, axes, output, *fold(em, "sum", x.dtype))


def _lower_max(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    axes = normalize_axes("max", attrs["axis"], x.type.rank)
    lowering.reduction(em, x, axes, output, *fold(em, "max", x.dtype))


def _lower_argmax(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    # The first maximum wins, NaN the largest, as in NumPy.
    (x,) = inputs
    shape = x.shape if attrs["axis"] is not None else (x.size,)
    axis = 0 if attrs["axis"] is None else attrs["axis"] % len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    builder = em.builder
    with em.loops([outer, inner], "o") as (o, i):
        base = em.flat_index([o, i], [shape[axis] * inner, 1])
        best = em.variable(x.dtype, em.load(x, base))
        where = em.variable("int64", em.index(0))
        with em.loop(shape[axis] - 1, "k") as k:
            position = builder.add(k, em.index(1))
            value = em.load(
                x, builder.add(base, builder.mul(position, em.index(inner)))
            )
            current = em.read(best, value.type)
            larger = lowering.replaces_maximum(em, value, current, x.dtype)
            builder.store(builder.select(larger, value, current), best)
            chosen = builder.select(larger, position, em.read(where, lowering.I64))
            builder.store(chosen, where)
        result = em.convert(em.read(where, lowering.I64), "int64", "int32")
        em.store(output, em.flat_index([o, i], [inner, 1]), result)


_NUMERIC = ("int32", "int64", "float32", "float64")

registry.register(
    registry.OpDef(
        name="sum",
        kind=registry.REDUCE,
        arity=1,
        infer=_reduce_infer("sum", _NUMERIC),
        reference=lambda a, attrs: np.sum(
            a[0], axis=attrs["axis"], keepdims=attrs["keepdims"]
        ),
        grad=_sum_grad,
        example=_reduce_example,
        doc="Sum over axes.",
        attrs=_AXIS_ATTRS,
        lower=_lower_sum,
    )
)

registry.register(
    registry.OpDef(
        name="max",
        kind=registry.REDUCE,
        arity=1,
        infer=_reduce_infer("max", _NUMERIC),
        reference=lambda a, attrs: np.max(
            a[0], axis=attrs["axis"], keepdims=attrs["keepdims"]
        ),
        grad=_max_grad,
        example=_reduce_example,
        doc="Maximum over axes (ties share the gradient).",
        attrs=_AXIS_ATTRS,
        lower=_lower_max,
    )
)


def _argmax_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    if x.dtype not in _NUMERIC:
        raise errors.DTypeError(f"argmax: expected a numeric tensor. Received: {x}")
    if attrs["axis"] is None:
        if x.size == 0:
            raise errors.ShapeError(
                f"argmax: the tensor is empty: it has no largest element. Received: {x}"
            )
        shape: tuple[int | None, ...] = (1,) * x.rank if attrs["keepdims"] else ()
        return TensorType(shape, "int32")
    axis = registry.normalize_axis("argmax", attrs["axis"], x.rank)
    if x.shape[axis] == 0:
        raise errors.ShapeError(f"argmax: the axis is empty. Received: {x}")
    return TensorType(reduced_shape(x.shape, (axis,), attrs["keepdims"]), "int32")


def _argmax_reference(arrays: Any, attrs: Any) -> np.ndarray:
    return np.argmax(arrays[0], axis=attrs["axis"], keepdims=attrs["keepdims"])


def _argmax_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    return registry.Example(
        [(shape, "float", "real")],
        {
            "axis": draw.choice([None, *range(-len(shape), len(shape))]),
            "keepdims": draw.boolean(),
        },
    )


registry.register(
    registry.OpDef(
        name="argmax",
        kind=registry.REDUCE,
        arity=1,
        infer=_argmax_infer,
        reference=_argmax_reference,
        grad=None,
        example=_argmax_example,
        doc="Index of the first maximum along an axis (all axes flattened if None).",
        attrs={
            "axis": registry.Attr(
                lambda v: None if v is None else registry.as_int(v), None
            ),
            "keepdims": registry.Attr(registry.as_bool, False),
        },
        differentiable=False,
        lower=_lower_argmax,
    )
)


def _numeric(x: Any) -> Any:
    from kgraph.ops import elementwise

    if getattr(x, "dtype", None) == "bool" or np.asarray(x).dtype == np.bool_:
        return elementwise.cast(x, "int32")
    return x


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sums over ``axis`` (all axes if ``None``).

    Example:

    >>> sum([[1.0, 2.0], [3.0, 4.0]], axis=0).numpy()
    array([4., 6.], dtype=float32)
    """
    return apply("sum", [_numeric(x)], {"axis": axis, "keepdims": keepdims})


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the maximum over ``axis`` (all axes if ``None``)."""
    return apply("max", [_numeric(x)], {"axis": axis, "keepdims": keepdims})


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Returns the index of the maximum along ``axis`` as ``int32``."""
    return apply("argmax", [_numeric(x)], {"axis": axis, "keepdims": keepdims})


def sum_to_shape(x: Any, shape: Sequence[int | None]) -> Any:
    """Sums a broadcast result back down to ``shape`` (unbroadcasting).

    Leading axes that ``shape`` lacks are summed away; axes where ``shape``
    has size 1 and ``x`` does not are summed with ``keepdims``.
    """
    from kgraph import ops

    shape = tuple(shape)
    extra = x.ndim - len(shape)
    if extra < 0:
        raise errors.ShapeError(
            f"sum_to_shape: cannot reduce {x.shape} to the larger rank of "
            f"{shape}. Received: shape={shape}"
        )
    axes = list(range(extra))
    for i, d in enumerate(shape):
        if d == 1 and x.shape[extra + i] != 1:
            axes.append(extra + i)
    if not axes:
        return x
    summed = ops.sum(x, axis=tuple(axes), keepdims=True)
    if extra:
        summed = ops.reshape(summed, fill_unknown(shape))
    return summed
