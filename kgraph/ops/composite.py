"""Ops composed from primitives: they have no rules of their own, so their
gradients, fusion and lowering come from the primitives they are made of."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import builder
from kgraph.ops import elementwise as ew
from kgraph.ops import history
from kgraph.ops import reduce
from kgraph.ops import shaping as shape_ops
from kgraph.ops.reduce import normalize_axes
from kgraph.ops.tensor import SymbolicTensor


def _float(x: Any) -> Any:
    x = shape_ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


def _count(x: Any, axis: Any, keepdims: bool = False) -> Any:
    """How many elements each mean averages: a number; over the unknown
    batch dimension (axis 0) of a graph tensor, the graph's batch size times
    it; over another unknown dimension (a sequence of any length), the sum
    of ones shaped like ``x`` over the axes, as the result is shaped."""
    axes = normalize_axes("mean", None if axis is None else _axes(axis), x.ndim)
    total, batch, other = 1, False, False
    for a in axes:
        dim = x.shape[a]
        if dim is not None:
            total *= dim
        elif a == 0:
            batch = True
        else:
            other = True
    if not (batch or other):
        return float(total)
    if not isinstance(x, SymbolicTensor) or x.graph is None:
        reduce.static_shape("mean over an unknown dimension", x.shape)
    if other:
        return reduce.sum(ones_like(x), axis=axes, keepdims=keepdims)
    return ew.multiply(builder.batch_size_input(x.graph), float(total))


def _axes(axis: Any) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int) else tuple(axis)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the mean over ``axis`` (all axes if ``None``), as floats."""
    if history.any_keras([x]):
        return history.record_function(mean, (x,), {"axis": axis, "keepdims": keepdims})
    x = _float(x)
    count = _count(x, axis, keepdims)
    return ew.divide(reduce.sum(x, axis=axis, keepdims=keepdims), count)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether any element along ``axis`` is true (nonzero), as
    ``keras.ops.any``.

    Example:

    >>> any([[True, False], [False, False]], axis=1).numpy()
    array([ True, False])
    """
    x = shape_ops.as_tensor(x)
    flags = ew.cast(ew.not_equal(x, 0) if x.dtype != "bool" else x, "float32")
    return ew.greater(reduce.max(flags, axis=axis, keepdims=keepdims), 0.0)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether every element along ``axis`` is true (nonzero), as
    ``keras.ops.all``.

    Example:

    >>> all([[True, False], [True, True]], axis=1).numpy()
    array([False,  True])
    """
    x = shape_ops.as_tensor(x)
    flags = ew.cast(ew.not_equal(x, 0) if x.dtype != "bool" else x, "float32")
    return ew.greater(min(flags, axis=axis, keepdims=keepdims), 0.0)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the minimum over ``axis`` (all axes if ``None``)."""
    return ew.negative(reduce.max(ew.negative(x), axis=axis, keepdims=keepdims))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Returns the index of the minimum along ``axis`` as ``int32``."""
    return reduce.argmax(ew.negative(x), axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the (biased) variance over ``axis``."""
    x = _float(x)
    centered = ew.subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(ew.square(centered), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns the standard deviation over ``axis``."""
    return ew.sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Returns ``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = _float(x)
    # NOTE: the shift's gradient cancels exactly, so it is held constant.
    peak = ew.stop_gradient(reduce.max(x, axis=axis, keepdims=True))
    total = reduce.sum(ew.exp(ew.subtract(x, peak)), axis=axis, keepdims=True)
    result = ew.add(ew.log(total), peak)
    if keepdims:
        return result
    return shape_ops.squeeze(
        result,
        normalize_axes("logsumexp", None if axis is None else _axes(axis), x.ndim),
    )


def softmax(x: Any, axis: int = -1) -> Any:
    """Returns ``exp(x) / sum(exp(x))`` along ``axis``, computed stably.

    Example:

    >>> softmax([0.0, 0.0]).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    x = _float(x)
    peak = ew.stop_gradient(reduce.max(x, axis=axis, keepdims=True))
    exps = ew.exp(ew.subtract(x, peak))
    return ew.divide(exps, reduce.sum(exps, axis=axis, keepdims=True))


relu = ew.relu


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Returns ``x`` where positive, ``negative_slope * x`` elsewhere."""
    x = _float(x)
    return ew.where(ew.greater(x, 0.0), x, ew.multiply(x, negative_slope))


def sigmoid(x: Any) -> Any:
    """Returns ``1 / (1 + exp(-x))`` elementwise.

    Written with ``e = exp(-|x|)``, never above 1: ``1 / (1 + e)`` where
    ``x >= 0``, ``e / (1 + e)`` elsewhere, so neither the value nor the
    gradient overflows (``1 / (1 + exp(-x))`` differentiates to
    ``0 * inf`` below ``x = -88``). ``-|x|`` is a ``where``, whose gradient
    at 0 is the selected branch's.

    Example:

    >>> sigmoid(np.array([-200.0, 0.0, 200.0], "float32")).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = _float(x)
    nonnegative = ew.greater_equal(x, 0.0)
    e = ew.exp(ew.where(nonnegative, ew.negative(x), x))
    r = ew.divide(1.0, ew.add(e, 1.0))
    return ew.where(nonnegative, r, ew.multiply(e, r))


def softplus(x: Any) -> Any:
    """Returns ``log(1 + exp(x))`` elementwise, stable for large ``|x|``:
    ``max(x, 0) + log1p(exp(-|x|))``, both written with ``where`` so the
    gradient at 0 is ``sigmoid(0) = 0.5``.

    Example:

    >>> softplus(np.array([-200.0, 0.0, 200.0], "float32")).numpy()
    array([  0.       ,   0.6931472, 200.       ], dtype=float32)
    """
    x = _float(x)
    nonnegative = ew.greater_equal(x, 0.0)
    tail = ew.log1p(ew.exp(ew.where(nonnegative, ew.negative(x), x)))
    return ew.add(ew.where(nonnegative, x, 0.0), tail)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Returns ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    x = _float(x)
    negative = ew.multiply(ew.subtract(ew.exp(ew.minimum(x, 0.0)), 1.0), alpha)
    return ew.where(ew.greater(x, 0.0), x, negative)


def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """Limits values to ``[x_min, x_max]``."""
    return ew.minimum(ew.maximum(x, x_min), x_max)


def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> Any:
    """Encodes integer class indices as one-hot vectors along a new axis
    (``axis``, the last by default), as ``keras.ops.one_hot``: indices outside
    ``[0, num_classes)`` give rows of zeros.

    Args:
        x: integer class indices.
        num_classes: the length of each vector.
        axis: where the new axis goes.
        dtype: the result's dtype (default float32).
        sparse: kgraph has no sparse tensors, so only ``False``.

    Raises:
        ValueError: for ``sparse=True``.

    Example:

    >>> one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if sparse:
        raise ValueError(
            "one_hot: kgraph has no sparse tensors; pass sparse=False. "
            f"Received: sparse={sparse}"
        )
    dtype = dtype or "float32"
    x = shape_ops.as_tensor(x)
    classes = np.arange(
        num_classes, dtype=x.dtype if dtypes.is_int(x.dtype) else "int32"
    )
    if not dtypes.is_int(x.dtype):
        x = ew.cast(x, "int32")
    hits = ew.equal(shape_ops.expand_dims(x, -1), classes)
    result = ew.cast(hits, dtype)
    if axis not in (-1, x.ndim):
        axes = list(range(x.ndim))
        axes.insert(axis % (x.ndim + 1), x.ndim)
        from kgraph.ops import linalg_primitives as linalg_ops

        result = linalg_ops.transpose(result, axes)
    return result


def ones_like(x: Any, dtype: Any = None) -> Any:
    """Returns ones of ``x``'s shape (also a batch dimension known only when
    the graph runs), of ``dtype`` (default ``x``'s).

    Written as ``where(x == x, 1, 1)``: 1 even where ``x`` is NaN.

    Example:

    >>> ones_like(np.zeros((2, 1), "float32")).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    kind = dtypes.canonical(dtype or x.dtype)
    one = np.asarray(1, dtype=dtypes.to_numpy(kind))
    return ew.where(ew.equal(x, x), one, one)


def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Returns zeros of ``x``'s shape, of ``dtype`` (default ``x``'s).

    Example:

    >>> zeros_like(np.ones((1, 2), "int32")).numpy()
    array([[0, 0]], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    kind = dtypes.canonical(dtype or x.dtype)
    zero = np.asarray(0, dtype=dtypes.to_numpy(kind))
    return ew.where(ew.equal(x, x), zero, zero)


def zeros(shape: Any, dtype: str = "float32") -> Any:
    """Returns a tensor of zeros of a static ``shape``, as ``keras.ops.zeros``.

    Inside a layer's ``call`` it is a constant that broadcasts against the
    graph's tensors (e.g. an RNN's initial state).

    Args:
        shape: an int or a sequence of ints.
        dtype: the dtype (``"float32"``).

    Raises:
        ValueError: when a dimension is unknown (``None``): give the model
            a static batch size (``keras.Input(batch_shape=...)``).

    Example:

    >>> zeros((2, 3)).numpy()
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return _filled("zeros", shape, dtype, 0)


def ones(shape: Any, dtype: str = "float32") -> Any:
    """Returns a tensor of ones of a static ``shape``, as ``keras.ops.ones``.

    Args:
        shape: an int or a sequence of ints.
        dtype: the dtype (``"float32"``).

    Raises:
        ValueError: when a dimension is unknown (``None``).

    Example:

    >>> ones(2, dtype="int32").numpy()
    array([1, 1], dtype=int32)
    """
    return _filled("ones", shape, dtype, 1)


def _filled(name: str, shape: Any, dtype: str, value: int) -> Any:
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if builtins.any(d is None for d in dims):
        raise ValueError(
            f"{name}: the shape must be static; kgraph has no tensors of a shape "
            "known only when the graph runs. In a model, give the input a static "
            "batch size with keras.Input(batch_shape=...). "
            f"Received: shape={dims}"
        )
    array = np.full(tuple(int(d) for d in dims), value, dtype=dtypes.to_numpy(dtype))
    return shape_ops.as_tensor(array)
