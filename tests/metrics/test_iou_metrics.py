"""The IoU metrics against NumPy transcriptions of Keras 3: the confusion
matrix of (truncated) integer classes, ignored and out-of-range classes,
integer weights by default, one-hot inputs, configs, compiled models."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import confusion_matrix
from metric_oracle import iou
from metric_oracle import update_in_batches

from kgraph import metrics

RNG = np.random.default_rng(15)
MASKS = RNG.integers(0, 3, (6, 4, 4)).astype("float32")
PREDS = RNG.integers(0, 3, (6, 4, 4)).astype("float32")
SCORES = RNG.uniform(size=(6, 4, 4, 3)).astype("float32")
LABELS = RNG.integers(-1, 5, 20).astype("float32")  # some out of [0, 4)
PREDICTED = RNG.integers(0, 4, 20).astype("float32")
WEIGHTS = RNG.uniform(0.0, 3.0, 20).astype("float32")


def test_iou_of_target_classes():
    metric = metrics.IoU(num_classes=3, target_class_ids=[0, 2])
    got = update_in_batches(metric, MASKS, PREDS, batches=3)
    assert_matches(got, iou(confusion_matrix(MASKS, PREDS, 3), [0, 2]))


def test_out_of_range_and_ignored_labels_are_left_out():
    metric = metrics.MeanIoU(num_classes=4, ignore_class=2)
    got = update_in_batches(metric, LABELS, PREDICTED, batches=2)
    matrix = confusion_matrix(LABELS, PREDICTED, 4, ignore_class=2)
    assert_matches(got, iou(matrix, [0, 1, 2, 3]))


def test_weights_are_truncated_to_integers_by_default():
    metric = metrics.MeanIoU(num_classes=4)
    with pytest.warns(UserWarning, match="passing weight as `float`"):
        got = update_in_batches(metric, LABELS, PREDICTED, WEIGHTS, batches=2)
    matrix = confusion_matrix(LABELS, PREDICTED, 4, np.trunc(WEIGHTS))
    assert_matches(got, iou(matrix, [0, 1, 2, 3]))
    floats = metrics.MeanIoU(num_classes=4, dtype="float32")
    got = update_in_batches(floats, LABELS, PREDICTED, WEIGHTS, batches=2)
    assert_matches(got, iou(confusion_matrix(LABELS, PREDICTED, 4, WEIGHTS), range(4)))


def test_scores_are_reduced_by_arg_max():
    metric = metrics.MeanIoU(num_classes=3, sparse_y_pred=False)
    got = update_in_batches(metric, MASKS, SCORES)
    expected = iou(confusion_matrix(MASKS, SCORES.argmax(-1), 3), [0, 1, 2])
    assert_matches(got, expected)


def test_binary_iou_thresholds_predictions():
    labels = (RNG.random(20) > 0.5).astype("float32")
    scores = RNG.uniform(size=20).astype("float32")
    for ids in ([0, 1], [1]):
        metric = metrics.BinaryIoU(target_class_ids=ids, threshold=0.3)
        weights = (np.trunc(WEIGHTS) + 1).astype("int32")
        got = update_in_batches(metric, labels, scores, weights)
        matrix = confusion_matrix(labels, scores >= 0.3, 2, np.trunc(WEIGHTS) + 1)
        assert_matches(got, iou(matrix, ids))


def test_one_hot_iou():
    labels = np.eye(4, dtype="float32")[RNG.integers(0, 4, 20)]
    scores = RNG.uniform(size=(20, 4)).astype("float32")
    metric = metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 3])
    got = update_in_batches(metric, labels, scores)
    matrix = confusion_matrix(labels.argmax(-1), scores.argmax(-1), 4)
    assert_matches(got, iou(matrix, [1, 3]))
    mean = update_in_batches(metrics.OneHotMeanIoU(num_classes=4), labels, scores)
    assert_matches(mean, iou(matrix, [0, 1, 2, 3]))


def test_keras_documentation_values():
    metric = metrics.IoU(num_classes=2, target_class_ids=[0])
    metric.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert metric.result() == pytest.approx(1 / 3)
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    assert binary.result() == pytest.approx(1 / 3)
    floats = metrics.MeanIoU(num_classes=2, dtype="float32")
    floats.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert floats.result() == pytest.approx(0.2380952, rel=1e-6)


def test_target_class_out_of_range():
    with pytest.raises(ValueError, match=r"Target class id 3 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 3])


def test_names_and_configs_as_keras():
    assert metrics.IoU(3, [0, 1]).get_config() == {
        "name": "io_u",
        "dtype": "int32",
        "num_classes": 3,
        "target_class_ids": [0, 1],
        "ignore_class": None,
        "sparse_y_true": True,
        "sparse_y_pred": True,
        "axis": -1,
    }
    assert metrics.BinaryIoU().get_config() == {
        "target_class_ids": [0, 1],
        "threshold": 0.5,
        "name": "binary_io_u",
        "dtype": "int32",
    }
    assert set(metrics.MeanIoU(3).get_config()) == {
        "num_classes",
        "name",
        "dtype",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    }
    assert "sparse_y_true" not in metrics.OneHotIoU(3, [1]).get_config()
    assert metrics.OneHotMeanIoU(3).name == "one_hot_mean_io_u"
    for metric in (
        metrics.IoU(3, [1], ignore_class=0, dtype="float32"),
        metrics.MeanIoU(4, sparse_y_pred=False),
        metrics.BinaryIoU([1], threshold=0.2),
        metrics.OneHotIoU(3, [0, 2]),
        metrics.OneHotMeanIoU(5),
    ):
        assert_config_round_trip(metric)


def test_in_a_compiled_model_on_both_backends():
    x = RNG.normal(size=(24, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 24)]
    assert_compiled_matches(
        metrics.OneHotMeanIoU(num_classes=3),
        x,
        y,
        lambda t, p: iou(confusion_matrix(t.argmax(-1), p.argmax(-1), 3), [0, 1, 2]),
        activation="softmax",
    )


def test_sparse_iou_in_a_compiled_model():
    x = RNG.normal(size=(24, 5)).astype("float32")
    labels = RNG.integers(0, 3, 24).astype("float32")
    assert_compiled_matches(
        metrics.IoU(3, [0, 2], sparse_y_pred=False),
        x,
        labels,
        lambda t, p: iou(confusion_matrix(t, p.argmax(-1), 3), [0, 2]),
        activation="softmax",
        units=3,
        loss="sparse_categorical_crossentropy",
    )
