"""Reading pixels at computed positions: ``iota`` (the one primitive of the
image ops: each element's index along an axis, so a batched gather can
offset its indices when the batch size is known only when the model runs),
``map_coordinates``'s fill modes, and ``map_coordinates`` itself
(``jax.scipy.ndimage.map_coordinates``, Keras's JAX backend)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import elementwise as ew
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops.builder import apply

# -- iota: the index of each element along an axis ------------------------------


def _iota_infer(types: Any, attrs: Any) -> TensorType:
    (like,) = types
    registry.normalize_axis("iota", attrs["axis"], like.rank)
    if not dtypes.is_int(attrs["dtype"]):
        raise errors.DTypeError(
            "iota: the dtype must be an integer dtype. Received: "
            f"dtype={attrs['dtype']}"
        )
    return TensorType(like.shape, attrs["dtype"])


def _iota_reference(arrays: Any, attrs: Any) -> np.ndarray:
    (like,) = arrays
    axis = attrs["axis"] % like.ndim
    shape = [1] * like.ndim
    shape[axis] = like.shape[axis]
    counts = np.arange(like.shape[axis], dtype=attrs["dtype"]).reshape(shape)
    return np.array(np.broadcast_to(counts, like.shape))


def _iota_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    axis = draw.integer(-len(shape), len(shape) - 1)
    return registry.Example(
        [(shape, "float", "real")], {"axis": axis, "dtype": "int32"}
    )


def _lower_iota(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    del inputs
    shape = output.shape
    axis = attrs["axis"] % len(shape)
    inner, size = math.prod(shape[axis + 1 :]), shape[axis]
    builder = em.builder
    with em.loop(output.size, "n") as index:
        position = builder.urem(builder.udiv(index, em.index(inner)), em.index(size))
        em.store(output, index, em.convert(position, "int64", output.dtype))


registry.register(
    registry.OpDef(
        name="iota",
        kind=registry.GATHER,
        arity=1,
        infer=_iota_infer,
        reference=_iota_reference,
        grad=None,
        example=_iota_example,
        doc="Each element's index along an axis, shaped like the operand.",
        lower=_lower_iota,
        attrs={
            "axis": registry.Attr(registry.as_int, 0),
            "dtype": registry.Attr(dtypes.canonical, "int32"),
        },
        differentiable=False,
    )
)


def iota(like: Any, axis: int = 0, dtype: str = "int32") -> Any:
    """Returns each element's index along ``axis``, shaped like ``like``.

    Args:
        like: the tensor whose shape the result takes (its values are not
            read), so an unknown batch size works.
        axis: the axis to count along.
        dtype: an integer dtype.

    Returns:
        An integer tensor shaped like ``like``.

    Example:

    >>> iota(np.zeros((2, 3)), axis=0).numpy()
    array([[0, 0, 0],
           [1, 1, 1]], dtype=int32)
    """
    return apply("iota", [shape_ops.as_tensor(like)], {"axis": axis, "dtype": dtype})


# -- fill modes --------------------------------------------------------------------


def round_half_away(x: Any) -> Any:
    """Rounds half away from zero (``lax.round``), on integer-valued floats."""
    return ew.multiply(ew.sign(x), ew.floor(ew.add(ew.abs(x), 0.5)))


def _floor_mod(x: Any, size: int) -> Any:
    """``x mod size`` in ``[0, size)`` for integer-valued floats."""
    remainder = ew.subtract(x, ew.multiply(ew.floor(ew.divide(x, float(size))), size))
    remainder = ew.where(
        ew.greater_equal(remainder, float(size)),
        ew.subtract(remainder, float(size)),
        remainder,
    )
    return ew.where(ew.less(remainder, 0.0), ew.add(remainder, float(size)), remainder)


def _mirror(index: Any, size: int) -> Any:
    if size == 1:
        return ew.multiply(index, 0.0)
    half = size - 1
    return ew.abs(ew.subtract(_floor_mod(ew.add(index, float(half)), 2 * half), half))


def fix_index(index: Any, size: int, fill_mode: str) -> Any:
    """Maps an integer-valued float index into ``[0, size)`` as
    ``map_coordinates``'s fill mode does (``"constant"`` clamps; the caller
    masks those pixels)."""
    if fill_mode in ("constant", "nearest"):
        return ew.minimum(ew.maximum(index, 0.0), float(size - 1))
    if fill_mode == "wrap":
        return _floor_mod(index, size)
    if fill_mode == "mirror":
        return _mirror(index, size)
    doubled = _mirror(ew.add(ew.multiply(index, 2.0), 1.0), 2 * size + 1)
    return ew.floor(ew.divide(ew.subtract(doubled, 1.0), 2.0))


def inside(index: Any, size: int) -> Any:
    return ew.logical_and(
        ew.greater_equal(index, 0.0), ew.less_equal(index, float(size - 1))
    )


# -- map_coordinates ----------------------------------------------------------------


def _nodes(coordinate: Any, order: int) -> list[tuple[Any, Any]]:
    """``(index, weight)`` pairs of one axis: the nearest index (half away
    from zero) for order 0, the two neighbours for order 1."""
    if order == 0:
        return [(round_half_away(coordinate), None)]
    low = ew.floor(coordinate)
    upper = ew.subtract(coordinate, low)
    return [(low, ew.subtract(1.0, upper)), (ew.add(low, 1.0), upper)]


def map_coordinates(
    inputs: Any,
    coordinates: Any,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> Any:
    """Reads ``inputs`` at fractional ``coordinates``, as
    ``keras.ops.image.map_coordinates`` (``jax.scipy.ndimage``'s).

    Args:
        inputs: an array of any rank with known sizes.
        coordinates: one array of positions per axis of ``inputs`` (a list,
            or an array with that leading axis), all of one shape.
        order: 0 (nearest, half away from zero) or 1 (linear).
        fill_mode: ``"constant"`` (``fill_value``), ``"nearest"``,
            ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: the value outside ``inputs`` for ``"constant"``.

    Returns:
        The values, shaped like one coordinate array, of ``inputs``'s dtype
        (integers rounded half away from zero).

    Raises:
        ValueError: for another order or fill mode, or a number of
            coordinate arrays other than the rank of ``inputs``.

    Example:

    >>> grid = np.arange(12, dtype="float32").reshape(3, 4)
    >>> map_coordinates(grid, [[0.5, 1.5], [1.5, 2.5]], order=1).numpy()
    array([3.5, 8.5], dtype=float32)
    """
    from kgraph.ops import history
    from kgraph.ops.image.validation import FILL_MODES

    arguments = {"order": order, "fill_mode": fill_mode, "fill_value": fill_value}
    if history.any_keras([inputs, coordinates]):
        return history.record_function(
            map_coordinates, (inputs, coordinates), arguments
        )
    inputs = shape_ops.as_tensor(inputs)
    if isinstance(coordinates, list | tuple):
        axes = [shape_ops.as_tensor(c) for c in coordinates]
    else:
        stacked = shape_ops.as_tensor(coordinates)
        axes = [stacked[i] for i in range(stacked.shape[0])]
    if len(axes) != inputs.ndim:
        raise ValueError(
            "map_coordinates: the first dim of `coordinates` must be the rank of "
            f"`inputs`. Received inputs with shape: {tuple(inputs.shape)} and "
            f"coordinate leading dim of {len(axes)}"
        )
    if order not in (0, 1):
        raise ValueError(
            f"map_coordinates: `order` must be 0 or 1. Received: order={order}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"map_coordinates: `fill_mode` must be one of {FILL_MODES}. "
            f"Received: fill_mode={fill_mode!r}"
        )
    original = inputs.dtype
    if not dtypes.is_float(original):
        inputs = ew.cast(inputs, "float32")
    axes = [c if c.dtype == inputs.dtype else ew.cast(c, inputs.dtype) for c in axes]
    flat = shape_ops.reshape(inputs, (-1,))
    sizes = tuple(inputs.shape)
    strides = [math.prod(sizes[d + 1 :]) for d in range(len(sizes))]
    total = None
    for corner in itertools.product(*(_nodes(c, order) for c in axes)):
        offset, valid, weight = None, None, None
        for (index, w), size, stride in zip(corner, sizes, strides, strict=True):
            fixed = ew.multiply(fix_index(index, size, fill_mode), float(stride))
            offset = fixed if offset is None else ew.add(offset, fixed)
            ok = inside(index, size)
            valid = ok if valid is None else ew.logical_and(valid, ok)
            if w is not None:
                weight = w if weight is None else ew.multiply(weight, w)
        values = shape_ops.take(flat, ew.cast(offset, "int32"), axis=0)
        if fill_mode == "constant":
            values = ew.where(valid, values, float(fill_value))
        term = values if weight is None else ew.multiply(weight, values)
        total = term if total is None else ew.add(total, term)
    if not dtypes.is_float(original):
        total = ew.cast(round_half_away(total), original)
    return total
