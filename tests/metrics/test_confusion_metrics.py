"""The confusion metrics (AUC, Precision, Recall and the four counts)
against NumPy transcriptions of Keras 3's formulas."""

from __future__ import annotations

import inspect

import keras_confusion as kc
import numpy as np
import pytest
from metric_common import P_BIN
from metric_common import RNG
from metric_common import WEIGHTS
from metric_common import Y_BIN
from metric_common import N
from metric_common import eager_statistics
from metric_common import f32
from metric_common import graph_statistics

import kgraph
from kgraph import metrics

# -- confusion metrics against NumPy transcriptions of Keras --


def exact_auc(y_true, y_pred):
    """The Mann-Whitney AUC (ties count one half)."""
    labels = np.asarray(y_true).ravel().astype(bool)
    preds = np.asarray(y_pred).ravel()
    pos, neg = preds[labels], preds[~labels]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (
        pos[:, None] == neg[None, :]
    ).sum()
    return wins / (len(pos) * len(neg))


def test_auc_statistics_match_the_keras_bucketing_exactly():
    # Predictions on the thresholds themselves, at 0, at 1 and outside [0, 1].
    preds = f32([0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 1.5, 0.3, 0.5, 0.74])
    labels = f32([0, 1, 0, 1, 1, 1, 0, 0, 1, 1])
    weights = f32([1, 2, 3, 1, 1, 2, 1, 1, 1, 0.5])
    metric = metrics.AUC(num_thresholds=5)
    assert metric.thresholds == pytest.approx([-1e-7, 0.25, 0.5, 0.75, 1 + 1e-7])
    stats = eager_statistics(metric, labels, preds, weights)
    expected = kc.confusion_buckets(labels, preds, 5, weights)
    for key, value in expected.items():
        np.testing.assert_allclose(stats[key], value, rtol=1e-6)
    np.testing.assert_allclose(metric.result(stats), kc.roc_auc(expected), rtol=1e-6)


def test_auc_default_thresholds_against_numpy_and_the_exact_auc():
    rng = np.random.default_rng(3)
    labels = f32(rng.integers(0, 2, size=(500, 1)))
    preds = f32(np.clip(0.35 * labels + rng.uniform(size=(500, 1)) * 0.65, 0, 1))
    metric = metrics.AUC()
    stats = eager_statistics(metric, labels, preds)
    expected = kc.confusion_buckets(labels, preds, 200)
    for key, value in expected.items():
        np.testing.assert_allclose(stats[key], value, rtol=1e-6)
    value = metric.result(stats)
    np.testing.assert_allclose(value, kc.roc_auc(expected), rtol=1e-6)
    np.testing.assert_allclose(value, exact_auc(labels, preds), atol=5e-3)


def test_auc_with_uneven_thresholds_compares_directly():
    metric = metrics.AUC(thresholds=[0.1, 0.6, 0.65])
    assert metric.num_thresholds == 5
    stats = eager_statistics(metric, Y_BIN, P_BIN)
    expected = kc.confusion_compare(Y_BIN, P_BIN, metric.thresholds)
    for key, value in expected.items():
        np.testing.assert_allclose(stats[key], value)


def test_auc_summation_methods_and_pr_interpolation():
    c = kc.confusion_buckets(Y_BIN, P_BIN, 20)
    stats = {k: f32(v) for k, v in c.items()}
    tp, fp, fn = c["true_positives"], c["false_positives"], c["false_negatives"]

    def ratio(a, b):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))

    recall, precision = ratio(tp, tp + fn), ratio(tp, tp + fp)
    minoring = np.sum(
        (recall[:-1] - recall[1:]) * np.minimum(precision[:-1], precision[1:])
    )
    majoring = np.sum(
        (recall[:-1] - recall[1:]) * np.maximum(precision[:-1], precision[1:])
    )
    pr_min = metrics.AUC(num_thresholds=20, curve="PR", summation_method="minoring")
    pr_max = metrics.AUC(num_thresholds=20, curve="PR", summation_method="majoring")
    np.testing.assert_allclose(pr_min.result(stats), minoring, rtol=1e-6)
    np.testing.assert_allclose(pr_max.result(stats), majoring, rtol=1e-6)
    # Davis & Goadrich interpolation, transcribed from Keras.
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = ratio(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    safe = np.where(
        (p[:-1] > 0) & (p[1:] > 0), ratio(p[:-1], np.maximum(p[1:], 0)), 1.0
    )
    expected = np.sum(
        ratio(slope * (dtp + intercept * np.log(safe)), np.maximum(tp[1:] + fn[1:], 0))
    )
    pr = metrics.AUC(num_thresholds=20, curve="PR")
    np.testing.assert_allclose(pr.result(stats), expected, rtol=1e-6)
    assert minoring <= pr.result(stats) <= majoring


def test_auc_from_logits_and_multi_label():
    logits = f32(RNG.normal(size=(N, 1)))
    with_logits = metrics.AUC(from_logits=True)
    plain = metrics.AUC()
    np.testing.assert_allclose(
        with_logits.result(eager_statistics(with_logits, Y_BIN, logits)),
        plain.result(eager_statistics(plain, Y_BIN, 1 / (1 + np.exp(-logits)))),
        rtol=1e-6,
    )
    labels = f32(RNG.integers(0, 2, size=(N, 3)))
    preds = f32(RNG.uniform(size=(N, 3)))
    multi = metrics.AUC(num_thresholds=30, multi_label=True)
    stats = eager_statistics(multi, labels, preds)
    assert stats["true_positives"].shape == (30, 3)
    assert multi.statistic_shapes()["true_positives"] == (30, 3)
    single = metrics.AUC(num_thresholds=30)
    per_label = [
        single.result(eager_statistics(single, labels[:, i], preds[:, i]))
        for i in range(3)
    ]
    np.testing.assert_allclose(multi.result(stats), np.mean(per_label), rtol=1e-6)
    weighted = metrics.AUC(num_thresholds=30, multi_label=True, label_weights=[1, 0, 3])
    np.testing.assert_allclose(
        weighted.result(stats), (per_label[0] + 3 * per_label[2]) / 4, rtol=1e-6
    )
    graph = graph_statistics(multi, labels, preds)
    np.testing.assert_allclose(graph["true_positives"], stats["true_positives"])


def test_precision_and_recall_thresholds_top_k_and_class_id():
    thresholds = [0.0, 0.3, 0.5, 0.9]
    precision = metrics.Precision(thresholds=thresholds)
    stats = eager_statistics(precision, Y_BIN, P_BIN, WEIGHTS)
    expected = kc.confusion_compare(Y_BIN, P_BIN, thresholds, WEIGHTS)
    tp, fp = expected["true_positives"], expected["false_positives"]
    np.testing.assert_allclose(stats["true_positives"], tp)
    value = precision.result(stats)
    assert isinstance(value, np.ndarray) and value.shape == (4,)
    np.testing.assert_allclose(
        value, np.where(tp + fp == 0, 0, tp / (tp + fp)), rtol=1e-6
    )
    # Evenly spaced thresholds take Keras's bucketing path: same counts here.
    even = metrics.Precision(thresholds=[0.0, 0.5, 1.0])
    stats = eager_statistics(even, Y_BIN, P_BIN)
    np.testing.assert_allclose(
        stats["true_positives"],
        kc.confusion_compare(Y_BIN, P_BIN, [0.0, 0.5, 1.0])["true_positives"],
    )
    # A prediction equal to the threshold is not positive.
    recall = metrics.Recall()
    assert (
        recall.result(eager_statistics(recall, f32([1.0, 1.0]), f32([0.5, 0.6]))) == 0.5
    )
    # class_id picks one column; top_k keeps the k largest per row.
    y_true = f32([[0, 1, 0], [1, 0, 0], [0, 1, 0]])
    y_pred = f32([[0.2, 0.7, 0.9], [0.6, 0.55, 0.1], [0.1, 0.4, 0.3]])
    class_1 = metrics.Recall(class_id=1)
    assert class_1.result(eager_statistics(class_1, y_true, y_pred)) == 0.5
    top_1 = metrics.Precision(top_k=1)
    # Row maxima: 0.9 (label 0), 0.6 (label 1), 0.4 (label 1).
    np.testing.assert_allclose(
        top_1.result(eager_statistics(top_1, y_true, y_pred)), 2 / 3
    )
    top_1_class_1 = metrics.Precision(top_k=1, class_id=1)
    assert top_1_class_1.result(eager_statistics(top_1_class_1, y_true, y_pred)) == 1.0


COUNTS = {
    "true_positives": metrics.TruePositives,
    "false_positives": metrics.FalsePositives,
    "true_negatives": metrics.TrueNegatives,
    "false_negatives": metrics.FalseNegatives,
}
# Predictions on the thresholds, at 0 and 1, and outside [0, 1].
EDGE_PREDS = f32([0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 1.5, 0.3, 0.5, 0.74, 0.2, 0.9])
EDGE_LABELS = f32([0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1])
EDGE_WEIGHTS = f32([1, 2, 3, 1, 1, 2, 1, 1, 1, 0.5, 0, 4])


@pytest.mark.parametrize("key", sorted(COUNTS))
@pytest.mark.parametrize(
    "thresholds",
    [None, 0.3, [0.2, 0.5, 0.74], [0.0, 0.25, 0.5, 0.75, 1.0], [0.5, 0.0, 1.0]],
    ids=["default", "float", "several", "even", "unsorted"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_confusion_counts_against_keras_formulas(key, thresholds, weighted):
    weights = EDGE_WEIGHTS if weighted else None
    parsed = kc.thresholds_of(thresholds)
    expected = kc.per_threshold(
        kc.confusion_counts(EDGE_LABELS, EDGE_PREDS, parsed, weights)[key], parsed
    )
    metric = COUNTS[key](thresholds=thresholds)
    assert metric.thresholds == parsed
    metric.update_state(EDGE_LABELS, EDGE_PREDS, sample_weight=weights)
    value = metric.result()
    if len(parsed) == 1:
        assert isinstance(value, float)
    else:
        assert isinstance(value, np.ndarray)
        assert value.dtype == np.float32 and value.shape == (len(parsed),)
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    # The four counts of one threshold cover every (weighted) prediction.
    total = sum(
        np.asarray(cls(thresholds=thresholds)(EDGE_LABELS, EDGE_PREDS, weights))
        for cls in COUNTS.values()
    )
    np.testing.assert_allclose(total, EDGE_WEIGHTS.sum() if weighted else 12)


def test_confusion_counts_share_precision_and_recall_statistics():
    """Precision and Recall divide the counts the count metrics report."""
    thresholds = [0.1, 0.5, 0.8]
    counts = {}
    for key, cls in COUNTS.items():
        metric = cls(thresholds=thresholds)
        counts[key] = metric.result(eager_statistics(metric, Y_BIN, P_BIN, WEIGHTS))
    precision = metrics.Precision(thresholds=thresholds)
    recall = metrics.Recall(thresholds=thresholds)
    np.testing.assert_allclose(
        precision.result(eager_statistics(precision, Y_BIN, P_BIN, WEIGHTS)),
        kc.precision(counts),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        recall.result(eager_statistics(recall, Y_BIN, P_BIN, WEIGHTS)),
        kc.recall(counts),
        rtol=1e-6,
    )


def test_confusion_counts_keras_documentation_values():
    cases = [
        (metrics.TruePositives, [0, 1, 1, 1], [1, 0, 1, 1], 2.0, 1.0),
        (metrics.FalsePositives, [0, 1, 0, 0], [0, 0, 1, 1], 2.0, 1.0),
        (metrics.TrueNegatives, [0, 1, 0, 0], [1, 1, 0, 0], 2.0, 1.0),
        (metrics.FalseNegatives, [0, 1, 1, 1], [0, 1, 0, 0], 2.0, 1.0),
    ]
    for cls, y_true, y_pred, plain, weighted in cases:
        m = cls()
        m.update_state(y_true, y_pred)
        assert m.result() == plain
        m.reset_state()
        m.update_state(y_true, y_pred, sample_weight=[0, 0, 1, 0])
        assert m.result() == weighted
    m = metrics.TruePositives(thresholds=[0.2, 0.8])
    m.update_state([0, 1, 1, 1], [1, 0, 1, 0.5])
    np.testing.assert_array_equal(m.result(), f32([2.0, 1.0]))


def test_confusion_counts_signature_names_and_config_as_keras():
    for key, cls in COUNTS.items():
        parameters = inspect.signature(cls).parameters
        assert list(parameters) == ["thresholds", "name", "dtype"]
        assert all(p.default is None for p in parameters.values())
        assert cls().name == key
        assert cls().get_config() == {
            "name": key,
            "dtype": "float32",
            "thresholds": None,
        }
        assert cls.__name__ in metrics.__all__
        assert getattr(kgraph.metrics, cls.__name__) is cls
        with pytest.raises(ValueError, match=r"\[0, 1\]\. Received: \[1\.5, -1\]$"):
            cls(thresholds=[0.5, 1.5, -1])
    config = metrics.FalseNegatives(thresholds=[0.2, 0.6], name="fn").get_config()
    assert config == {"name": "fn", "dtype": "float32", "thresholds": [0.2, 0.6]}
