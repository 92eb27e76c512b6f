"""Probabilistic losses besides the crossentropies: Kullback-Leibler
divergence and Poisson, as in ``keras.losses``.

Example:

>>> poisson([[0.0, 1.0]], [[1.0, 1.0]]).numpy().round(4)
array([1.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _prepare
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import mean


@_with_shape_context
def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """Computes the Kullback-Leibler divergence between labels and
    predictions.

    Formula:

    ```python
    y_true = clip(y_true, EPSILON, 1)
    y_pred = clip(y_pred, EPSILON, 1)
    loss = sum(y_true * log(y_true / y_pred), axis=-1)
    ```

    Args:
        y_true: target probabilities, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted probabilities, same shape.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> kl_divergence([[0.0, 1.0]], [[0.4, 0.6]]).numpy().round(4)
    array([0.5108], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    ratio = ops.log(ops.divide(y_true, y_pred))
    return ops.sum(ops.multiply(y_true, ratio), axis=-1)


kld = KLD = kl_divergence


@_with_shape_context
def poisson(y_true: Any, y_pred: Any) -> Any:
    """Computes the Poisson loss between labels and predictions.

    Formula:

    ```python
    loss = mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)
    ```

    Args:
        y_true: ground truth counts, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted rates, same shape.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> poisson([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).numpy().round(4)
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    log_rate = ops.log(ops.add(y_pred, EPSILON))
    return mean(ops.subtract(y_pred, ops.multiply(y_true, log_rate)), axis=-1)


class KLDivergence(LossFunctionWrapper):
    """The Kullback-Leibler divergence: ``sum(y_true * log(y_true / y_pred))``
    over the last axis, both clipped to ``[EPSILON, 1]``.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(KLDivergence()([[0.0, 1.0], [0.0, 0.0]],
    ...                            [[0.6, 0.4], [0.4, 0.6]])), 3)
    0.458
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype: str | None = None,
    ) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """The Poisson loss: ``mean(y_pred - y_true * log(y_pred + EPSILON))``.

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(Poisson()([[0.0, 1.0], [0.0, 0.0]],
    ...                       [[1.0, 1.0], [0.0, 0.0]])), 3)
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "poisson",
        dtype: str | None = None,
    ) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)
