"""Hinge losses for maximum-margin classification, as in ``keras.losses``.

Labels are -1 or 1; 0/1 labels are converted to -1/1 first (when every
label of the batch is 0 or 1, as Keras decides).

Example:

>>> hinge([[0.0, 1.0]], [[0.6, 0.4]]).numpy().round(2)
array([1.1], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _prepare
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import mean


def convert_binary_labels_to_hinge(y_true: Any) -> Any:
    """Returns 0/1 labels as -1/1; other labels as they are.

    The whole batch decides, as in Keras: labels are converted only when
    every one of them is 0 or 1.

    Args:
        y_true: a float tensor of labels.

    Returns:
        A tensor of ``y_true``'s shape.

    Example:

    >>> convert_binary_labels_to_hinge([0.0, 1.0]).numpy()
    array([-1.,  1.], dtype=float32)
    """
    y_true, _ = _prepare(y_true, y_true)
    binary = ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0))
    converted = ops.subtract(ops.multiply(y_true, 2.0), 1.0)
    return ops.where(ops.all(binary), converted, y_true)


def _margins(y_true: Any, y_pred: Any) -> Any:
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)


@_with_shape_context
def hinge(y_true: Any, y_pred: Any) -> Any:
    """Computes the hinge loss between labels and predictions.

    Formula:

    ```python
    loss = mean(maximum(1 - y_true * y_pred, 0), axis=-1)
    ```

    Args:
        y_true: labels, -1 or 1 (0/1 labels are converted to -1/1),
            shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).numpy().round(2)
    array([1.1, 1.5], dtype=float32)
    """
    return mean(_margins(y_true, y_pred), axis=-1)


@_with_shape_context
def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """Computes the squared hinge loss between labels and predictions.

    Formula:

    ```python
    loss = mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)
    ```

    Args:
        y_true: labels, -1 or 1 (0/1 labels are converted to -1/1).
        y_pred: predicted values.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> squared_hinge([[0.0, 1.0], [0.0, 0.0]],
    ...               [[0.6, 0.4], [0.4, 0.6]]).numpy().round(2)
    array([1.46, 2.26], dtype=float32)
    """
    return mean(ops.square(_margins(y_true, y_pred)), axis=-1)


@_with_shape_context
def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """Computes the categorical hinge loss between labels and predictions.

    Formula:

    ```python
    pos = sum(y_true * y_pred, axis=-1)
    neg = max((1 - y_true) * y_pred, axis=-1)
    loss = maximum(neg - pos + 1, 0)
    ```

    Args:
        y_true: one-hot labels (0/1, or -1/1), shape ``(batch, ..., classes)``.
        y_pred: predicted values, same shape.

    Returns:
        The per-sample loss, shape ``(batch, ...)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> categorical_hinge([[0.0, 1.0], [0.0, 0.0]],
    ...                   [[0.6, 0.4], [0.4, 0.6]]).numpy().round(2)
    array([1.2, 1.6], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


class Hinge(LossFunctionWrapper):
    """The hinge loss: ``mean(maximum(1 - y_true * y_pred, 0))``.

    Labels are -1 or 1; 0/1 labels are converted to -1/1.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(Hinge()([[0.0, 1.0], [0.0, 0.0]],
    ...                     [[0.6, 0.4], [0.4, 0.6]])), 3)
    1.3
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """The squared hinge loss: ``mean(square(maximum(1 - y_true * y_pred, 0)))``.

    Labels are -1 or 1; 0/1 labels are converted to -1/1.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(SquaredHinge()([[0.0, 1.0], [0.0, 0.0]],
    ...                            [[0.6, 0.4], [0.4, 0.6]])), 3)
    1.86
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "squared_hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """The categorical hinge loss:
    ``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(CategoricalHinge()([[0.0, 1.0], [0.0, 0.0]],
    ...                                [[0.6, 0.4], [0.4, 0.6]])), 3)
    1.4
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
