"""Regression metrics: mean errors of several kinds, as in ``keras.metrics``.

Example:

>>> m = MeanSquaredError()
>>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
>>> m.result()
0.25
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import losses
from kgraph import ops
from kgraph.losses import cast_like
from kgraph.losses import ones_like
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
from kgraph.metrics.base import Mean
from kgraph.metrics.base import MeanMetricWrapper
from kgraph.metrics.base import Metric
from kgraph.metrics.base import _scalar_or_array
from kgraph.metrics.base import _shape_context


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error, averaged over samples.

    Example:

    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(
        self, name: str = "mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean absolute error, averaged over samples.

    Example:

    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(
        self, name: str = "mean_absolute_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean absolute percentage error, averaged over samples:
    ``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))``.

    Example:

    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[1.0], [2.0]], [[1.5], [2.0]])
    >>> round(m.result(), 4)
    25.0
    """

    def __init__(
        self, name: str = "mean_absolute_percentage_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all values.

    Example:

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self, name: str = "root_mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)

    def batch_statistics(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total", "count"}`` of the squared errors."""
        with _shape_context(self.name, y_true, y_pred):
            y_pred = to_float(y_pred)
            y_true = cast_like(y_true, y_pred)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            error_sq = ops.square(ops.subtract(y_pred, y_true))
            return self._mean_statistics(error_sq, sample_weight)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns ``sqrt(total / count)``."""
        return float(np.sqrt(super().result(totals)))


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean squared logarithmic error, averaged over samples.

    Example:

    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> round(m.result(), 4)
    0.1201
    """

    def __init__(
        self, name: str = "mean_squared_logarithmic_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The logarithm of the hyperbolic cosine of the prediction error,
    averaged over samples.

    Example:

    >>> m = LogCoshError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> round(m.result(), 3)
    0.108
    """

    def __init__(self, name: str = "logcosh", dtype: str | None = None) -> None:
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """The cosine similarity between labels and predictions (the metric's
    sign: 1 for vectors pointing the same way).

    Formula:

    ```python
    similarity = sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)
    ```

    Args:
        y_true: target vectors.
        y_pred: predicted vectors.
        axis: the axis the similarity is computed along.

    Returns:
        ``y_pred``'s shape without ``axis``.

    Example:

    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
    ...                   [[1.0, 0.0], [1.0, 1.0]]).numpy().round(4)
    array([0., 1.], dtype=float32)
    """
    return ops.negative(losses.cosine_similarity(y_true, y_pred, axis=axis))


class CosineSimilarity(MeanMetricWrapper):
    """The cosine similarity between targets and predictions, averaged over
    samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        axis: the axis the similarity is computed along.

    Example:

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(m.result(), 4)
    0.5
    """

    def __init__(
        self, name: str = "cosine_similarity", dtype: str | None = None, axis: int = -1
    ) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination, per output and aggregated.

    Statistics per output (column): the weighted sum of the targets, of
    their squares and of the squared residuals, and the sum of the weights;
    and the number of values seen. ``result`` computes, as Keras:

    ```python
    total = squared_sum - sum * sum / count
    r2 = 1 - residual / total          # 0 where that is infinite
    ```

    then averages the outputs (``"uniform_average"``), weights them by
    ``total`` (``"variance_weighted_average"``) or returns them all
    (``None``); with ``num_regressors`` it is adjusted:
    ``1 - (1 - r2) * (n - 1) / (n - num_regressors - 1)``, ``n`` the number
    of values.

    Args:
        class_aggregation: ``"uniform_average"``,
            ``"variance_weighted_average"`` or ``None``.
        num_regressors: the number of independent regressors (>= 0).
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for an unknown aggregation or a negative
            ``num_regressors``.

    Example:

    >>> m = R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(m.result(), 4)
    0.5714
    """

    _KEYS = ("sum", "squared_sum", "residual", "count")

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._outputs: int | None = None

    def _check_shapes(self, y_true: Any, y_pred: Any) -> None:
        if y_pred.ndim != 2 or y_true.ndim != 2 or y_pred.shape[-1] is None:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), "
                "with output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={errors.format_shape(y_pred.shape)} and "
                f"y_true.shape={errors.format_shape(y_true.shape)}."
            )
        self._outputs = int(y_pred.shape[-1])

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's sums, each of shape ``(output_dim,)``, and
        ``num_samples`` (the number of values).

        Raises:
            ValueError: for inputs that are not 2D with a known last axis.
        """
        with _shape_context(self.name, y_true, y_pred):
            y_pred = to_float(y_pred, "float32")
            y_true = to_float(y_true, "float32")
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            self._check_shapes(y_true, y_pred)
            weight = ones_like(y_true)
            if sample_weight is not None:
                sample_weight = to_float(sample_weight, "float32")
                if sample_weight.ndim == 1:
                    sample_weight = ops.expand_dims(sample_weight, 1)
                weight = ops.multiply(weight, sample_weight)
            weighted = ops.multiply(y_true, weight)
            residual = ops.square(ops.subtract(y_true, y_pred))
            return {
                "sum": ops.sum(weighted, axis=0),
                "squared_sum": ops.sum(ops.multiply(y_true, weighted), axis=0),
                "residual": ops.sum(ops.multiply(residual, weight), axis=0),
                "count": ops.sum(weight, axis=0),
                "num_samples": ops.sum(ones_like(y_true)),
            }

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the statistics' shapes.

        Raises:
            ValueError: before the number of outputs is known (no batch yet).
        """
        if self._outputs is None:
            raise ValueError(
                "R2Score knows the shape of its statistics after its first batch "
                "(the number of outputs). Received: no batch yet"
            )
        return {key: (self._outputs,) for key in self._KEYS} | {"num_samples": ()}

    def result(self, totals: Mapping[str, Any] | None = None) -> Any:
        """Returns the (aggregated) R2 score."""
        totals = self._totals_or_own(totals)
        sums = totals["sum"].astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            total = totals["squared_sum"] - sums * (sums / totals["count"])
            raw = 1.0 - totals["residual"] / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        return _scalar_or_array(self._adjusted(score, float(totals["num_samples"])))

    def _adjusted(self, score: Any, n: float) -> Any:
        p = self.num_regressors
        if p == 0:
            return score
        if p > n - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 "
                "score. Falling back to standard R2 score.",
                stacklevel=3,
            )
            return score
        if p == n - 1:
            warnings.warn(
                "Division by zero in Adjusted R2 score. Falling back to standard "
                "R2 score.",
                stacklevel=3,
            )
            return score
        return 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
