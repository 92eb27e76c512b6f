"""Correlation metrics: Pearson's and the concordance correlation
coefficient per sample, averaged over samples, as in ``keras.metrics``.

Example:

>>> pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]).numpy().round(4)
array([0.9934], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from kgraph import losses
from kgraph import ops
from kgraph.losses import cast_like
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
from kgraph.metrics.base import EPSILON
from kgraph.metrics.base import MeanMetricWrapper


def _prepare(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _centered(x: Any, axis: Any) -> Any:
    return ops.subtract(x, _mean(x, axis))


def _mean(x: Any, axis: Any) -> Any:
    axes = axis if isinstance(axis, int) else tuple(axis)
    total = ops.sum(x, axis=axes, keepdims=True)
    return ops.divide(total, losses.count(x, axes))


def pearson_correlation(y_true: Any, y_pred: Any, axis: Any = -1) -> Any:
    """Computes Pearson's correlation coefficient along ``axis``.

    Formula:

    ```python
    t = y_true - mean(y_true, axis);  t = t / std(t, axis)
    p = y_pred - mean(y_pred, axis);  p = p / std(p, axis)
    r = mean(t * p, axis=axis)
    ```

    Args:
        y_true: target values.
        y_pred: predicted values.
        axis: the axis (or axes) the coefficient runs over.

    Returns:
        The coefficients, ``y_pred``'s shape without ``axis``.

    Example:

    >>> pearson_correlation([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]],
    ...                     [[2.0, 4.0, 6.0], [0.0, 1.0, 0.5]]).numpy().round(4)
    array([1.   , 0.866], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    t = _centered(y_true, axis)
    p = _centered(y_pred, axis)
    t = ops.divide(t, ops.sqrt(_mean(ops.square(_centered(t, axis)), axis)))
    p = ops.divide(p, ops.sqrt(_mean(ops.square(_centered(p, axis)), axis)))
    return ops.squeeze(_mean(ops.multiply(t, p), axis), axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: Any = -1) -> Any:
    """Computes the concordance correlation coefficient along ``axis``.

    Formula (Keras's, whose covariance centers ``y_true`` on the mean of
    ``y_pred``):

    ```python
    mt, mp = mean(y_true, axis), mean(y_pred, axis)
    norm = var(y_true) + var(y_pred) + square(mt - mp)
    ccc = mean(2 * (y_true - mp) * (y_pred - mp) / (norm + EPSILON), axis)
    ```

    Args:
        y_true: target values.
        y_pred: predicted values.
        axis: the axis (or axes) the coefficient runs over.

    Returns:
        The coefficients, ``y_pred``'s shape without ``axis``.

    Example:

    >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 4.0]]).numpy().round(4)
    array([0.8571], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    true_mean = _mean(y_true, axis)
    pred_mean = _mean(y_pred, axis)
    true_var = _mean(ops.square(_centered(y_true, axis)), axis)
    pred_var = _mean(ops.square(_centered(y_pred, axis)), axis)
    covariance = ops.multiply(
        ops.subtract(y_true, pred_mean), ops.subtract(y_pred, pred_mean)
    )
    norm = ops.add(
        ops.add(true_var, pred_var), ops.square(ops.subtract(true_mean, pred_mean))
    )
    ratio = ops.divide(ops.multiply(covariance, 2.0), ops.add(norm, EPSILON))
    return ops.squeeze(_mean(ratio, axis), axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Pearson's correlation coefficient per sample (along ``axis``),
    averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        axis: the axis (or axes) the coefficient runs over.

    Example:

    >>> m = PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]],
    ...                [[2.0, 4.0, 6.0], [0.0, 1.0, 0.5]])
    >>> round(m.result(), 4)
    0.933
    """

    def __init__(
        self,
        name: str = "pearson_correlation",
        dtype: str | None = None,
        axis: Any = -1,
    ) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(MeanMetricWrapper):
    """The concordance correlation coefficient per sample (along ``axis``),
    averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        axis: the axis (or axes) the coefficient runs over.

    Example:

    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 4.0]])
    >>> round(m.result(), 4)
    0.8571
    """

    def __init__(
        self,
        name: str = "concordance_correlation",
        dtype: str | None = None,
        axis: Any = -1,
    ) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
