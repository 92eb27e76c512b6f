"""Metrics as additive batch statistics: batches sum to the whole, eager
against graph, the mean metrics against NumPy and Keras 3's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from metric_common import CASES
from metric_common import IDS
from metric_common import LABELS
from metric_common import P_BIN
from metric_common import P_CAT
from metric_common import P_REG
from metric_common import WEIGHTS
from metric_common import Y_BIN
from metric_common import Y_ONEHOT
from metric_common import Y_REG
from metric_common import N
from metric_common import eager_statistics
from metric_common import f32
from metric_common import graph_statistics
from metric_common import summed_over_batches

from kgraph import metrics
from kgraph import ops


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
