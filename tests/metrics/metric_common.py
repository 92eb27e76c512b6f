"""The data and helpers the metric statistics, confusion and lookup tests
share: batch statistics eagerly, in a graph with an unknown batch, and
summed over batches."""

from __future__ import annotations

import itertools

import numpy as np

import kgraph
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
