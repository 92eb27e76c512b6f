"""Batches and datasets as Keras's data utilities handle them:
``pack_x_y_sample_weight``, ``unpack_x_y_sample_weight`` and
``split_dataset`` (over arrays: kgraph has no ``tf.data``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Unpacks a batch into ``(x, y, sample_weight)``, as Keras does.

    Args:
        data: ``x``, or a tuple (or list) ``(x,)``, ``(x, y)`` or ``(x, y,
            sample_weight)``.

    Returns:
        ``(x, y, sample_weight)``, with ``None`` for the missing parts.

    Raises:
        ValueError: for a tuple of another length.

    Example:

    >>> unpack_x_y_sample_weight(([1, 2], [3]))
    ([1, 2], [3], None)
    >>> unpack_x_y_sample_weight("x")
    ('x', None, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        x, y, weights = (*data, None, None)[:3]
        return x, y, weights
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
        f"`(x, y, sample_weight)`, found: a tuple of {len(data)} elements. "
        f"Received: {str(data)[:100]}"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Packs ``x``, ``y`` and ``sample_weight`` into a batch, as Keras does.

    Args:
        x: the inputs.
        y: the targets, if any.
        sample_weight: the sample weights, if any.

    Returns:
        ``x`` alone (``(x,)`` if ``x`` is a tuple or list, which would
        read as several parts), ``(x, y)`` or ``(x, y, sample_weight)``.

    Example:

    >>> pack_x_y_sample_weight([1, 2], [3])
    ([1, 2], [3])
    >>> pack_x_y_sample_weight([1, 2])
    ([1, 2],)
    """
    if y is None:
        return (x,) if isinstance(x, tuple | list) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[Any, Any]:
    """Splits a dataset of samples into a left and a right part.

    Keras returns ``tf.data`` (or Torch) datasets; kgraph, which has
    neither, returns the parts as the data was given: arrays for an
    array, tuples (or lists) of arrays for a tuple (or list) of arrays.

    Args:
        dataset: an array, or a tuple or list of arrays of one length.
        left_size: the left part's share (a float in ``(0, 1)``) or sample
            count (an int); ``None`` for what ``right_size`` leaves.
        right_size: the right part's, likewise; it is taken from the end.
        shuffle: shuffle the samples before splitting.
        seed: the shuffle's seed.
        preferred_backend: accepted for Keras compatibility (ignored).

    Returns:
        ``(left, right)``.

    Raises:
        TypeError: for another kind of dataset or size.
        ValueError: for sizes out of range, arrays of different lengths, or
            neither size given.

    Example:

    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> left.tolist(), right.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    del preferred_backend
    arrays = _sample_arrays(dataset)
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        order = np.random.default_rng(seed).permutation(total)
    left_parts = [a[order[:left]] for a in arrays]
    right_parts = [a[order[total - right :]] for a in arrays]
    if isinstance(dataset, np.ndarray):
        return left_parts[0], right_parts[0]
    kind = type(dataset)
    return kind(left_parts), kind(right_parts)


def _sample_arrays(dataset: Any) -> list[np.ndarray]:
    if isinstance(dataset, np.ndarray):
        return [dataset]
    if isinstance(dataset, tuple | list) and dataset:
        arrays = [np.asarray(part) for part in dataset]
        lengths = {len(a) if a.ndim else -1 for a in arrays}
        if len(lengths) != 1 or -1 in lengths:
            raise ValueError(
                "The arrays of `dataset` must have one length (samples along "
                f"their first axis). Received: lengths {[a.shape[:1] for a in arrays]}"
            )
        return arrays
    raise TypeError(
        "The `dataset` argument must be an array or a list/tuple of arrays. "
        f"Received: dataset of type {type(dataset).__name__}"
    )


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    """Keras's rescaling of split sizes to sample counts."""
    for name, size in (("left_size", left), ("right_size", right)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None. "
                f"Received: type({name})={type(size).__name__}"
            )
        if (type(size) is int and not 0 < size < total) or (
            type(size) is float and not 0 < size < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than "
                f"{total}, or a float within the range `[0, 1]`. "
                f"Received: {name}={size}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must "
            f"be less than or equal to 1. Received: {left} + {right}"
        )
    left = round(left * total) if type(left) is float else left
    right = round(right * total) if type(right) is float else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the "
            f"{total} samples. Received: left_size + right_size = {left + right}"
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"Both splits must hold samples: {total} samples split into {left} "
            f"and {right}. Received: left_size={left}, right_size={right}"
        )
    return int(left), int(right)


__all__ = ["pack_x_y_sample_weight", "split_dataset", "unpack_x_y_sample_weight"]
