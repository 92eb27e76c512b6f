"""Image-segmentation losses: Dice and Tversky, as in ``keras.losses``.

With ``axis=None`` the overlap is measured over the whole batch (one
value); an ``axis`` tuple such as ``(1, 2, 3)`` gives one value per sample.

Example:

>>> float(dice([[1.0, 0.0]], [[1.0, 0.0]]))
0.0
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _prepare
from kgraph.losses.base import _with_shape_context


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


@_with_shape_context
def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Any:
    """Computes the Dice loss between labels and predictions.

    Formula:

    ```python
    loss = 1 - 2 * sum(y_true * y_pred, axis) / (
        sum(y_true, axis) + sum(y_pred, axis) + EPSILON)
    ```

    Args:
        y_true: ground truth masks.
        y_pred: predicted masks (probabilities).
        axis: the axes the sums run over (``None``: all of them).

    Returns:
        The loss: a scalar with ``axis=None``, else one value per remaining
        index.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> y_true = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    >>> y_pred = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]
    >>> dice(y_true, y_pred, axis=(1, 2, 3)).numpy().round(4)
    array([0.5   , 0.7576], dtype=float32)
    >>> round(float(dice(y_true, y_pred)), 4)
    0.6164
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    axis = _axis(axis)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    total = ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis))
    score = ops.divide(ops.multiply(intersection, 2.0), ops.add(total, EPSILON))
    return ops.subtract(1.0, score)


@_with_shape_context
def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None
) -> Any:
    """Computes the Tversky loss between labels and predictions.

    Formula:

    ```python
    tp = sum(y_true * y_pred, axis)
    fp = sum((1 - y_pred) * y_true, axis)
    fn = sum(y_pred * (1 - y_true), axis)
    loss = 1 - tp / (tp + alpha * fp + beta * fn + EPSILON)
    ```

    (Keras's naming: ``fp`` weighs the labels the predictions miss.) With
    ``alpha = beta = 0.5`` it is the Dice loss.

    Args:
        y_true: ground truth masks.
        y_pred: predicted masks (probabilities).
        alpha: the weight of ``fp``.
        beta: the weight of ``fn``.
        axis: the axes the sums run over (``None``: all of them).

    Returns:
        The loss: a scalar with ``axis=None``, else one value per remaining
        index.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> round(float(tversky([[1.0, 1.0, 0.0]], [[0.5, 1.0, 0.5]],
    ...                     alpha=0.3, beta=0.7)), 4)
    0.25
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    axis = _axis(axis)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(
        ops.add(intersection, ops.multiply(fp, alpha)), ops.multiply(fn, beta)
    )
    score = ops.divide(intersection, ops.add(denominator, EPSILON))
    return ops.subtract(1.0, score)


class Dice(LossFunctionWrapper):
    """The Dice loss: ``1 - 2 * |y_true * y_pred| / (|y_true| + |y_pred|)``.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        axis: the axes the sums run over (``None``: the whole batch).
        dtype: see ``Loss``.

    Example:

    >>> loss = Dice(axis=(1, 2))
    >>> round(float(loss([[[1.0], [1.0]], [[0.0], [1.0]]],
    ...                  [[[1.0], [0.0]], [[0.0], [1.0]]])), 4)
    0.1667
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "dice",
        axis: Any = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(LossFunctionWrapper):
    """The Tversky loss: the Dice loss with false positives and false
    negatives weighted by ``alpha`` and ``beta`` (see ``tversky``).

    Args:
        alpha: the weight of false positives.
        beta: the weight of false negatives.
        reduction: see ``Loss``.
        name: the loss's name.
        axis: the axes the sums run over (``None``: the whole batch).
        dtype: see ``Loss``.

    Example:

    >>> loss = Tversky(alpha=0.3, beta=0.7)
    >>> round(float(loss([[1.0, 1.0, 0.0]], [[0.5, 1.0, 0.5]])), 4)
    0.25
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: Any = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            tversky,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            beta=beta,
            axis=axis,
        )
        self.alpha = alpha
        self.beta = beta
        self.axis = axis
