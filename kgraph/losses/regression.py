"""Regression losses: squared, absolute, percentage and logarithmic errors,
Huber and log-cosh, as in ``keras.losses``.

Example:

>>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
array([0.5], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _prepare
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import mean
from kgraph.losses.base import squeeze_or_expand_to_same_rank

# -- loss functions --


@_with_shape_context
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean squared error between labels and predictions.

    Formula:

    ```python
    loss = mean(square(y_true - y_pred), axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


@_with_shape_context
def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean absolute error between labels and predictions.

    Formula:

    ```python
    loss = mean(abs(y_true - y_pred), axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


@_with_shape_context
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean absolute percentage error between labels and
    predictions.

    Formula:

    ```python
    loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), EPSILON)),
                      axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]).numpy()
    array([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), EPSILON)
    errors_ = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(mean(errors_, axis=-1), 100.0)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error


@_with_shape_context
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean squared logarithmic error between labels and
    predictions.

    Formula:

    ```python
    loss = mean(square(log(maximum(y_pred, EPSILON) + 1)
                       - log(maximum(y_true, EPSILON) + 1)), axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy().round(4)
    array([0.2402], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    first = ops.log(ops.add(ops.maximum(y_pred, EPSILON), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, EPSILON), 1.0))
    return mean(ops.square(ops.subtract(first, second)), axis=-1)


msle = MSLE = mean_squared_logarithmic_error


@_with_shape_context
def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """Computes the logarithm of the hyperbolic cosine of the prediction error.

    Formula (stable for large errors):

    ```python
    x = y_pred - y_true
    loss = mean(x + softplus(-2 * x) - log(2), axis=-1)   # log(cosh(x))
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).numpy().round(3)
    array([0.217, 0.   ], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    values = ops.add(x, ops.softplus(ops.multiply(x, -2.0)))
    return mean(ops.subtract(values, float(np.log(2.0))), axis=-1)


@_with_shape_context
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Computes the Huber loss.

    Formula:

    ```python
    error = y_pred - y_true
    loss = where(abs(error) <= delta,
                 0.5 * error**2,
                 delta * abs(error) - 0.5 * delta**2)
    loss = mean(loss, axis=-1)
    ```

    Args:
        y_true: ground truth values.
        y_pred: predicted values.
        delta: where the loss changes from quadratic to linear.

    Returns:
        The per-sample loss.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> huber([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).numpy().round(4)
    array([0.18, 0.13], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of the squared errors: ``mean(square(y_true - y_pred))``.

    Formula:

    ```python
    loss = mean(square(y_true - y_pred), axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_squared_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of the absolute errors: ``mean(abs(y_true - y_pred))``.

    Formula:

    ```python
    loss = mean(abs(y_true - y_pred), axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error:
    ``100 * mean(abs((y_true - y_pred) / y_true))``.

    Formula:

    ```python
    loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), EPSILON)),
                      axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
    37.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error,
            name=name,
            reduction=reduction,
            dtype=dtype,
        )


class Huber(LossFunctionWrapper):
    """The Huber loss: quadratic for small errors, linear for large ones.

    Formula:

    ```python
    error = y_pred - y_true
    loss = where(abs(error) <= delta, 0.5 * error**2,
                 delta * abs(error) - 0.5 * delta**2)
    loss = mean(loss, axis=-1)   # per sample
    ```

    Args:
        delta: where the loss changes from quadratic to linear.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(Huber()([[0.0, 1.0], [0.0, 0.0]],
    ...                     [[0.6, 0.4], [0.4, 0.6]])), 3)
    0.155
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            huber, name=name, reduction=reduction, dtype=dtype, delta=delta
        )
        self.delta = delta


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error: ``mean(square(log1p(y_pred) -
    log1p(y_true)))``, values below ``EPSILON`` raised to it.

    Formula:

    ```python
    loss = mean(square(log(maximum(y_pred, EPSILON) + 1)
                       - log(maximum(y_true, EPSILON) + 1)), axis=-1)
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(MeanSquaredLogarithmicError()([[0.0, 1.0]], [[1.0, 1.0]])), 4)
    0.2402
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error,
            name=name,
            reduction=reduction,
            dtype=dtype,
        )


class LogCosh(LossFunctionWrapper):
    """The logarithm of the hyperbolic cosine of the prediction error: like
    the squared error for small errors, the absolute error for large ones.

    Formula:

    ```python
    loss = mean(log(cosh(y_pred - y_true)), axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(LogCosh()([[0.0, 1.0], [0.0, 0.0]],
    ...                       [[1.0, 1.0], [0.0, 0.0]])), 3)
    0.108
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "log_cosh",
        dtype: str | None = None,
    ) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
