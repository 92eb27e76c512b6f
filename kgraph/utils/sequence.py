"""``pad_sequences``: lists of variable-length sequences as one array, as
``keras.utils.pad_sequences``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: float = 0.0,
) -> np.ndarray:
    """Pads (or truncates) sequences to one length.

    Sequences shorter than ``maxlen`` are padded with ``value`` at the
    start (``padding="pre"``) or the end (``"post"``); longer ones lose
    values at the start (``truncating="pre"``) or the end (``"post"``).
    Each sequence's elements may be scalars or arrays of one shape.

    Args:
        sequences: a list of sequences (lists or arrays).
        maxlen: the length (default: the longest sequence's).
        dtype: the result's dtype.
        padding: ``"pre"`` or ``"post"``.
        truncating: ``"pre"`` or ``"post"``.
        value: the padding value.

    Returns:
        An array of shape ``(len(sequences), maxlen, *element shape)``.

    Raises:
        ValueError: for an unknown ``padding`` or ``truncating``, elements
            of different shapes, or a string ``value`` for a numeric dtype.

    Example:

    >>> pad_sequences([[1, 2, 3], [4]])
    array([[1, 2, 3],
           [0, 0, 4]], dtype=int32)
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
    array([[2, 3],
           [4, 0]], dtype=int32)
    """
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(
                f'{name} must be "pre" or "post". Received: {name}={choice!r}'
            )
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"`sequences` must be iterable with a length. Received: {sequences!r}"
        )
    arrays = [np.asarray(s) for s in sequences]
    lengths = [len(a) if a.ndim else 1 for a in arrays]
    element = next((a.shape[1:] for a in arrays if a.ndim and len(a)), ())
    for index, array in enumerate(arrays):
        if len(array) and array.shape[1:] != element:
            raise ValueError(
                f"Shape of sample {array.shape[1:]} of sequence at position "
                f"{index} is different from expected shape {element}. "
                f"Received: sequence of shape {array.shape}"
            )
    length = max(lengths, default=0) if maxlen is None else int(maxlen)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(
        np.dtype(dtype), np.object_
    )
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}. You should set `dtype=object` for variable length "
            f"strings. Received: value={value!r}"
        )
    result = np.full((len(arrays), length, *element), value, dtype=dtype)
    for row, array in enumerate(arrays):
        if not array.ndim or not len(array) or not length:
            continue
        kept = array[-length:] if truncating == "pre" else array[:length]
        if padding == "post":
            result[row, : len(kept)] = kept
        else:
            result[row, -len(kept) :] = kept
    return result


__all__ = ["pad_sequences"]
