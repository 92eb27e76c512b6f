"""Array helpers for data preparation."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Turns class indices into one-hot float32 rows.

    Args:
        x: integer class indices, any shape (a trailing axis of size 1 is
            dropped, as Keras does).
        num_classes: the number of classes (default: the largest index + 1).

    Returns:
        An array of shape ``x.shape + (num_classes,)``.

    Raises:
        ValueError: for negative indices or indices beyond ``num_classes``.

    Example:

    >>> to_categorical([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"Class indices must be >= 0. Received: min={labels.min()}")
    count = (
        int(labels.max()) + 1 if num_classes is None and labels.size else num_classes
    )
    if count is None or (labels.size and labels.max() >= count):
        raise ValueError(
            f"Class indices must be below num_classes={count}. Received: "
            f"max={labels.max() if labels.size else None}"
        )
    return np.eye(count, dtype=np.float32)[labels]


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Divides ``x`` by its ``order``-norm along ``axis``.

    A NumPy array is normalized with NumPy (zero norms are left as 1, so
    zero vectors stay zero), as Keras does; tensors (also symbolic ones)
    go to ``kgraph.ops.normalize``.

    Args:
        x: the array or tensor.
        axis: the axis to normalize along.
        order: the norm's order (2 for the Euclidean norm).

    Returns:
        The normalized copy.

    Example:

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, -1 if axis is None else axis)
    from kgraph import ops

    return ops.normalize(x, axis=axis, order=order)
