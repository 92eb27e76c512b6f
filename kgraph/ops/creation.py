"""Tensors made from numbers: ranges, grids, filled tensors, identity-like
matrices and window functions, as ``keras.ops``'s NumPy constructors.

Shapes must be static (kgraph has no tensors whose shape is known only when
the graph runs), so constructors from Python numbers are eager constants;
inside a layer's ``call`` they are graph constants. ``linspace``,
``logspace``, ``geomspace``, ``full`` and the ``*_like`` functions also take
tensors, symbolic ones included, and then compose graph ops.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import composite
from kgraph.ops import elementwise as ew
from kgraph.ops import shaping as shape_ops
from kgraph.ops.builder import find_graph
from kgraph.ops.history import recorded
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable


def _is_symbolic(*values: Any) -> bool:
    return builtins.any(isinstance(v, SymbolicTensor) for v in values)


def _number(value: Any, what: str) -> Any:
    """A Python number from a number, an array or an eager tensor."""
    if isinstance(value, SymbolicTensor):
        raise ValueError(
            f"{what} must be a number known when the model is defined, not a "
            f"symbolic tensor. Received: {value!r}"
        )
    array = np.asarray(value)
    if array.ndim:
        raise ValueError(f"{what} must be a scalar. Received: {value!r}")
    return array.item()


def _dtype_from(values: Any, default_float: bool = False) -> str:
    """Keras's dtype for numbers: ``float32`` if any is a float (or when
    ``default_float``), else ``int32``; tensors keep their dtype."""
    kinds = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, Tensor | Variable | SymbolicTensor | np.ndarray):
            kinds.append(str(value.dtype))
        else:
            kinds.append(dtypes.of_value(value))
    if not kinds:
        return "float32"
    kind = dtypes.result_type(*kinds)
    if kind == "bool":
        kind = "int32"
    if default_float and not dtypes.is_float(kind):
        return "float32"
    return kind


def _const(array: Any, dtype: str) -> Tensor:
    return Tensor(np.asarray(array).astype(dtypes.to_numpy(dtypes.canonical(dtype))))


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Returns evenly spaced values in ``[start, stop)``, as ``keras.ops.arange``.

    Args:
        start: the first value (the end, from 0, when ``stop`` is ``None``).
        stop: the end (excluded).
        step: the spacing (default 1).
        dtype: the dtype; default ``int32`` for ints, ``float32`` if any
            argument is a float.

    Example:

    >>> arange(1, 7, 2).numpy()
    array([1, 3, 5], dtype=int32)
    """
    values = [
        _number(v, "arange: start, stop and step")
        for v in (start, stop, step)
        if v is not None
    ]
    kind = (
        dtypes.canonical(dtype)
        if dtype is not None
        else _dtype_from([start, stop, step])
    )
    if stop is None:
        values = [0, *values]
    return _const(
        np.arange(*values, dtype=np.float64 if dtypes.is_float(kind) else None), kind
    )


@recorded
def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """Returns ``num`` evenly spaced values from ``start`` to ``stop``, as
    ``keras.ops.linspace``.

    Args:
        start: the first value (a number or a tensor).
        stop: the last value (excluded when ``endpoint`` is false).
        num: how many values.
        endpoint: whether ``stop`` is the last value.
        retstep: also return the spacing.
        dtype: the dtype (default ``float32``).
        axis: where the new axis goes when ``start``/``stop`` are tensors.

    Returns:
        The values, or ``(values, step)`` with ``retstep``.

    Example:

    >>> linspace(0.0, 1.0, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative. Received: num={num}")
    kind = (
        dtypes.canonical(dtype)
        if dtype is not None
        else _dtype_from([start, stop], default_float=True)
    )
    if not _is_symbolic(start, stop):
        samples, step = np.linspace(
            np.asarray(start, dtype=np.float64),
            np.asarray(stop, dtype=np.float64),
            num,
            endpoint=endpoint,
            retstep=True,
            axis=axis,
        )
        result = _const(samples, kind)
        return (result, _const(step, kind)) if retstep else result
    result, step = _linspace_graph(start, stop, num, endpoint, axis)
    result = ew.cast(result, kind)
    return (result, step) if retstep else result


def _linspace_graph(start: Any, stop: Any, num: int, endpoint: bool, axis: int):
    """``start + arange(num) * step`` along a new axis, the last value
    ``stop`` exactly (NumPy's formula), for tensor bounds."""
    start, stop = ew.promote(start, stop, floating=True)
    start, stop = shape_ops.as_tensor(start), shape_ops.as_tensor(stop)
    rank = builtins.max(start.ndim, stop.ndim)
    position = axis % (rank + 1)
    divisions = (num - 1 if endpoint else num) or 1
    start_x = shape_ops.expand_dims(start, position) if start.ndim == rank else start
    stop_x = shape_ops.expand_dims(stop, position) if stop.ndim == rank else stop
    step = ew.divide(ew.subtract(stop_x, start_x), float(divisions))
    counts = np.arange(num, dtype=np.float64).reshape((num,) + (1,) * (rank - position))
    counts = counts.astype(dtypes.to_numpy(start.dtype))
    result = ew.add(start_x, ew.multiply(counts, step))
    if endpoint and num > 1:
        last = np.arange(num).reshape((num,) + (1,) * (rank - position)) == num - 1
        result = ew.where(last, stop_x, result)
    return result, shape_ops.squeeze(step, position)


@recorded
def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """Returns ``base ** linspace(start, stop, num)``, as ``keras.ops.logspace``.

    Example:

    >>> logspace(0.0, 2.0, 3).numpy()
    array([  1.,  10., 100.], dtype=float32)
    """
    kind = (
        dtypes.canonical(dtype)
        if dtype is not None
        else _dtype_from([start, stop], default_float=True)
    )
    if not _is_symbolic(start, stop, base):
        values = np.logspace(
            np.asarray(start, dtype=np.float64),
            np.asarray(stop, dtype=np.float64),
            num,
            endpoint=endpoint,
            base=np.asarray(base, dtype=np.float64),
            axis=axis,
        )
        return _const(values, kind)
    exponents, _ = _linspace_graph(start, stop, int(num), endpoint, axis)
    return ew.cast(ew.power(base, exponents), kind)


@recorded
def geomspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """Returns ``num`` values from ``start`` to ``stop`` spaced evenly on a
    log scale (a geometric progression), as ``keras.ops.geomspace``.

    Example:

    >>> geomspace(1.0, 1000.0, 4).numpy()
    array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    kind = (
        dtypes.canonical(dtype)
        if dtype is not None
        else _dtype_from([start, stop], default_float=True)
    )
    if not _is_symbolic(start, stop):
        values = np.geomspace(
            np.asarray(start, dtype=np.float64),
            np.asarray(stop, dtype=np.float64),
            num,
            endpoint=endpoint,
            axis=axis,
        )
        return _const(values, kind)
    start, stop = ew.promote(start, stop, floating=True)
    sign = ew.sign(start)
    logs, _ = _linspace_graph(
        ew.log(ew.abs(start)), ew.log(ew.abs(stop)), int(num), endpoint, axis
    )
    rank = builtins.max(np.ndim(start), np.ndim(stop))
    sign = shape_ops.expand_dims(sign, axis % (rank + 1)) if np.ndim(sign) else sign
    return ew.cast(ew.multiply(sign, ew.exp(logs)), kind)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    """Returns an ``N x M`` matrix with ones on the ``k``-th diagonal.

    Example:

    >>> eye(2).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return _const(
        np.eye(int(N), None if M is None else int(M), int(k)), dtype or "float32"
    )


def identity(n: int, dtype: Any = None) -> Any:
    """Returns the ``n x n`` identity matrix (``float32`` by default)."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    """Returns an ``N x M`` matrix with ones on and below the ``k``-th
    diagonal and zeros above.

    Example:

    >>> tri(2, 3).numpy()
    array([[1., 0., 0.],
           [1., 1., 0.]], dtype=float32)
    """
    return _const(
        np.tri(int(N), None if M is None else int(M), int(k)), dtype or "float32"
    )


@recorded
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """Returns a tensor of a static ``shape`` filled with ``fill_value``
    (a number or a tensor that broadcasts to ``shape``).

    Example:

    >>> full((2,), 7).numpy()
    array([7, 7], dtype=int32)
    """
    kind = dtypes.canonical(dtype) if dtype is not None else _dtype_from([fill_value])
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if find_graph([fill_value]) is None and not _is_symbolic(fill_value):
        value = np.asarray(fill_value)
        return _const(np.broadcast_to(value, tuple(int(d) for d in dims)), kind)
    return shape_ops.broadcast_to(ew.cast(fill_value, kind), dims)


@recorded
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """Returns a tensor of ``x``'s shape filled with ``fill_value``, of
    ``dtype`` (default ``x``'s).

    Example:

    >>> full_like(np.zeros(2, "float32"), 3).numpy()
    array([3., 3.], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    kind = dtypes.canonical(dtype or x.dtype)
    fill = fill_value
    if not isinstance(fill, SymbolicTensor | Tensor | Variable):
        fill = np.asarray(fill_value, dtype=dtypes.to_numpy(kind))
    else:
        fill = ew.cast(fill, kind)
    return (
        ew.where(ew.equal(x, x), fill, fill)
        if x.dtype != "bool"
        else ew.where(ew.logical_or(x, ew.logical_not(x)), fill, fill)
    )


def empty(shape: Any, dtype: Any = None) -> Any:
    """Returns a tensor of a static ``shape`` (kgraph fills it with zeros)."""
    return composite.zeros(shape, dtype=dtypes.canonical(dtype or "float32"))


@recorded
def empty_like(x: Any, dtype: Any = None) -> Any:
    """Returns a tensor of ``x``'s shape (kgraph fills it with zeros)."""
    return composite.zeros_like(x, dtype=dtype)


# -- window functions ----------------------------------------------------------


def _window(name: str, x: Any, *args: Any) -> Tensor:
    size = int(_number(x, f"{name}: the window length"))
    return _const(getattr(np, name)(size, *args), "float32")


def bartlett(x: Any) -> Any:
    """Returns the Bartlett (triangular) window of ``x`` points.

    Example:

    >>> bartlett(3).numpy()
    array([0., 1., 0.], dtype=float32)
    """
    return _window("bartlett", x)


def blackman(x: Any) -> Any:
    """Returns the Blackman window of ``x`` points."""
    return _window("blackman", x)


def hamming(x: Any) -> Any:
    """Returns the Hamming window of ``x`` points."""
    return _window("hamming", x)


def hanning(x: Any) -> Any:
    """Returns the Hann window of ``x`` points."""
    return _window("hanning", x)


def kaiser(x: Any, beta: float) -> Any:
    """Returns the Kaiser window of ``x`` points with shape parameter ``beta``."""
    return _window("kaiser", x, float(_number(beta, "kaiser: beta")))
