"""Metrics: additive batch statistics, Keras 3's numbers, eager against graph."""

from __future__ import annotations

import inspect
import itertools

import keras_confusion as kc
import numpy as np
import pytest

import kgraph
from kgraph import losses
from kgraph import metrics
from kgraph import ops
from kgraph.backends import interpreter


def f32(x):
    return np.asarray(x, dtype="float32")


def graph_statistics(metric, *arrays, dtypes=None):
    """Runs ``metric.batch_statistics`` on placeholders with an unknown batch."""
    graph = kgraph.Graph()
    dtypes = dtypes or ["float32"] * len(arrays)
    args = [
        ops.placeholder(graph, f"x{i}", (None, *a.shape[1:]), dtype)
        for i, (a, dtype) in enumerate(zip(arrays, dtypes, strict=True))
    ]
    stats = metric.batch_statistics(*args)
    for key, value in stats.items():
        graph.set_output(key, value.node_id)
    return interpreter.run(graph, {f"x{i}": a for i, a in enumerate(arrays)})


def eager_statistics(metric, *arrays):
    return {k: np.asarray(v) for k, v in metric.batch_statistics(*arrays).items()}


def summed_over_batches(metric, arrays, splits):
    """Sums the statistics of the batches ``arrays[start:stop]``."""
    totals = metric.initial_totals()
    bounds = [0, *splits, len(arrays[0])]
    for start, stop in itertools.pairwise(bounds):
        stats = eager_statistics(metric, *(a[start:stop] for a in arrays))
        for key, value in stats.items():
            assert value.dtype == np.float32
            assert value.shape == totals[key].shape
            totals[key] = totals[key] + value
    return totals


RNG = np.random.default_rng(0)
N = 23
Y_BIN = f32(RNG.integers(0, 2, size=(N, 1)))
P_BIN = f32(RNG.uniform(size=(N, 1)))
LABELS = RNG.integers(0, 4, size=N)
Y_ONEHOT = f32(np.eye(4)[LABELS])
P_CAT = f32(RNG.dirichlet(np.ones(4), size=N))
Y_REG = f32(RNG.normal(size=(N, 3)))
P_REG = f32(RNG.normal(size=(N, 3)))
WEIGHTS = f32(RNG.integers(0, 4, size=N))

CASES = [
    ("binary_accuracy", metrics.BinaryAccuracy(), Y_BIN, P_BIN),
    ("binary_accuracy_0.3", metrics.BinaryAccuracy(threshold=0.3), Y_BIN, P_BIN),
    ("categorical_accuracy", metrics.CategoricalAccuracy(), Y_ONEHOT, P_CAT),
    (
        "sparse_categorical_accuracy",
        metrics.SparseCategoricalAccuracy(),
        f32(LABELS)[:, None],
        P_CAT,
    ),
    ("accuracy", metrics.Accuracy(), f32(np.round(P_REG)), f32(np.round(Y_REG))),
    ("mse", metrics.MeanSquaredError(), Y_REG, P_REG),
    ("mae", metrics.MeanAbsoluteError(), Y_REG, P_REG),
    ("rmse", metrics.RootMeanSquaredError(), Y_REG, P_REG),
    ("bce", metrics.BinaryCrossentropy(), Y_BIN, P_BIN),
    ("cce", metrics.CategoricalCrossentropy(), Y_ONEHOT, P_CAT),
    ("auc", metrics.AUC(), Y_BIN, P_BIN),
    ("auc_pr", metrics.AUC(curve="PR", num_thresholds=50), Y_BIN, P_BIN),
    ("precision", metrics.Precision(), Y_BIN, P_BIN),
    ("recall", metrics.Recall(thresholds=[0.2, 0.5, 0.7]), Y_BIN, P_BIN),
    ("true_positives", metrics.TruePositives(), Y_BIN, P_BIN),
    ("false_positives", metrics.FalsePositives(thresholds=0.3), Y_BIN, P_BIN),
    ("true_negatives", metrics.TrueNegatives(thresholds=[0.2, 0.7]), Y_BIN, P_BIN),
    (
        "false_negatives_even",
        metrics.FalseNegatives(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]),
        Y_BIN,
        P_BIN,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred"), [c[1:] for c in CASES], ids=IDS
)
def test_three_uneven_batches_sum_to_the_whole(metric, y_true, y_pred):
    whole = eager_statistics(metric, y_true, y_pred)
    totals = summed_over_batches(metric, [y_true, y_pred], [5, 6])
    for key in whole:
        np.testing.assert_allclose(totals[key], whole[key], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        metric.result(totals), metric.result(whole), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred"), [c[1:] for c in CASES], ids=IDS
)
def test_weighted_batches_sum_to_the_whole(metric, y_true, y_pred):
    arrays = [y_true, y_pred, WEIGHTS]
    whole = eager_statistics(metric, *arrays)
    totals = summed_over_batches(metric, arrays, [9, 17])
    np.testing.assert_allclose(
        metric.result(totals), metric.result(whole), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred"), [c[1:] for c in CASES], ids=IDS
)
def test_eager_and_graph_statistics_agree(metric, y_true, y_pred):
    for arrays in ([y_true, y_pred], [y_true, y_pred, WEIGHTS]):
        eager = eager_statistics(metric, *arrays)
        graph = graph_statistics(metric, *arrays)
        assert set(eager) == set(graph) == set(metric.statistic_shapes())
        for key, value in eager.items():
            assert graph[key].shape == metric.statistic_shapes()[key]
            np.testing.assert_allclose(graph[key], value, rtol=1e-6, atol=1e-6)


# -- mean metrics against NumPy --


def test_mean_wrapper_results_against_numpy():
    def result(metric, *arrays):
        return metric.result(eager_statistics(metric, *arrays))

    per_sample_sq = ((Y_REG - P_REG) ** 2).mean(axis=1)
    np.testing.assert_allclose(
        result(metrics.MeanSquaredError(), Y_REG, P_REG),
        per_sample_sq.mean(),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        result(metrics.MeanSquaredError(), Y_REG, P_REG, WEIGHTS),
        (per_sample_sq * WEIGHTS).sum() / WEIGHTS.sum(),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        result(metrics.RootMeanSquaredError(), Y_REG, P_REG),
        np.sqrt(((Y_REG - P_REG) ** 2).mean()),
        rtol=1e-6,
    )
    hits = ((P_BIN > 0.5) == Y_BIN).ravel()
    np.testing.assert_allclose(
        result(metrics.BinaryAccuracy(), Y_BIN, P_BIN, WEIGHTS),
        (hits * WEIGHTS).sum() / WEIGHTS.sum(),
        rtol=1e-6,
    )
    hits = P_CAT.argmax(axis=1) == LABELS
    np.testing.assert_allclose(
        result(metrics.CategoricalAccuracy(), Y_ONEHOT, P_CAT), hits.mean(), rtol=1e-6
    )


def test_keras_documentation_values():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert m.result() == 0.75
    m.reset_state()
    m.update_state(
        [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1]
    )
    assert m.result() == 0.5
    m = metrics.CategoricalAccuracy()
    m.update_state(
        [[0, 0, 1], [0, 1, 0]],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        sample_weight=[0.7, 0.3],
    )
    np.testing.assert_allclose(m.result(), 0.3, rtol=1e-6)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert m.result() == 0.5
    m = metrics.Accuracy()
    m.update_state(
        [[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0]
    )
    assert m.result() == 0.5
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])  # adds 4 / 2
    assert m.result() == (16 + 4) / 6
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == 1.0
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert m.result() == 0.0
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert m.result() == 0.5
    m = metrics.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == 1.0
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert m.result() == 0.75
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert m.result() == 1.0


def test_accuracy_functions():
    np.testing.assert_array_equal(
        metrics.binary_accuracy([[1.0], [0.0]], [[0.5], [0.5]]).numpy(), [[0.0], [1.0]]
    )
    np.testing.assert_array_equal(
        metrics.binary_accuracy([1, 0], [[0.7], [0.2]], threshold=0.6).numpy(),
        [[1.0], [1.0]],
    )
    np.testing.assert_array_equal(
        metrics.categorical_accuracy(
            [[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]
        ).numpy(),
        [1.0, 0.0],
    )
    for labels in ([1, 0], [1.0, 0.0], [[1], [0]], [[1.0], [0.0]]):
        values = metrics.sparse_categorical_accuracy(labels, [[0.2, 0.8], [0.3, 0.7]])
        np.testing.assert_array_equal(values.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(
        metrics.accuracy([1, 2, 3], [[1], [0], [3]]).numpy(), [[1.0], [0.0], [1.0]]
    )


def test_sparse_integer_labels_in_a_graph():
    metric = metrics.SparseCategoricalAccuracy()
    labels = LABELS.astype("int32")
    out = graph_statistics(metric, labels, P_CAT, dtypes=["int32", "float32"])
    np.testing.assert_allclose(
        metric.result(out), (P_CAT.argmax(axis=1) == LABELS).mean(), rtol=1e-6
    )


def test_mean_metric_wrapper_of_a_custom_function():
    def doubled_error(y_true, y_pred):
        return ops.multiply(ops.abs(ops.subtract(y_true, y_pred)), 2.0)

    metric = metrics.MeanMetricWrapper(doubled_error)
    assert metric.name == "doubled_error"
    stats = eager_statistics(metric, f32([[0.0], [1.0]]), f32([[1.0], [1.0]]))
    assert stats == {"total": 2.0, "count": 2.0}
    assert metric.result(stats) == 1.0


def test_result_is_0_without_samples():
    assert metrics.Mean().result({"total": f32(0.0), "count": f32(0.0)}) == 0.0
    assert metrics.BinaryAccuracy().result() == 0.0
    assert metrics.Precision().result() == 0.0
    assert metrics.AUC().result() == 0.0


def test_zero_weights_count_nothing():
    metric = metrics.BinaryAccuracy()
    stats = eager_statistics(metric, Y_BIN, P_BIN, np.zeros(N, "float32"))
    assert stats == {"total": 0.0, "count": 0.0}


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
