"""Running sums and products along an axis (``cumsum``, ``cumprod``) and the
product reduction ``prod``.

``cumsum`` and ``cumprod`` take a ``reverse`` attribute (running from the
end of the axis), which their gradients need: the gradient of a running sum
is the reverse running sum of the cotangent. ``prod``'s gradient multiplies
the cotangent by the product of all the other elements, built from
exclusive running products, so zeros in the input are handled exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import elementwise as ew
from kgraph.ops import lowering
from kgraph.ops import reduce as reduce_ops
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops.builder import apply
from kgraph.ops.history import recorded

_NUMERIC = ("int32", "int64", "float32", "float64")


# -- cumsum and cumprod --------------------------------------------------------


def _running_infer(op: str) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        (x,) = types
        if x.dtype not in _NUMERIC:
            raise errors.DTypeError(f"{op}: expected a numeric tensor. Received: {x}")
        if x.rank == 0:
            raise errors.ShapeError(
                f"{op}: expected a tensor of rank >= 1. Received: {x}"
            )
        registry.normalize_axis(op, attrs["axis"], x.rank)
        return x

    return infer


def _running_reference(fn: Any) -> Any:
    def reference(arrays: Any, attrs: Any) -> np.ndarray:
        (x,) = arrays
        axis = attrs["axis"] % x.ndim
        if attrs["reverse"]:
            return np.flip(fn(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return fn(x, axis=axis, dtype=x.dtype)

    return reference


def _running_example(domain: str) -> Any:
    def example(draw: Any) -> registry.Example:
        shape = draw.shape(min_rank=1)
        axis = draw.integer(-len(shape), len(shape) - 1)
        return registry.Example(
            [(shape, "float", domain)], {"axis": axis, "reverse": draw.boolean()}
        )

    return example


def _lower_running(multiply: bool) -> Any:
    """Row by row along the axis: each row combines the previous output row
    with the input row (contiguous inner loop, NumPy's sequential order)."""

    def lower(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
        (x,) = inputs
        shape = x.shape
        axis = attrs["axis"] % len(shape)
        outer, size = math.prod(shape[:axis]), shape[axis]
        inner = math.prod(shape[axis + 1 :])
        builder = em.builder
        float_ = lowering.is_float(x.dtype)
        if multiply:
            combine = builder.fmul if float_ else builder.mul
        else:
            combine = builder.fadd if float_ else builder.add
        with em.loops([outer, size], "c") as (o, step):
            row = builder.sub(em.index(size - 1), step) if attrs["reverse"] else step
            base = builder.mul(
                builder.add(builder.mul(o, em.index(size)), row), em.index(inner)
            )
            previous = builder.mul(
                builder.add(
                    builder.mul(o, em.index(size)),
                    builder.add(row, em.index(1) if attrs["reverse"] else em.index(-1)),
                ),
                em.index(inner),
            )
            first = builder.icmp_signed("==", step, em.index(0))
            with builder.if_else(first) as (then, otherwise):
                with then, em.loop(inner, "i") as i:
                    where = builder.add(base, i)
                    em.store(output, where, em.load(x, where))
                with otherwise, em.loop(inner, "j") as j:
                    where = builder.add(base, j)
                    before = em.load(output, builder.add(previous, j))
                    em.store(output, where, combine(before, em.load(x, where)))

    return lower


_RUNNING_ATTRS = {
    "axis": registry.Attr(registry.as_int, 0),
    "reverse": registry.Attr(registry.as_bool, False),
}


def _cumsum_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    return [_cumsum(cotangent, attrs["axis"], not attrs["reverse"])]


def _cumprod_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    # NOTE: divides by the input (TensorFlow's rule), so it is exact only
    # where the input has no zeros.
    running = _cumsum(
        ew.multiply(cotangent, output), attrs["axis"], not attrs["reverse"]
    )
    return [ew.divide(running, inputs[0])]


registry.register(
    registry.OpDef(
        name="cumsum",
        kind=registry.GATHER,
        arity=1,
        infer=_running_infer("cumsum"),
        reference=_running_reference(np.cumsum),
        grad=_cumsum_grad,
        example=_running_example("real"),
        doc="Running sum along an axis (from its end with reverse).",
        attrs=_RUNNING_ATTRS,
        lower=_lower_running(False),
    )
)
registry.register(
    registry.OpDef(
        name="cumprod",
        kind=registry.GATHER,
        arity=1,
        infer=_running_infer("cumprod"),
        reference=_running_reference(np.cumprod),
        grad=_cumprod_grad,
        example=_running_example("nonzero"),
        doc="Running product along an axis (from its end with reverse).",
        attrs=_RUNNING_ATTRS,
        lower=_lower_running(True),
    )
)


def _cumsum(x: Any, axis: int, reverse: bool) -> Any:
    return apply("cumsum", [x], {"axis": axis, "reverse": reverse})


def _cumprod(x: Any, axis: int, reverse: bool) -> Any:
    return apply("cumprod", [x], {"axis": axis, "reverse": reverse})


# -- prod ----------------------------------------------------------------------


def _shifted(x: Any, axis: int, reverse: bool) -> Any:
    """``x`` moved one place along ``axis`` (towards its end, or its start
    with ``reverse``), a 1 filling the vacated place."""
    rank = len(x.shape)
    low = [0] * rank
    high = [0] * rank
    (high if reverse else low)[axis] = 1
    padded = shape_ops.pad_general(x, low, high, [0] * rank, 1.0)
    starts: list[int | None] = [None] * rank
    stops: list[int | None] = [None] * rank
    if reverse:
        starts[axis] = 1
    else:
        stops[axis] = -1
    return shape_ops.strided_slice(padded, starts, stops, [1] * rank)


def _others(x: Any, axes: tuple[int, ...]) -> Any:
    """For every element, the product of the other elements of its block
    over ``axes`` (no division, so exact with zeros)."""
    last = axes[-1]
    before = _cumprod(_shifted(x, last, False), last, False)
    after = _cumprod(_shifted(x, last, True), last, True)
    along = ew.multiply(before, after)
    if len(axes) == 1:
        return along
    rest = apply("prod", [x], {"axis": (last,), "keepdims": True})
    return ew.multiply(along, _others(rest, axes[:-1]))


def _prod_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    (x,) = inputs
    axes = reduce_ops.normalize_axes("prod", attrs["axis"], x.ndim)
    if not axes:
        return [cotangent]
    spread = reduce_ops.expand_to_input(cotangent, x, attrs)
    return [ew.multiply(spread, _others(x, axes))]


def _lower_prod(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    axes = reduce_ops.normalize_axes("prod", attrs["axis"], x.type.rank)
    multiply = em.builder.fmul if lowering.is_float(x.dtype) else em.builder.mul
    lowering.reduction(em, x, axes, output, em.const(1, x.dtype), multiply)


registry.register(
    registry.OpDef(
        name="prod",
        kind=registry.REDUCE,
        arity=1,
        infer=reduce_ops._reduce_infer("prod", _NUMERIC),
        reference=lambda a, attrs: np.prod(
            a[0], axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=a[0].dtype
        ),
        grad=_prod_grad,
        example=reduce_ops._reduce_example,
        doc="Product over axes.",
        attrs=reduce_ops._AXIS_ATTRS,
        lower=_lower_prod,
    )
)


# -- public functions ----------------------------------------------------------


def _prepare(op: str, x: Any, axis: int | None, dtype: Any) -> tuple[Any, int]:
    """Flattens for ``axis=None``; casts bools (and to ``dtype`` if given)."""
    x = shape_ops.as_tensor(x)
    if dtype is not None:
        x = ew.cast(x, dtype)
    elif x.dtype == "bool":
        x = ew.cast(x, "int32")
    if axis is None:
        return shape_ops.reshape(x, (-1,)), 0
    if x.ndim == 0:
        return shape_ops.reshape(x, (1,)), 0
    return x, registry.normalize_axis(op, axis, x.ndim)


@recorded
def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """Returns the running sum of ``x`` along ``axis``, as ``keras.ops.cumsum``.

    Args:
        x: a tensor.
        axis: the axis; ``None`` sums over the flattened tensor.
        dtype: the result's dtype (default: ``x``'s; bools count as int32).

    Returns:
        A tensor of ``x``'s shape (flattened for ``axis=None``).

    Example:

    >>> cumsum([1, 2, 3]).numpy()
    array([1, 3, 6], dtype=int32)
    """
    x, axis = _prepare("cumsum", x, axis, dtype)
    return _cumsum(x, axis, False)


@recorded
def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """Returns the running product of ``x`` along ``axis``.

    Args:
        x: a tensor.
        axis: the axis; ``None`` multiplies over the flattened tensor.
        dtype: the result's dtype (default: ``x``'s; bools count as int32).

    Returns:
        A tensor of ``x``'s shape (flattened for ``axis=None``). Its gradient
        divides by ``x``, so it is exact only where ``x`` has no zeros.

    Example:

    >>> cumprod([1.0, 2.0, 3.0]).numpy()
    array([1., 2., 6.], dtype=float32)
    """
    x, axis = _prepare("cumprod", x, axis, dtype)
    return _cumprod(x, axis, False)


@recorded
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Returns the product over ``axis`` (all axes if ``None``), as
    ``keras.ops.prod``.

    Args:
        x: a tensor.
        axis: an axis, a tuple of axes or ``None``.
        keepdims: keep the reduced axes with size 1.
        dtype: the result's dtype (default: ``x``'s; bools count as int32).

    Example:

    >>> prod([[1.0, 2.0], [3.0, 4.0]], axis=1).numpy()
    array([ 2., 12.], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    if dtype is not None:
        x = ew.cast(x, dtype)
    elif x.dtype == "bool":
        x = ew.cast(x, "int32")
    if axis is not None and not isinstance(axis, int):
        axis = tuple(axis)
    return apply("prod", [x], {"axis": axis, "keepdims": keepdims})
