"""Finding metrics: ``"accuracy"`` resolved as Keras 3 does, names kept
as written, configs, argument and shape errors."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import losses
from kgraph import metrics

# -- lookup --


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("binary_crossentropy", metrics.BinaryAccuracy),
        (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
        ("categorical_crossentropy", metrics.CategoricalAccuracy),
        (losses.CategoricalCrossentropy, metrics.CategoricalAccuracy),
        ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
        (losses.sparse_categorical_crossentropy, metrics.SparseCategoricalAccuracy),
        ("mse", metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_resolved_from_the_loss(loss, expected):
    for identifier in ("accuracy", "acc", "Accuracy", "ACC"):
        metric = metrics.get(identifier, loss=loss)
        assert type(metric) is expected
        assert metric.name == identifier


@pytest.mark.parametrize(
    ("output_shape", "target_shape", "loss", "expected"),
    [
        ((None, 1), None, "mse", metrics.BinaryAccuracy),
        ((None, 1), (None, 1), "categorical_crossentropy", metrics.BinaryAccuracy),
        ((None, 10), None, "mse", metrics.CategoricalAccuracy),
        (
            (None, 10),
            None,
            "sparse_categorical_crossentropy",
            metrics.SparseCategoricalAccuracy,
        ),
        ((None, 10), (None,), "mse", metrics.SparseCategoricalAccuracy),
        ((None, 10), (None, 1), "mse", metrics.SparseCategoricalAccuracy),
        (
            (None, 10),
            (None, 10),
            "sparse_categorical_crossentropy",
            metrics.CategoricalAccuracy,
        ),
        # Keras 3 decides by shapes: multi-label BCE gets categorical accuracy.
        ((None, 5), (None, 5), "binary_crossentropy", metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_resolved_from_shapes_as_keras_3(
    output_shape, target_shape, loss, expected
):
    metric = metrics.get(
        "accuracy", loss=loss, output_shape=output_shape, target_shape=target_shape
    )
    assert type(metric) is expected


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("mse", metrics.MeanSquaredError),
        ("MSE", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("auc", metrics.AUC),
        ("AUC", metrics.AUC),
        ("precision", metrics.Precision),
        ("Recall", metrics.Recall),
        ("binary_crossentropy", metrics.BinaryCrossentropy),
        ("TruePositives", metrics.TruePositives),
        ("true_positives", metrics.TruePositives),
        ("FalsePositives", metrics.FalsePositives),
        ("false_positives", metrics.FalsePositives),
        ("TrueNegatives", metrics.TrueNegatives),
        ("true_negatives", metrics.TrueNegatives),
        ("FalseNegatives", metrics.FalseNegatives),
        ("false_negatives", metrics.FalseNegatives),
    ],
)
def test_get_names_keep_what_the_user_wrote(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls
    assert metric.name == identifier


def test_get_classes_instances_and_callables():
    assert type(metrics.get(metrics.AUC)) is metrics.AUC
    assert metrics.get(metrics.AUC).name == "auc"
    instance = metrics.Precision(name="p")
    assert metrics.get(instance) is instance
    assert metrics.get(None) is None
    wrapped = metrics.get(losses.mean_absolute_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper)
    assert wrapped.name == "mean_absolute_error"
    assert metrics.get(losses.Huber()).name == "huber_loss"


def test_get_unknown_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"accuracy.*auc.*Received: metric='accuracyy'$"
    ):
        metrics.get("accuracyy")
    with pytest.raises(ValueError, match=r"Received: metric=7$"):
        metrics.get(7)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="m"),
        metrics.BinaryAccuracy(threshold=0.7),
        metrics.SparseCategoricalAccuracy(),
        metrics.MeanSquaredError(),
        metrics.AUC(num_thresholds=10, curve="PR", from_logits=True),
        metrics.AUC(thresholds=[0.2, 0.4]),
        metrics.Precision(thresholds=[0.3, 0.6], class_id=1),
        metrics.Recall(top_k=2),
        metrics.MeanMetricWrapper(losses.huber, name="h", delta=2.0),
        metrics.TruePositives(),
        metrics.FalsePositives(thresholds=0.3, name="fp"),
        metrics.TrueNegatives(thresholds=[0.2, 0.7]),
        metrics.FalseNegatives(thresholds=[0.0, 0.5, 1.0]),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_round_trip(metric):
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


def test_metric_call_updates_and_returns_the_result():
    metric = metrics.MeanAbsoluteError()
    assert metric([[0.0], [2.0]], [[1.0], [2.0]]) == 0.5
    assert metric([[0.0]], [[4.0]]) == (1.0 + 4.0) / 3
    metric.reset_state()
    assert metric.result() == 0.0


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r"num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"curve='XY'"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[1.5])


def test_shape_error_names_the_metric():
    with pytest.raises(ValueError, match=r"Metric 'mse'.*y_true.shape=\(4, 3\)"):
        metrics.get("mse").batch_statistics(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"Metric 'precision'"):
        metrics.Precision().batch_statistics(np.zeros((4, 3)), np.zeros((4, 2)))
