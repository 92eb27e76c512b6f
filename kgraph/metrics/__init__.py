"""Metrics (``kgraph.metrics``) as additive per-batch statistics.

A Keras metric keeps state variables that ``update_state`` changes. In
kgraph a training step is one static graph, so a metric instead says which
statistics one batch contributes (``batch_statistics``, written with
``kgraph.ops``): float32 tensors that the native loop sums over the batches
of an epoch. ``result`` then turns the summed statistics into the metric's
value with NumPy. Means are ``total / count``; confusion metrics sum true and
false positives and negatives per threshold.

For eager use the Keras methods work too: ``update_state`` sums the
statistics of NumPy inputs inside the metric, ``result()`` reads them and
``reset_state`` clears them.

The modules hold the groups: ``base`` (``Metric``, ``Mean``,
``MeanMetricWrapper``), ``accuracy_metrics``, ``regression``,
``probabilistic``, ``hinge_metrics``, ``confusion``, ``sensitivity``,
``f_score``, ``iou`` and ``correlation``; this package gathers them and
keeps the registry.

Example:

>>> import numpy as np
>>> m = BinaryAccuracy()
>>> stats = m.batch_statistics(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]))
>>> m.result({k: np.asarray(v) for k, v in stats.items()})
0.5
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kgraph import losses
from kgraph import objects
from kgraph.losses import binary_crossentropy
from kgraph.losses import binary_focal_crossentropy
from kgraph.losses import categorical_crossentropy
from kgraph.losses import categorical_focal_crossentropy
from kgraph.losses import categorical_hinge
from kgraph.losses import hinge
from kgraph.losses import huber
from kgraph.losses import kl_divergence
from kgraph.losses import log_cosh
from kgraph.losses import mean_absolute_error
from kgraph.losses import mean_absolute_percentage_error
from kgraph.losses import mean_squared_error
from kgraph.losses import mean_squared_logarithmic_error
from kgraph.losses import poisson
from kgraph.losses import sparse_categorical_crossentropy
from kgraph.losses import squared_hinge
from kgraph.metrics.accuracy_metrics import Accuracy
from kgraph.metrics.accuracy_metrics import BinaryAccuracy
from kgraph.metrics.accuracy_metrics import CategoricalAccuracy
from kgraph.metrics.accuracy_metrics import SparseCategoricalAccuracy
from kgraph.metrics.accuracy_metrics import SparseTopKCategoricalAccuracy
from kgraph.metrics.accuracy_metrics import TopKCategoricalAccuracy
from kgraph.metrics.accuracy_metrics import accuracy
from kgraph.metrics.accuracy_metrics import binary_accuracy
from kgraph.metrics.accuracy_metrics import categorical_accuracy
from kgraph.metrics.accuracy_metrics import sparse_categorical_accuracy
from kgraph.metrics.accuracy_metrics import sparse_top_k_categorical_accuracy
from kgraph.metrics.accuracy_metrics import top_k_categorical_accuracy
from kgraph.metrics.base import EPSILON as EPSILON
from kgraph.metrics.base import NEG_INF as NEG_INF
from kgraph.metrics.base import Mean
from kgraph.metrics.base import MeanMetricWrapper
from kgraph.metrics.base import Metric
from kgraph.metrics.base import Sum
from kgraph.metrics.base import _shape_context as _shape_context
from kgraph.metrics.confusion import AUC
from kgraph.metrics.confusion import FalseNegatives
from kgraph.metrics.confusion import FalsePositives
from kgraph.metrics.confusion import Precision
from kgraph.metrics.confusion import Recall
from kgraph.metrics.confusion import TrueNegatives
from kgraph.metrics.confusion import TruePositives
from kgraph.metrics.confusion import (
    is_evenly_distributed_thresholds as is_evenly_distributed_thresholds,
)
from kgraph.metrics.correlation import ConcordanceCorrelation
from kgraph.metrics.correlation import PearsonCorrelation
from kgraph.metrics.correlation import concordance_correlation
from kgraph.metrics.correlation import pearson_correlation
from kgraph.metrics.f_score import F1Score
from kgraph.metrics.f_score import FBetaScore
from kgraph.metrics.hinge_metrics import CategoricalHinge
from kgraph.metrics.hinge_metrics import Hinge
from kgraph.metrics.hinge_metrics import SquaredHinge
from kgraph.metrics.iou import BinaryIoU
from kgraph.metrics.iou import IoU
from kgraph.metrics.iou import MeanIoU
from kgraph.metrics.iou import OneHotIoU
from kgraph.metrics.iou import OneHotMeanIoU
from kgraph.metrics.probabilistic import BinaryCrossentropy
from kgraph.metrics.probabilistic import CategoricalCrossentropy
from kgraph.metrics.probabilistic import KLDivergence
from kgraph.metrics.probabilistic import Poisson
from kgraph.metrics.probabilistic import SparseCategoricalCrossentropy
from kgraph.metrics.regression import CosineSimilarity
from kgraph.metrics.regression import LogCoshError
from kgraph.metrics.regression import MeanAbsoluteError
from kgraph.metrics.regression import MeanAbsolutePercentageError
from kgraph.metrics.regression import MeanSquaredError
from kgraph.metrics.regression import MeanSquaredLogarithmicError
from kgraph.metrics.regression import R2Score
from kgraph.metrics.regression import RootMeanSquaredError
from kgraph.metrics.sensitivity import PrecisionAtRecall
from kgraph.metrics.sensitivity import RecallAtPrecision
from kgraph.metrics.sensitivity import SensitivityAtSpecificity
from kgraph.metrics.sensitivity import SpecificityAtSensitivity

# -- lookup --

_CLASS_LIST: tuple[type[Metric], ...] = (
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    RootMeanSquaredError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    MeanSquaredLogarithmicError,
    LogCoshError,
    CosineSimilarity,
    R2Score,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    ConcordanceCorrelation,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)

_CLASSES: dict[str, type[Metric]] = objects.name_table(
    _CLASS_LIST,
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        "kld": KLDivergence,
        "KLD": KLDivergence,
        "log_cosh": LogCoshError,
        "logcosh": LogCoshError,
    },
)
del _CLASSES["mean_metric_wrapper"], _CLASSES["MeanMetricWrapper"]

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        losses.mean_squared_error,
        losses.mean_absolute_error,
        losses.mean_absolute_percentage_error,
        losses.binary_crossentropy,
        losses.categorical_crossentropy,
        losses.sparse_categorical_crossentropy,
        losses.huber,
        losses.mean_squared_logarithmic_error,
        losses.log_cosh,
        losses.kl_divergence,
        losses.poisson,
        losses.hinge,
        losses.squared_hinge,
        losses.categorical_hinge,
        losses.binary_focal_crossentropy,
        losses.categorical_focal_crossentropy,
        losses.cosine_similarity,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        pearson_correlation,
        concordance_correlation,
    )
}


def accuracy_class(
    loss: Any = None,
    output_shape: Any = None,
    target_shape: Any = None,
) -> type[Metric]:
    """Chooses the accuracy that ``"accuracy"``/``"acc"`` stands for.

    Keras 3 (``compile_utils.get_metric``) decides from the shapes of the
    targets and outputs: an output whose last dimension is 1 gives
    ``BinaryAccuracy``; targets of lower rank than the output, or with a last
    dimension of 1 against a wider output, give
    ``SparseCategoricalAccuracy``; anything else ``CategoricalAccuracy``.
    When the target shape is not known yet, the loss stands in for it (a
    sparse categorical crossentropy means sparse targets); when the output
    shape is not known either, the loss decides alone (binary, sparse or
    categorical crossentropy; ``CategoricalAccuracy`` for other losses).

    Args:
        loss: the compiled loss (name, class, instance or function).
        output_shape: the model output's shape.
        target_shape: the targets' shape.

    Returns:
        The metric class.
    """
    kind = losses.crossentropy_kind(loss) if loss is not None else None
    if output_shape is not None and len(output_shape) > 0:
        output_shape = tuple(output_shape)
        if output_shape[-1] == 1:
            return BinaryAccuracy
        if target_shape is not None:
            target_shape = tuple(target_shape)
            last = target_shape[-1] if target_shape else None
            sparse = len(target_shape) < len(output_shape) or (
                last == 1 and (output_shape[-1] is None or output_shape[-1] > 1)
            )
            return SparseCategoricalAccuracy if sparse else CategoricalAccuracy
        return SparseCategoricalAccuracy if kind == "sparse" else CategoricalAccuracy
    if kind == "binary":
        return BinaryAccuracy
    if kind == "sparse":
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


class _Metrics(objects.ObjectFamily):
    """Metrics: a name keeps what the user wrote as the metric's name, and
    a callable is averaged over samples by a ``MeanMetricWrapper``."""

    def make(self, found: Any, name: str | None) -> Any:
        if not inspect.isclass(found):
            return MeanMetricWrapper(found, name=name or found.__name__)
        metric = found()
        if name is not None:
            metric.name = name
        return metric

    def from_callable(self, fn: Any) -> Any:
        name = getattr(fn, "name", None) or getattr(fn, "__name__", None)
        return MeanMetricWrapper(fn, name=name or objects.snake_case(type(fn).__name__))

    def names(self) -> list[str]:
        return sorted({"accuracy", "acc", *self.table})


MeanMetricWrapper._FUNCTIONS = _FUNCTIONS

FAMILY = _Metrics(
    "metric",
    Metric,
    _CLASSES,
    config_table={cls.__name__: cls for cls in _CLASS_LIST},
    accepts="a Metric class or instance, or a callable",
)
"""The metrics' ``ObjectFamily``: class names, snake-case names and aliases."""


def get(
    identifier: Any,
    loss: Any = None,
    output_shape: Any = None,
    target_shape: Any = None,
) -> Metric | None:
    """Resolves a metric identifier to a ``Metric``, as ``model.compile`` does.

    ``"accuracy"`` and ``"acc"`` (any case) become the binary, categorical
    or sparse categorical accuracy (see ``accuracy_class``). Names keep what
    the user wrote: ``get("acc").name == "acc"``, ``get("mse").name ==
    "mse"``. A class gives a new instance, an instance is returned as it is,
    and any other callable ``fn(y_true, y_pred)`` is averaged over samples by
    a ``MeanMetricWrapper`` named after it.

    Args:
        identifier: a name, a ``{"class_name", "config"}`` dict, a ``Metric``
            class or instance, or a callable.
        loss: the compiled loss, used to resolve ``"accuracy"``.
        output_shape: the model output's shape, used to resolve ``"accuracy"``.
        target_shape: the targets' shape, used to resolve ``"accuracy"``.

    Returns:
        A ``Metric``, or ``None`` for ``None``.

    Raises:
        ValueError: for an unknown name or an identifier that is not callable.

    Example:

    >>> m = get("accuracy", loss="sparse_categorical_crossentropy")
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'accuracy')
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return accuracy_class(loss, output_shape, target_shape)(name=identifier)
    return FAMILY.get(identifier)


_, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "serialize": """>>> serialize(Mean(name="loss"))
{'class_name': 'Mean', 'config': {'name': 'loss', 'dtype': 'float32'}}""",
    },
)


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "accuracy_class",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
