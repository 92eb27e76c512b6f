"""Adaptive pooling, channels last: ``adaptive_average_pool`` and
``adaptive_max_pool``, composed from the pooling ops.

Along an axis of ``size`` elements pooled to ``out`` bins, bin ``i`` covers
``[floor(i * size / out), ceil((i + 1) * size / out))`` (PyTorch's and
Keras's bins). With ``small = ceil(size / out)`` every bin holds ``small``
or ``small + 1`` elements; Keras pools a bin whose length is ``small + 1``
over that many elements from its start and every other bin over ``small``.
Computed as Keras does, one axis at a time: a stride-1 pool of each window
length the bins use, concatenated, and the bins' windows gathered from it
(``take`` with constant indices). An axis that ``out`` divides is one plain
pool with window and stride ``size // out``. Gradients are those of the
pools, ``concatenate`` and ``take``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ops import history
from kgraph.ops.convolution import check_channels_last
from kgraph.ops.reduce import static_shape


def adaptive_bins(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """The start and the length of each of ``out`` bins over ``size``
    elements, as Keras pools them.

    Args:
        size: the input's length along the axis.
        out: the number of bins.

    Returns:
        ``(starts, lengths)``, int arrays of ``out`` entries.

    Example:

    >>> adaptive_bins(5, 3)
    (array([0, 1, 3]), array([2, 3, 2]))
    """
    small = math.ceil(size / out)
    index = np.arange(out)
    starts = (index * size) // out
    ends = -((-(index + 1) * size) // out)
    lengths = np.where(ends - starts == small + 1, small + 1, small)
    return starts, lengths


def _pool_axis(x: Any, axis: int, out: int, mode: str) -> Any:
    """Pools spatial axis ``axis`` (of the full shape) into ``out`` bins."""
    from kgraph import ops

    size = static_shape("adaptive pooling", (x.shape[axis],))[0]
    pool = ops.max_pool if mode == "max" else ops.average_pool
    ones = [1] * (x.ndim - 2)

    def window(length: int, stride: int) -> Any:
        pool_size, strides = list(ones), list(ones)
        pool_size[axis - 1], strides[axis - 1] = length, stride
        return pool(x, tuple(pool_size), tuple(strides))

    if size % out == 0:
        return window(size // out, size // out)
    starts, lengths = adaptive_bins(size, out)
    small = int(lengths.min())
    pooled, offsets = [], {}
    for length in sorted(set(lengths.tolist())):
        offsets[length] = sum(size - k + 1 for k in range(small, length))
        pooled.append(window(length, 1))
    combined = pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=axis)
    gather = np.array(
        [offsets[int(n)] + int(s) for s, n in zip(starts, lengths, strict=True)],
        dtype="int32",
    )
    return ops.take(combined, gather, axis=axis)


def _adaptive_pool(inputs: Any, output_size: Any, data_format: Any, mode: str) -> Any:
    from kgraph import ops

    where = f"adaptive_{mode}_pool"
    check_channels_last(data_format, where)
    x = ops.as_tensor(inputs)
    rank = x.ndim - 2
    if rank < 1:
        raise errors.ShapeError(
            f"{where}: expected an input (batch, *spatial, channels) with at least "
            f"one spatial axis. Received: input shape {tuple(x.shape)}"
        )
    sizes = (output_size,) * rank if isinstance(output_size, int) else output_size
    sizes = tuple(sizes)
    if len(sizes) != rank or not all(isinstance(n, int) and n > 0 for n in sizes):
        raise ValueError(
            f"{where}: `output_size` must be a positive integer or {rank} of them "
            f"(one per spatial axis). Received: output_size={output_size!r}"
        )
    if mode == "average" and not dtypes.is_float(x.dtype):
        x = ops.cast(x, "float32")
    for axis, out in enumerate(sizes, start=1):
        x = _pool_axis(x, axis, out, mode)
    return x


def adaptive_average_pool(
    inputs: Any, output_size: Any, data_format: str | None = None
) -> Any:
    """Average pooling to a fixed output size, channels last (Keras's
    ``ops.adaptive_average_pool``).

    Args:
        inputs: ``(batch, *spatial, channels)`` with known spatial sizes.
        output_size: an int, or one per spatial axis: the bins.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``(batch, *output_size, channels)``: each bin's mean (see
        ``adaptive_bins``).

    Raises:
        ValueError: for a bad ``output_size`` or another data format.

    Example:

    >>> x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    >>> adaptive_average_pool(x, 3)[0, :, 0].numpy()
    array([0.5, 2. , 3.5], dtype=float32)
    """
    if history.any_keras([inputs]):
        arguments = (inputs, output_size, data_format)
        return history.record_function(adaptive_average_pool, arguments, {})
    return _adaptive_pool(inputs, output_size, data_format, "average")


def adaptive_max_pool(
    inputs: Any, output_size: Any, data_format: str | None = None
) -> Any:
    """Max pooling to a fixed output size, channels last (Keras's
    ``ops.adaptive_max_pool``).

    Args:
        inputs: ``(batch, *spatial, channels)`` with known spatial sizes.
        output_size: an int, or one per spatial axis: the bins.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``(batch, *output_size, channels)``: each bin's maximum (see
        ``adaptive_bins``).

    Raises:
        ValueError: for a bad ``output_size`` or another data format.

    Example:

    >>> x = np.array([[[1.0], [5.0], [2.0], [0.0], [3.0]]], "float32")
    >>> adaptive_max_pool(x, 3)[0, :, 0].numpy()
    array([5., 5., 3.], dtype=float32)
    """
    if history.any_keras([inputs]):
        arguments = (inputs, output_size, data_format)
        return history.record_function(adaptive_max_pool, arguments, {})
    return _adaptive_pool(inputs, output_size, data_format, "max")
