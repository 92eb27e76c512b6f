"""Confusion-matrix metrics: precision, recall, the four counts and AUC,
from weighted true/false positive/negative counts per threshold that sum
over batches, as in ``keras.metrics``.

Example:

>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(m.result(), 4)
0.6667
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import ops
from kgraph.losses import ones_like
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
from kgraph.metrics.base import EPSILON
from kgraph.metrics.base import NEG_INF
from kgraph.metrics.base import Metric
from kgraph.metrics.base import _divide_no_nan
from kgraph.metrics.base import _float32
from kgraph.metrics.base import _scalar_or_array
from kgraph.metrics.base import _shape_context

# -- confusion-matrix metrics --


def _check_thresholds(thresholds: list[float]) -> None:
    invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def _parse_thresholds(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple) else [thresholds]
    _check_thresholds(values)
    return [float(t) for t in values]


def is_evenly_distributed_thresholds(thresholds: Any) -> bool:
    """Whether thresholds are ``i / (n - 1)`` for ``i < n``, ``n >= 3``.

    Keras then buckets predictions instead of comparing them with each
    threshold; kgraph reproduces that path's exact counts.
    """
    thresholds = np.asarray(thresholds, dtype="float64")
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype="float32") / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x: Any, k: int) -> Any:
    """Keeps the ``k`` largest values along the last axis, others NEG_INF.

    Ties go to the lower index, as ``top_k`` does.
    """
    size = x.shape[-1]
    column = ops.expand_dims(x, -1)
    row = ops.expand_dims(x, -2)
    above = ops.cast(ops.greater(row, column), "float32")
    earlier = np.tril(np.ones((size, size), dtype="float32"), -1)
    ties = ops.multiply(ops.cast(ops.equal(row, column), "float32"), earlier)
    rank = ops.sum(ops.add(above, ties), axis=-1)
    return ops.where(ops.less(rank, float(k)), x, NEG_INF)


class _Confusion:
    """Computes confusion counts per threshold with kgraph ops.

    Mirrors Keras's ``update_confusion_matrix_variables``: a prediction is
    positive at a threshold when it is strictly greater; labels are cast to
    bool; weights broadcast to the predictions. With evenly spaced
    thresholds Keras clips predictions to [0, 1] and buckets them by
    ``ceil(p * (n - 1)) - 1``; the comparison ``p * (n - 1) > i`` below
    gives the same counts.
    """

    def __init__(
        self,
        thresholds: list[float],
        evenly: bool,
        multi_label: bool = False,
        top_k: int | None = None,
        class_id: int | None = None,
        label_weights: Any = None,
    ) -> None:
        self.thresholds = thresholds
        self.evenly = evenly
        self.multi_label = multi_label
        self.top_k = top_k
        self.class_id = class_id
        self.label_weights = label_weights

    def _prepare(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
        y_true = to_float(y_true, "float32")
        y_pred = to_float(y_pred, "float32")
        y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
        if sample_weight is not None:
            sample_weight = ops.expand_dims(to_float(sample_weight, "float32"), -1)
            _, sample_weight = squeeze_or_expand_to_same_rank(
                y_true, sample_weight, expand_rank_1=False
            )
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(
                    "When class_id is provided, y_pred must be a 2D array with "
                    "shape (num_samples, num_classes). Received: "
                    f"y_pred.shape={errors.format_shape(y_pred.shape)}"
                )
            window = (Ellipsis, slice(self.class_id, self.class_id + 1))
            y_true = ops.get_item(y_true, window)
            y_pred = ops.get_item(y_pred, window)
        return y_true, y_pred, sample_weight

    def _positive(self, y_pred: Any) -> Any:
        """Boolean ``(T, N)`` (or ``(T, N, L)``): prediction above threshold."""
        count_t = len(self.thresholds)
        if self.evenly:
            y_pred = ops.clip(y_pred, 0.0, 1.0)
            scaled = ops.multiply(y_pred, np.float32(count_t - 1))
            levels = np.arange(count_t, dtype="float32")
            if self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0:
                levels[0] = -1.0  # the -epsilon threshold: every prediction
            return self._compare(scaled, levels)
        return self._compare(y_pred, np.asarray(self.thresholds, dtype="float32"))

    def _compare(self, values: Any, levels: np.ndarray) -> Any:
        shape = (len(levels),) + (1,) * values.ndim
        return ops.greater(ops.expand_dims(values, 0), levels.reshape(shape))

    def statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any, keys: tuple[str, ...]
    ) -> dict[str, Any]:
        """Returns the weighted counts named in ``keys`` (tp, fp, tn, fn)."""
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight)
        if not self.multi_label:
            y_true = ops.reshape(y_true, (-1,)) if y_true.ndim != 1 else y_true
            if sample_weight is not None:
                sample_weight = ops.multiply(sample_weight, ones_like(y_pred))
                sample_weight = ops.reshape(sample_weight, (-1,))
            if self.label_weights is not None:
                label_weights = ops.multiply(self.label_weights, ones_like(y_pred))
                label_weights = ops.reshape(label_weights, (-1,))
                sample_weight = (
                    label_weights
                    if sample_weight is None
                    else ops.multiply(sample_weight, label_weights)
                )
            y_pred = ops.reshape(y_pred, (-1,))
        elif sample_weight is not None:
            sample_weight = ops.multiply(sample_weight, ones_like(y_pred))
        labels = ops.cast(ops.cast(y_true, "bool"), "float32")
        positive = ops.cast(self._positive(y_pred), "float32")
        true_weight = (
            labels if sample_weight is None else ops.multiply(labels, sample_weight)
        )
        false_weight = ops.subtract(1.0, labels)
        if sample_weight is not None:
            false_weight = ops.multiply(false_weight, sample_weight)
        tp = ops.sum(ops.multiply(positive, true_weight), axis=1)
        fp = ops.sum(ops.multiply(positive, false_weight), axis=1)
        stats = {"true_positives": tp, "false_positives": fp}
        if "false_negatives" in keys or "true_negatives" in keys:
            if self.evenly:
                axis = 0 if self.multi_label else None
                fn = ops.subtract(ops.sum(true_weight, axis=axis), tp)
                tn = ops.subtract(ops.sum(false_weight, axis=axis), fp)
            else:
                negative = ops.subtract(1.0, positive)
                fn = ops.sum(ops.multiply(negative, true_weight), axis=1)
                tn = ops.sum(ops.multiply(negative, false_weight), axis=1)
            stats.update({"false_negatives": fn, "true_negatives": tn})
        return {key: _float32(stats[key]) for key in keys}


class _ThresholdedConfusion(Metric):
    """Base of the metrics that sum confusion counts at given thresholds.

    Subclasses name the counts they sum in ``_KEYS`` and compute ``result``;
    a count has one value per threshold.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5, or
            ``NEG_INF`` with ``top_k``).
        top_k: only the ``top_k`` largest predictions of each sample count.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.
    """

    _KEYS: tuple[str, ...] = ()

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        self._confusion = _Confusion(
            self.thresholds,
            is_evenly_distributed_thresholds(self.thresholds),
            top_k=top_k,
            class_id=class_id,
        )

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's counts, each of shape ``(len(thresholds),)``.

        Raises:
            ShapeError: naming the metric, when the shapes do not fit.
        """
        with _shape_context(self.name, y_true, y_pred):
            return self._confusion.statistics(y_true, y_pred, sample_weight, self._KEYS)

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes: ``(len(thresholds),)`` each."""
        return {key: (len(self.thresholds),) for key in self._KEYS}

    def _per_threshold(self, value: np.ndarray) -> float | np.ndarray:
        """A float for one threshold, a float32 array for several (Keras)."""
        return _scalar_or_array(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "thresholds": self.init_thresholds}


class Precision(_ThresholdedConfusion):
    """Precision: ``true_positives / (true_positives + false_positives)``.

    Statistics: the weighted true and false positives per threshold; a
    prediction is positive when it is strictly above the threshold.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5;
            use 0 for logits). With several, ``result`` gives an array.
        top_k: only the ``top_k`` largest predictions of each sample count.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.

    Example:

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _KEYS = ("true_positives", "false_positives")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)
        self.top_k = top_k
        self.class_id = class_id

    def _ratio(self, totals: dict[str, np.ndarray], other: str) -> float | np.ndarray:
        tp = totals["true_positives"]
        return self._per_threshold(_divide_no_nan(tp, tp + totals[other]))

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the precision (an array for several thresholds)."""
        return self._ratio(self._totals_or_own(totals), "false_positives")

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """Recall: ``true_positives / (true_positives + false_negatives)``.

    Statistics: the weighted true positives and false negatives per
    threshold. Arguments as for ``Precision``.

    Example:

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _KEYS = ("true_positives", "false_negatives")

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the recall (an array for several thresholds)."""
        return self._ratio(self._totals_or_own(totals), "false_negatives")


_CONDITION_COUNT_ARGS = """    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5;
            use 0 for logits). With several, ``result`` gives an array.
        name: the metric's name (default ``"{name}"``).
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.

"""


class _ConfusionMatrixConditionCount(_ThresholdedConfusion):
    """The weighted count of one confusion-matrix condition per threshold.

    ``_KEYS`` names the one count; ``result`` returns it as it is. Each
    subclass's docstring gets the Args and Raises sections they share.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        doc = cls.__doc__ or ""
        if "Args:" not in doc and "    Example:" in doc:
            shared = _CONDITION_COUNT_ARGS.format(name=cls._KEYS[0])
            cls.__doc__ = doc.replace("    Example:", shared + "    Example:", 1)

    def __init__(
        self,
        thresholds: Any = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the count (an array for several thresholds)."""
        return self._per_threshold(self._totals_or_own(totals)[self._KEYS[0]])


class TruePositives(_ConfusionMatrixConditionCount):
    """The number of true positives: positive labels predicted positive.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample). A prediction is positive when it is strictly above the
    threshold; labels count as positive when nonzero.

    Example:

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    2.0
    >>> m = TruePositives(thresholds=[0.2, 0.8])
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 0.5])
    >>> m.result()
    array([2., 1.], dtype=float32)
    """

    _KEYS = ("true_positives",)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The number of false positives: negative labels predicted positive.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    1.0
    """

    _KEYS = ("false_positives",)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The number of true negatives: negative labels predicted negative.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _KEYS = ("true_negatives",)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The number of false negatives: positive labels predicted negative.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _KEYS = ("false_negatives",)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, Keras's approximation.

    Predictions are compared with ``num_thresholds`` thresholds: ``-1e-7``,
    ``i / (num_thresholds - 1)`` for ``0 < i < num_thresholds - 1``, and
    ``1 + 1e-7``. Statistics: weighted true/false positives/negatives per
    threshold. ``result`` sums the Riemann terms of the curve:
    ``sum((x[i] - x[i+1]) * (y[i] + y[i+1]) / 2)`` for ROC (x the false
    positive rate, y the recall) with ``summation_method="interpolation"``,
    and Davis & Goadrich's interpolation for PR, exactly as Keras.

    Args:
        num_thresholds: the number of thresholds (> 1).
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: the metric's name.
        dtype: ``"float32"``.
        thresholds: explicit thresholds in ``[0, 1]`` (then
            ``num_thresholds`` is ``len(thresholds) + 2``).
        multi_label: compute one AUC per label (last axis) and average them.
        num_labels: the number of labels with ``multi_label``.
        label_weights: weights of the labels.
        from_logits: whether predictions are logits (a sigmoid is applied).

    Example:

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    """

    _KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: str | None = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.curve = _choice("curve", curve, ("ROC", "PR"))
        self.summation_method = _choice(
            "summation_method",
            summation_method,
            ("interpolation", "majoring", "minoring"),
        )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            _check_thresholds(inner)
            self.num_thresholds = len(inner) + 2
            evenly = is_evenly_distributed_thresholds([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self._thresholds = [0.0 - EPSILON, *inner, 1.0 + EPSILON]
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None
            if label_weights is None
            else np.asarray(label_weights, dtype="float32")
        )
        self.from_logits = from_logits
        self._confusion = _Confusion(
            self._thresholds,
            evenly,
            multi_label=multi_label,
            label_weights=None if multi_label else self.label_weights,
        )

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, the endpoints ``-1e-7`` and ``1 + 1e-7`` included."""
        return list(self._thresholds)

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's counts, each of shape ``(num_thresholds,)``
        (``(num_thresholds, num_labels)`` with ``multi_label``).

        Raises:
            ValueError: with ``multi_label``, for predictions not of rank 2.
        """
        with _shape_context(self.name, y_true, y_pred):
            y_pred = to_float(y_pred, "float32")
            if self.multi_label:
                if y_pred.ndim != 2 or y_pred.shape[1] is None:
                    raise ValueError(
                        "`y_pred` must have rank 2 (and a known number of labels) "
                        f"when `multi_label=True`. Received: y_pred.shape="
                        f"{errors.format_shape(y_pred.shape)}"
                    )
                self.num_labels = self.num_labels or y_pred.shape[1]
            if self.from_logits:
                y_pred = ops.sigmoid(y_pred)
            return self._confusion.statistics(y_true, y_pred, sample_weight, self._KEYS)

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes.

        Raises:
            ValueError: with ``multi_label`` before the number of labels is known.
        """
        shape: tuple[int, ...] = (self.num_thresholds,)
        if self.multi_label:
            if not self.num_labels:
                raise ValueError(
                    "AUC(multi_label=True) needs `num_labels` (or one batch) to "
                    "know the shape of its statistics. Received: num_labels=None"
                )
            shape = (self.num_thresholds, int(self.num_labels))
        return {key: shape for key in self._KEYS}

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the area under the curve."""
        totals = self._totals_or_own(totals)
        tp = totals["true_positives"].astype("float64")
        fp = totals["false_positives"].astype("float64")
        tn = totals["true_negatives"].astype("float64")
        fn = totals["false_negatives"].astype("float64")
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr(tp, fp, fn)
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        return float(self._average(terms))

    def _interpolate_pr(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> Any:
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return _divide_no_nan(
            slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)
        )

    def _average(self, terms: np.ndarray) -> Any:
        if not self.multi_label:
            return np.sum(terms)
        by_label = np.sum(terms, axis=0)
        if self.label_weights is None:
            return np.mean(by_label)
        return _divide_no_nan(
            np.sum(by_label * self.label_weights), np.sum(self.label_weights)
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": (
                None if self.label_weights is None else self.label_weights.tolist()
            ),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _choice(argument: str, value: str, allowed: tuple[str, ...]) -> str:
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ValueError(
        f"Invalid `{argument}` argument value. Expected one of: "
        f"{', '.join(allowed)}. Received: {argument}={value!r}"
    )
