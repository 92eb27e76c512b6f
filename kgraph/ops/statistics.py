"""Reductions and statistics of NumPy composed from primitives: ``amax``,
``average``, ``ptp``, ``count_nonzero``, quantiles and medians (from
``sort``), the NaN-ignoring reductions, ``corrcoef``, ``histogram``,
``bincount``, ``digitize``, ``searchsorted``, ``isin``, ``diff`` and
``trapezoid``; ``unique`` and ``nonzero``, whose sizes depend on the data,
work eagerly only.

Quantiles follow NumPy's methods (``linear`` interpolates as NumPy's
``_lerp``); with NaN in a row the plain versions give NaN and the ``nan*``
versions use the other elements (``sort`` puts NaN last, so each row's
positions are computed from its count of numbers).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import composite
from kgraph.ops import cumulative
from kgraph.ops import elementwise as ew
from kgraph.ops import elementwise_math as em
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import manipulation
from kgraph.ops import numpy_math
from kgraph.ops import reduce as reduce_ops
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops import sorting
from kgraph.ops.history import recorded
from kgraph.ops.tensor import SymbolicTensor


def _tensor(x: Any) -> Any:
    return shape_ops.as_tensor(x)


def _float(x: Any) -> Any:
    x = _tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


def _axes(x: Any, axis: Any, op: str) -> tuple[int, ...]:
    axis = None if axis is None else registry.as_axes(axis)
    return reduce_ops.normalize_axes(op, axis, x.ndim)


@recorded
def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the maximum over ``axis`` (alias of ``max``)."""
    return reduce_ops.max(x, axis=axis, keepdims=keepdims)


@recorded
def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the minimum over ``axis`` (alias of ``min``)."""
    return composite.min(x, axis=axis, keepdims=keepdims)


@recorded
def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the range ``max - min`` over ``axis`` (peak to peak).

    Example:

    >>> ptp([[1, 5], [2, 9]], axis=1).numpy()
    array([4, 7], dtype=int32)
    """
    return ew.subtract(
        reduce_ops.max(x, axis=axis, keepdims=keepdims),
        composite.min(x, axis=axis, keepdims=keepdims),
    )


@recorded
def count_nonzero(x: Any, axis: Any = None) -> Any:
    """Returns how many elements along ``axis`` are not zero, as int32.

    Example:

    >>> count_nonzero([[0, 1], [2, 3]], axis=1).numpy()
    array([1, 2], dtype=int32)
    """
    x = _tensor(x)
    flags = ew.cast(ew.not_equal(x, np.zeros((), x.dtype)), "int32")
    return reduce_ops.sum(flags, axis=axis)


@recorded
def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """Returns the (weighted) mean over ``axis``: ``sum(x * w) / sum(w)``.

    Args:
        x: a tensor.
        axis: an axis (or ``None``: all).
        weights: ``None``, weights of ``x``'s shape, or a 1-D tensor along
            ``axis``.

    Example:

    >>> average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0]).numpy()
    array(2.75, dtype=float32)
    """
    x = _float(x)
    if weights is None:
        return composite.mean(x, axis=axis)
    weights = _tensor(weights)
    x, weights = ew.promote(x, weights, floating=True)
    if weights.ndim == 1 and x.ndim > 1:
        if axis is None or not isinstance(axis, int):
            raise ValueError(
                "average: 1-D weights need an int axis for a tensor of rank "
                f"{x.ndim}. Received: axis={axis}"
            )
        position = registry.normalize_axis("average", axis, x.ndim)
        weights = shape_ops.reshape(
            weights, [-1 if a == position else 1 for a in range(x.ndim)]
        )
    total = reduce_ops.sum(ew.multiply(x, weights), axis=axis)
    mass = reduce_ops.sum(ew.multiply(composite.ones_like(x), weights), axis=axis)
    return ew.divide(total, mass)


# -- NaN-ignoring reductions ---------------------------------------------------


def _without_nan(x: Any, fill: float) -> Any:
    x = _tensor(x)
    if not dtypes.is_float(x.dtype):
        return x
    return ew.where(numpy_math.isnan(x), fill, x)


@recorded
def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the sum over ``axis``, NaN counted as zero.

    Example:

    >>> nansum([1.0, float("nan"), 2.0]).numpy()
    array(3., dtype=float32)
    """
    return reduce_ops.sum(_without_nan(x, 0.0), axis=axis, keepdims=keepdims)


@recorded
def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the product over ``axis``, NaN counted as one."""
    return cumulative.prod(_without_nan(x, 1.0), axis=axis, keepdims=keepdims)


def _nan_count(x: Any, axis: Any, keepdims: bool) -> Any:
    x = _tensor(x)
    if not dtypes.is_float(x.dtype):
        return reduce_ops.sum(composite.ones_like(x, "float32"), axis, keepdims)
    kept = ew.cast(ew.logical_not(numpy_math.isnan(x)), x.dtype)
    return reduce_ops.sum(kept, axis=axis, keepdims=keepdims)


@recorded
def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the mean over ``axis`` of the elements that are not NaN
    (NaN where there are none)."""
    x = _float(x)
    return ew.divide(nansum(x, axis, keepdims), _nan_count(x, axis, keepdims))


@recorded
def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the variance over ``axis`` of the elements that are not NaN."""
    x = _float(x)
    center = nanmean(x, axis=axis, keepdims=True)
    squares = ew.square(ew.subtract(x, center))
    return ew.divide(nansum(squares, axis, keepdims), _nan_count(x, axis, keepdims))


@recorded
def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the standard deviation over ``axis`` ignoring NaN."""
    return ew.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _all_nan(x: Any, axis: Any, keepdims: bool) -> Any:
    return composite.all(numpy_math.isnan(x), axis=axis, keepdims=keepdims)


@recorded
def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the maximum over ``axis`` ignoring NaN (NaN if all are)."""
    x = _tensor(x)
    if not dtypes.is_float(x.dtype):
        return reduce_ops.max(x, axis=axis, keepdims=keepdims)
    peak = reduce_ops.max(_without_nan(x, -math.inf), axis=axis, keepdims=keepdims)
    return ew.where(_all_nan(x, axis, keepdims), math.nan, peak)


@recorded
def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the minimum over ``axis`` ignoring NaN (NaN if all are)."""
    x = _tensor(x)
    if not dtypes.is_float(x.dtype):
        return composite.min(x, axis=axis, keepdims=keepdims)
    low = composite.min(_without_nan(x, math.inf), axis=axis, keepdims=keepdims)
    return ew.where(_all_nan(x, axis, keepdims), math.nan, low)


@recorded
def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the index of the maximum along ``axis`` ignoring NaN."""
    return reduce_ops.argmax(_without_nan(x, -math.inf), axis=axis, keepdims=keepdims)


@recorded
def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the index of the minimum along ``axis`` ignoring NaN."""
    return composite.argmin(_without_nan(x, math.inf), axis=axis, keepdims=keepdims)


@recorded
def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Returns the running sum along ``axis``, NaN counted as zero."""
    return cumulative.cumsum(_without_nan(x, 0.0), axis=axis, dtype=dtype)


@recorded
def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Returns the running product along ``axis``, NaN counted as one."""
    return cumulative.cumprod(_without_nan(x, 1.0), axis=axis, dtype=dtype)


# -- quantiles -----------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _rows(x: Any, axes: tuple[int, ...]) -> Any:
    """``x`` with ``axes`` moved last and merged into one axis."""
    moved = manipulation.moveaxis(x, list(axes), list(range(-len(axes), 0)))
    if len(axes) == 1:
        return moved
    count = 1
    for a in axes:
        count *= manipulation._static("quantile", x, a)
    kept = [d for i, d in enumerate(x.shape) if i not in axes]
    return shape_ops.reshape(moved, [-1 if d is None else d for d in kept] + [count])


def _lerp(low: Any, high: Any, gamma: Any) -> Any:
    """NumPy's ``_lerp``: from the nearer end, exact at both ends."""
    step = ew.subtract(high, low)
    from_low = ew.add(low, ew.multiply(step, gamma))
    from_high = ew.subtract(high, ew.multiply(step, ew.subtract(1.0, gamma)))
    return ew.where(ew.greater_equal(gamma, 0.5), from_high, from_low)


def _pick(rows: Any, index: Any) -> Any:
    """Elements of the last axis of ``rows`` at ``index`` (a constant of
    positions, or a tensor of ``rows``'s leading shape plus one axis)."""
    if isinstance(index, np.ndarray):
        return shape_ops.take(rows, index.astype("int32"), axis=-1)
    return sorting.take_along_axis(rows, index, axis=-1)


def _interpolate(ordered: Any, position: Any, size: Any, method: str) -> Any:
    """The quantile at virtual ``position`` (floats) of sorted rows, by
    NumPy's rules for each method."""
    if isinstance(position, np.ndarray):
        below = np.floor(position)
        low = below
        high = np.minimum(below + 1, size - 1)
        ceiling = np.ceil(position)
        nearest = np.around(position)
        gamma = np.asarray(position - below, dtypes.to_numpy(ordered.dtype))
        whole = gamma == 0
    else:
        below = ew.floor(position)
        top = ew.maximum(ew.subtract(size, 1.0), 0.0)
        low = ew.cast(ew.maximum(below, 0.0), "int32")
        high = ew.cast(ew.minimum(ew.add(ew.maximum(below, 0.0), 1.0), top), "int32")
        ceiling = ew.cast(ew.maximum(em.ceil(position), 0.0), "int32")
        nearest = ew.cast(ew.maximum(em.round(position), 0.0), "int32")
        gamma = ew.subtract(position, below)
        whole = ew.equal(gamma, 0.0)
    if method == "lower":
        return _pick(ordered, low)
    if method == "higher":
        return _pick(ordered, ceiling)
    if method == "nearest":
        return _pick(ordered, nearest)
    first, second = _pick(ordered, low), _pick(ordered, high)
    if method == "midpoint":
        return ew.where(whole, first, ew.multiply(ew.add(first, second), 0.5))
    return _lerp(first, second, gamma)


def _quantile(
    op: str, x: Any, q: Any, axis: Any, method: str, keepdims: bool, skip_nan: bool
) -> Any:
    if method not in _METHODS:
        raise ValueError(
            f"{op}: method must be one of {_METHODS}. Received: method={method!r}"
        )
    if isinstance(q, SymbolicTensor):
        raise ValueError(
            f"{op}: q must be known when the model is defined. Received: {q!r}"
        )
    q = np.asarray(q, dtype=np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"{op}: q must lie in [0, 1]. Received: q={q}")
    x = _float(x)
    axes = _axes(x, axis, op)
    ordered = sorting.sort(_rows(x, axes), axis=-1)
    size = manipulation._static(op, ordered, ordered.ndim - 1)
    flat_q = q.reshape(-1)
    if skip_nan and dtypes.is_float(x.dtype):
        valid = reduce_ops.sum(
            ew.cast(ew.logical_not(numpy_math.isnan(ordered)), ordered.dtype),
            axis=-1,
            keepdims=True,
        )
        position = ew.multiply(ew.subtract(valid, 1.0), flat_q.astype(x.dtype))
        result = _interpolate(ordered, position, valid, method)
        result = ew.where(ew.equal(valid, 0.0), math.nan, result)
    else:
        result = _interpolate(ordered, flat_q * (size - 1), size, method)
        has_nan = composite.any(numpy_math.isnan(ordered), axis=-1, keepdims=True)
        result = ew.where(has_nan, math.nan, result)
    if keepdims:
        for a in axes:
            result = shape_ops.expand_dims(result, a)
        source = x.ndim
    else:
        source = result.ndim - 1
    if q.ndim == 0:
        return shape_ops.squeeze(result, source)
    result = manipulation.moveaxis(result, source, 0)
    if q.ndim > 1:
        rest = [-1 if d is None else d for d in result.shape[1:]]
        result = shape_ops.reshape(result, [*q.shape, *rest])
    return result


@recorded
def quantile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """Returns the ``q``-th quantiles (``q`` in ``[0, 1]``) over ``axis``,
    as ``keras.ops.quantile`` (NumPy's methods ``linear``, ``lower``,
    ``higher``, ``midpoint``, ``nearest``; the axes of ``q`` come first).

    Example:

    >>> quantile([1.0, 2.0, 3.0, 4.0], 0.5).numpy()
    array(2.5, dtype=float32)
    """
    return _quantile("quantile", x, q, axis, method, keepdims, False)


@recorded
def percentile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """Returns the ``q``-th percentiles (``q`` in ``[0, 100]``) over ``axis``."""
    return _quantile(
        "percentile",
        x,
        np.asarray(q, np.float64) / 100.0,
        axis,
        method,
        keepdims,
        False,
    )


@recorded
def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the median over ``axis`` (the mean of the middle two for an
    even count).

    Example:

    >>> median([[1, 3, 2], [4, 6, 5]], axis=1).numpy()
    array([2., 5.], dtype=float32)
    """
    return _quantile("median", x, 0.5, axis, "linear", keepdims, False)


@recorded
def nanquantile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """Like ``quantile``, ignoring NaN (NaN where a row has no numbers)."""
    return _quantile("nanquantile", x, q, axis, method, keepdims, True)


@recorded
def nanpercentile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """Like ``percentile``, ignoring NaN."""
    return _quantile(
        "nanpercentile",
        x,
        np.asarray(q, np.float64) / 100.0,
        axis,
        method,
        keepdims,
        True,
    )


@recorded
def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Like ``median``, ignoring NaN."""
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, True)


# -- counting and binning ------------------------------------------------------


@recorded
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Any:
    """Returns where ``values`` would be inserted into the 1-D ascending
    ``sorted_sequence`` to keep it sorted (before equal elements with
    ``side="left"``, after them with ``"right"``), as int32.

    Example:

    >>> searchsorted([1, 2, 2, 3], [2, 5], side="right").numpy()
    array([3, 4], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(
            f"searchsorted: side must be 'left' or 'right'. Received: side={side!r}"
        )
    sequence, values = ew.promote(sorted_sequence, values)
    sequence, values = _tensor(sequence), _tensor(values)
    if sequence.ndim != 1:
        raise ValueError(
            "searchsorted: sorted_sequence must be 1-D. "
            f"Received: shape={sequence.shape}"
        )
    column = shape_ops.expand_dims(values, -1)
    before = (
        ew.less(sequence, column) if side == "left" else ew.less_equal(sequence, column)
    )
    return reduce_ops.sum(ew.cast(before, "int32"), axis=-1)


@recorded
def digitize(x: Any, bins: Any) -> Any:
    """Returns the index of the bin of each element: ``i`` such that
    ``bins[i-1] <= x < bins[i]`` for increasing ``bins`` (decreasing bins
    mirrored, as NumPy), as int32.

    Example:

    >>> digitize([0.5, 1.0, 3.5], [1.0, 2.0, 3.0]).numpy()
    array([0, 1, 3], dtype=int32)
    """
    bins_t = _tensor(bins)
    if not isinstance(bins_t, SymbolicTensor):
        edges = np.asarray(bins_t)
        if edges.size > 1 and np.all(np.diff(edges) <= 0) and edges[0] > edges[-1]:
            reverse = searchsorted(edges[::-1].copy(), x, side="left")
            return ew.subtract(np.int32(edges.size), reverse)
    return searchsorted(bins_t, x, side="right")


@recorded
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    """Returns whether each element of ``x1`` occurs in ``x2``.

    Example:

    >>> isin([1, 2, 3], [3, 1]).numpy()
    array([ True, False,  True])
    """
    del assume_unique
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = _tensor(x1), manipulation.ravel(x2)
    found = composite.any(ew.equal(shape_ops.expand_dims(x1, -1), x2), axis=-1)
    return ew.logical_not(found) if invert else found


@recorded
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False):
    """Counts the occurrences of each non-negative integer in ``x`` (1-D,
    or 2-D counted per row), summing ``weights`` instead when given.

    The result has ``max(max(x) + 1, minlength)`` bins for eager tensors;
    in a graph, whose shapes are fixed when the model is defined, it has
    ``minlength`` bins and values from ``minlength`` up are not counted.

    Raises:
        ValueError: for ``sparse=True``, or symbolic ``x`` without
            ``minlength``.

    Example:

    >>> bincount([0, 1, 1, 3]).numpy()
    array([1, 2, 0, 1], dtype=int32)
    """
    if sparse:
        raise ValueError(
            "bincount: kgraph has no sparse tensors. Received: sparse=True"
        )
    x = _tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"bincount: x must be 1-D or 2-D. Received: shape={x.shape}")
    if isinstance(x, SymbolicTensor):
        if minlength <= 0:
            raise ValueError(
                "bincount: in a graph the number of bins must be known when the "
                "model is defined: pass minlength. Received: minlength="
                f"{minlength}"
            )
        length = int(minlength)
    else:
        values = np.asarray(x)
        if values.size and values.min() < 0:
            raise ValueError(
                "bincount: x must be non-negative. Received: a negative value"
            )
        length = builtins.max(
            int(values.max()) + 1 if values.size else 0, int(minlength)
        )
    hits = composite.one_hot(ew.cast(x, "int32"), length, dtype="int32")
    if weights is not None:
        weights = _tensor(weights)
        hits = ew.multiply(
            ew.cast(hits, weights.dtype), shape_ops.expand_dims(weights, -1)
        )
    return reduce_ops.sum(hits, axis=x.ndim - 1)


@recorded
def histogram(x: Any, bins: int = 10, range: Any = None) -> tuple[Any, Any]:
    """Counts the elements of ``x`` in ``bins`` equal bins over ``range``
    (default: from the smallest to the largest element), as
    ``keras.ops.histogram``.

    Returns:
        ``(counts, edges)``: int32 counts and the ``bins + 1`` edges.

    Example:

    >>> counts, edges = histogram([1.0, 2.0, 2.5, 4.0], bins=3)
    >>> counts.numpy()
    array([1, 2, 1], dtype=int32)
    """
    x = manipulation.ravel(_float(x))
    bins = int(bins)
    if range is None:
        low, high = composite.min(x), reduce_ops.max(x)
    else:
        low, high = (np.asarray(v, x.dtype) for v in range)
    same = ew.equal(low, high)
    low = ew.where(same, ew.subtract(low, 0.5), low)
    high = ew.where(same, ew.add(high, 0.5), high)
    fractions = np.linspace(0.0, 1.0, bins + 1).astype(x.dtype)
    edges = ew.add(low, ew.multiply(ew.subtract(high, low), fractions))
    inside = ew.logical_and(ew.greater_equal(x, low), ew.less_equal(x, high))
    column = shape_ops.expand_dims(x, -1)
    inner = shape_ops.get_item(edges, builtins.slice(1, bins))
    index = reduce_ops.sum(ew.cast(ew.greater_equal(column, inner), "int32"), -1)
    counted = ew.multiply(
        composite.one_hot(index, bins, dtype="int32"),
        ew.cast(shape_ops.expand_dims(inside, -1), "int32"),
    )
    return reduce_ops.sum(counted, axis=0), edges


@recorded
def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """Returns the ``n``-th differences along ``axis``.

    Example:

    >>> diff([1, 4, 9, 16]).numpy()
    array([3, 5, 7], dtype=int32)
    """
    x = _tensor(a)
    axis = registry.normalize_axis("diff", axis, x.ndim)
    for _ in range(int(n)):
        size = manipulation._static("diff", x, axis)
        later = manipulation._take_slice(x, axis, 1, size)
        earlier = manipulation._take_slice(x, axis, 0, builtins.max(size - 1, 0))
        x = (
            ew.subtract(later, earlier)
            if x.dtype != "bool"
            else ew.not_equal(later, earlier)
        )
    return x


@recorded
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """Integrates ``y`` along ``axis`` with the trapezoidal rule, at points
    ``x`` (or spaced ``dx`` apart).

    Example:

    >>> trapezoid([1.0, 2.0, 3.0]).numpy()
    array(4., dtype=float32)
    """
    y = _float(y)
    axis = registry.normalize_axis("trapezoid", axis, y.ndim)
    size = manipulation._static("trapezoid", y, axis)
    pairs = ew.add(
        manipulation._take_slice(y, axis, 1, size),
        manipulation._take_slice(y, axis, 0, size - 1),
    )
    if x is None:
        widths: Any = float(dx)
    else:
        x = _float(x)
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[axis] = -1
            x = shape_ops.reshape(x, shape)
            widths = diff(x, axis=axis)
        else:
            widths = diff(x, axis=axis)
    return reduce_ops.sum(ew.multiply(ew.multiply(pairs, widths), 0.5), axis=axis)


@recorded
def corrcoef(x: Any) -> Any:
    """Returns the Pearson correlation coefficients of the rows of ``x``
    (variables in rows, observations in columns).

    Example:

    >>> corrcoef([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]]).numpy().round(3)
    array([[1.   , 0.993],
           [0.993, 1.   ]], dtype=float32)
    """
    x = _float(x)
    if x.ndim == 1:
        x = shape_ops.expand_dims(x, 0)
    centered = ew.subtract(x, composite.mean(x, axis=1, keepdims=True))
    count = manipulation._static("corrcoef", x, 1)
    covariance = ew.divide(
        linalg_ops.matmul_t(centered, centered, False, True),
        float(builtins.max(count - 1, 1)),
    )
    scale = ew.sqrt(manipulation.diagonal(covariance))
    outer = ew.multiply(
        shape_ops.expand_dims(scale, 1), shape_ops.expand_dims(scale, 0)
    )
    return composite.clip(ew.divide(covariance, outer), -1.0, 1.0)


@recorded
def correlate(x1: Any, x2: Any, mode: str = "valid") -> Any:
    """Returns the cross-correlation of two 1-D tensors,
    ``c[k] = sum_n x1[n + k] * x2[n]``, as ``numpy.correlate`` with mode
    ``"valid"``, ``"same"`` or ``"full"``.

    Example:

    >>> correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).numpy()
    array([3.5], dtype=float32)
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(
            f"correlate: mode must be 'valid', 'same' or 'full'. Received: {mode!r}"
        )
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.dtype == "bool" or dtypes.is_int(x1.dtype):
        x1, x2 = ew.cast(x1, "float32"), ew.cast(x2, "float32")
    n, m = (
        manipulation._static("correlate", x1, 0),
        manipulation._static("correlate", x2, 0),
    )
    swapped = m > n
    if swapped:  # NumPy correlates the longer with the shorter, reversed
        x1, x2, n, m = x2, x1, m, n
    if mode == "valid":
        low, high = 0, 0
    elif mode == "same":
        low, high = m // 2, m - 1 - m // 2
    else:
        low, high = m - 1, m - 1
    padded = shape_ops.pad_general(x1, [low], [high], [0], 0.0)
    count = n + low + high - m + 1
    windows = np.arange(count)[:, None] + np.arange(m)[None, :]
    result = linalg_ops.matmul(shape_ops.take(padded, windows.astype("int32")), x2)
    return shape_ops.flip(result, 0) if swapped else result


# -- eager-only ----------------------------------------------------------------


def _eager(op: str, x: Any) -> np.ndarray:
    if isinstance(x, SymbolicTensor):
        raise ValueError(
            f"{op}: the size of the result depends on the values, so it works on "
            "eager tensors only (not inside a model, whose shapes are fixed "
            f"when it is defined). Received: {x!r}"
        )
    return np.asarray(x)


@recorded
def unique(
    x: Any,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """Returns the sorted unique elements of ``x`` (eager tensors only), as
    ``keras.ops.unique``; with ``size``, padded with ``fill_value`` (default
    the smallest unique element) or cut to ``size`` elements.

    Example:

    >>> unique([3, 1, 3, 2]).numpy()
    array([1, 2, 3], dtype=int32)
    """
    del sorted
    values = _eager("unique", x)
    results = np.unique(
        values,
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
    )
    results = list(results) if isinstance(results, tuple) else [results]
    if size is not None:
        found = results[0]
        fill = found.min() if fill_value is None and found.size else fill_value
        extra = size - found.shape[0]
        if extra >= 0:
            pad = np.full((extra, *found.shape[1:]), fill or 0, found.dtype)
            results[0] = np.concatenate([found, pad])
        else:
            results[0] = found[:size]
    tensors = [
        _tensor(r.astype("int32") if r.dtype.kind == "i" and i else r)
        for i, r in enumerate(results)
    ]
    tensors[0] = _tensor(results[0].astype(dtypes.to_numpy(str(_tensor(x).dtype))))
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


@recorded
def nonzero(x: Any) -> tuple[Any, ...]:
    """Returns the indices of the non-zero elements, one int32 tensor per
    axis (eager tensors only).

    Example:

    >>> [i.numpy() for i in nonzero([[0, 1], [2, 0]])]
    [array([0, 1], dtype=int32), array([1, 0], dtype=int32)]
    """
    return tuple(_tensor(i.astype("int32")) for i in np.nonzero(_eager("nonzero", x)))


@recorded
def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[Any, ...]:
    """Converts flat indices into one coordinate tensor per axis of ``shape``.

    Example:

    >>> [i.numpy() for i in unravel_index([5, 1], (2, 3))]
    [array([1, 0], dtype=int32), array([2, 1], dtype=int32)]
    """
    indices = _tensor(indices)
    if not dtypes.is_int(indices.dtype):
        indices = ew.cast(indices, "int32")
    dims = [int(d) for d in shape]
    coordinates = []
    for axis in builtins.range(len(dims)):
        step = math.prod(dims[axis + 1 :])
        coordinate = em.floor_divide(indices, np.asarray(step, indices.dtype))
        coordinates.append(em.mod(coordinate, np.asarray(dims[axis], indices.dtype)))
    return tuple(coordinates)


@recorded
def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """Returns the Vandermonde matrix of a vector: columns ``x**(N-1)`` down
    to ``x**0`` (up with ``increasing``).

    Example:

    >>> vander([1, 2, 3], 3).numpy()
    array([[1, 1, 1],
           [4, 2, 1],
           [9, 3, 1]], dtype=int32)
    """
    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D. Received: shape={x.shape}")
    count = manipulation._static("vander", x, 0) if N is None else int(N)
    column = shape_ops.expand_dims(x, 1)
    powers = [composite.ones_like(column)]
    for _ in builtins.range(1, count):
        powers.append(ew.multiply(powers[-1], column))
    result = (
        shape_ops.concatenate(powers, axis=1)
        if count
        else (shape_ops.get_item(column, (builtins.slice(None), builtins.slice(0, 0))))
    )
    return result if increasing else shape_ops.flip(result, 1)
