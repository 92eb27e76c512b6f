"""F-scores: the F-beta and F-1 scores of multi-class and multi-label
predictions, from weighted true positive, false positive and false
negative counts that sum over batches, as in ``keras.metrics``.

Example:

>>> m = F1Score(average="micro")
>>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.1], [0.6, 0.4]])
>>> round(m.result(), 4)
0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import ops
from kgraph.losses import to_float
from kgraph.metrics.base import EPSILON
from kgraph.metrics.base import Metric
from kgraph.metrics.base import _scalar_or_array
from kgraph.metrics.base import _shape_context

_AVERAGES = (None, "micro", "macro", "weighted")


def _check_arguments(average: Any, beta: Any, threshold: Any) -> None:
    if average not in _AVERAGES:
        raise ValueError(
            "Invalid `average` argument value. Expected one of: "
            f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
        )
    if not isinstance(beta, float):
        raise ValueError(
            "Invalid `beta` argument value. It should be a Python float. "
            f"Received: beta={beta} of type '{type(beta)}'"
        )
    if beta <= 0.0:
        raise ValueError(
            f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
        )
    if threshold is None:
        return
    if not isinstance(threshold, float):
        raise ValueError(
            "Invalid `threshold` argument value. It should be a Python float. "
            f"Received: threshold={threshold} of type '{type(threshold)}'"
        )
    if threshold > 1.0 or threshold <= 0.0:
        raise ValueError(
            "Invalid `threshold` argument value. It should verify "
            f"0 < threshold <= 1. Received: threshold={threshold}"
        )


class FBetaScore(Metric):
    """The F-beta score: ``(1 + beta**2) * precision * recall /
    (beta**2 * precision + recall)``.

    Predictions become 0/1 first: above ``threshold``, or, without one, the
    largest of each row (a row of zeros stays zeros). Statistics: the
    weighted true positives, false positives, false negatives and positive
    labels per class (summed over classes with ``average="micro"``).
    ``result`` follows Keras, with ``EPSILON`` in each denominator.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (from the
            counts over all classes), ``"macro"`` (the mean of the classes'
            scores) or ``"weighted"`` (weighted by each class's positives).
        beta: the weight of recall against precision, a float > 0.
        threshold: a float in ``(0, 1]``, or ``None`` for the arg-max.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for an unknown ``average``, a ``beta`` or ``threshold``
            that is not a float in range, or inputs that are not 2D.

    Example:

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().round(4)
    array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    _KEYS = ("true_positives", "false_positives", "false_negatives", "weights")

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        _check_arguments(average, beta, threshold)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._classes: int | None = None

    def _check_shapes(self, y_true: Any, y_pred: Any) -> None:
        if y_pred.ndim != 2 or y_true.ndim != 2 or y_pred.shape[-1] is None:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim), "
                "with output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={errors.format_shape(y_pred.shape)} and "
                f"y_true.shape={errors.format_shape(y_true.shape)}."
            )
        self._classes = int(y_pred.shape[-1])

    def _binarize(self, y_pred: Any) -> Any:
        if self.threshold is not None:
            return ops.cast(ops.greater(y_pred, self.threshold), "float32")
        top = ops.max(y_pred, axis=-1, keepdims=True)
        chosen = ops.logical_and(
            ops.greater_equal(y_pred, top), ops.greater(ops.abs(y_pred), 1e-9)
        )
        return ops.cast(chosen, "float32")

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's weighted counts, per class (or summed).

        Raises:
            ValueError: for inputs that are not 2D with a known last axis.
        """
        with _shape_context(self.name, y_true, y_pred):
            y_true = to_float(y_true, "float32")
            y_pred = to_float(y_pred, "float32")
            self._check_shapes(y_true, y_pred)
            y_pred = self._binarize(y_pred)
            weight = None
            if sample_weight is not None:
                weight = ops.expand_dims(to_float(sample_weight, "float32"), 1)

            def weighted_sum(values: Any) -> Any:
                if weight is not None:
                    values = ops.multiply(values, weight)
                return ops.sum(values, axis=self.axis)

            missed = ops.subtract(1.0, y_pred)
            return {
                "true_positives": weighted_sum(ops.multiply(y_pred, y_true)),
                "false_positives": weighted_sum(
                    ops.multiply(y_pred, ops.subtract(1.0, y_true))
                ),
                "false_negatives": weighted_sum(ops.multiply(missed, y_true)),
                "weights": weighted_sum(y_true),
            }

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes: ``(num_classes,)``, ``()`` for micro.

        Raises:
            ValueError: per class, before the number of classes is known.
        """
        if self.average == "micro":
            return {key: () for key in self._KEYS}
        if self._classes is None:
            raise ValueError(
                f"{type(self).__name__} knows the shape of its statistics after "
                "its first batch (the number of classes). Received: no batch yet"
            )
        return {key: (self._classes,) for key in self._KEYS}

    def result(self, totals: Mapping[str, Any] | None = None) -> Any:
        """Returns the score (an array per class with ``average=None``)."""
        totals = self._totals_or_own(totals)
        tp = totals["true_positives"].astype("float64")
        precision = tp / (tp + totals["false_positives"] + EPSILON)
        recall = tp / (tp + totals["false_negatives"] + EPSILON)
        beta_sq = self.beta**2
        mean = precision * recall / (beta_sq * precision + recall + EPSILON)
        score = mean * (1.0 + beta_sq)
        if self.average == "weighted":
            weights = totals["weights"] / (np.sum(totals["weights"]) + EPSILON)
            score = np.sum(score * weights)
        elif self.average is not None:
            score = np.mean(score)
        return _scalar_or_array(score)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F-1 score, the harmonic mean of precision and recall:
    ``2 * precision * recall / (precision + recall)``.

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"`` (see
            ``FBetaScore``).
        threshold: a float in ``(0, 1]``, or ``None`` for the arg-max.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for an unknown ``average`` or a ``threshold`` out of
            range.

    Example:

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().round(4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (no ``beta``)."""
        config = super().get_config()
        del config["beta"]
        return config
