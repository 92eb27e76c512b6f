"""Metrics that read one rate where another reaches a value:
``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``,
``PrecisionAtRecall`` and ``RecallAtPrecision``, from the weighted
confusion counts at evenly spaced thresholds, as in ``keras.metrics``.

Example:

>>> m = PrecisionAtRecall(0.5)
>>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
>>> m.result()
0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.metrics.base import Metric
from kgraph.metrics.base import _divide_no_nan
from kgraph.metrics.base import _shape_context
from kgraph.metrics.confusion import _Confusion

_KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


class SensitivitySpecificityBase(Metric):
    """Confusion counts at ``num_thresholds`` thresholds ``0, 1/(n-1), ...,
    1`` (one threshold, 0.5, when ``num_thresholds`` is 1); ``result``
    takes the largest value of one rate where another satisfies its
    constraint (0 when none does).

    Args:
        value: the constraint's value, in ``[0, 1]``.
        num_thresholds: the number of thresholds (> 0).
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for ``num_thresholds`` < 1.
    """

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
        self._confusion = _Confusion(
            self.thresholds, num_thresholds > 1, class_id=class_id
        )

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's counts, each of shape ``(len(thresholds),)``."""
        with _shape_context(self.name, y_true, y_pred):
            return self._confusion.statistics(y_true, y_pred, sample_weight, _KEYS)

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes: ``(len(thresholds),)`` each."""
        return {key: (len(self.thresholds),) for key in _KEYS}

    def _rates(self, totals: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
        totals = self._totals_or_own(totals)
        tp = totals["true_positives"].astype("float64")
        fp = totals["false_positives"].astype("float64")
        tn = totals["true_negatives"].astype("float64")
        fn = totals["false_negatives"].astype("float64")
        # float32 rates, as Keras compares them with the constraint.
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn).astype("float32"),
            "specificity": _divide_no_nan(tn, tn + fp).astype("float32"),
            "precision": _divide_no_nan(tp, tp + fp).astype("float32"),
        }

    def _max_under_constraint(
        self, constrained: np.ndarray, dependent: np.ndarray
    ) -> float:
        feasible = constrained >= np.float32(self.value)
        return float(np.max(np.where(feasible, dependent, 0.0), initial=0.0))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
        }


def _check_value(argument: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(
            f"Argument `{argument}` must be in the range [0, 1]. "
            f"Received: {argument}={value}"
        )


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) where the specificity is at least
    ``specificity``.

    Args:
        specificity: the specificity to reach, in ``[0, 1]``.
        num_thresholds: the number of thresholds.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a ``specificity`` outside ``[0, 1]``.

    Example:

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        _check_value("specificity", specificity)
        self.specificity = specificity
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the sensitivity at the specificity."""
        rates = self._rates(totals)
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where the sensitivity (recall) is at least
    ``sensitivity``.

    Args:
        sensitivity: the sensitivity to reach, in ``[0, 1]``.
        num_thresholds: the number of thresholds.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a ``sensitivity`` outside ``[0, 1]``.

    Example:

    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(m.result(), 4)
    0.6667
    """

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        _check_value("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the specificity at the sensitivity."""
        rates = self._rates(totals)
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision where the recall is at least ``recall``.

    Args:
        recall: the recall to reach, in ``[0, 1]``.
        num_thresholds: the number of thresholds.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a ``recall`` outside ``[0, 1]``.

    Example:

    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        _check_value("recall", recall)
        self.recall = recall
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the precision at the recall."""
        rates = self._rates(totals)
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where the precision is at least ``precision``.

    Args:
        precision: the precision to reach, in ``[0, 1]``.
        num_thresholds: the number of thresholds.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a ``precision`` outside ``[0, 1]``.

    Example:

    >>> m = RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        _check_value("precision", precision)
        self.precision = precision
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the recall at the precision."""
        rates = self._rates(totals)
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "precision": self.precision}
