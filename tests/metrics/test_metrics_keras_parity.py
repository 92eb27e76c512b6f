"""Every metric kgraph and Keras both export, against Keras itself.

Generated from the names (``keras_oracle``): each metric class, with its
default arguments (and the required ones from one table, by argument
name), accumulates two batches, the second with sample weights, and its
result must equal Keras's; after ``reset_state``, one batch again."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from keras_oracle import as_array
from keras_oracle import assert_config_holds
from keras_oracle import keras
from keras_oracle import keras_twin
from keras_oracle import required_arguments
from keras_oracle import shared_classes

import kgraph as kg
from kgraph import dtypes

RTOL, ATOL = dtypes.KERAS_VALUE_TOLERANCE

NAMES = shared_classes(kg.metrics, kg.metrics.Metric, "metrics")

# Values of the arguments some metrics require, by argument name.
_REQUIRED = {
    "num_classes": 4,
    "target_class_ids": [0, 2],
    "recall": 0.5,
    "precision": 0.5,
    "specificity": 0.5,
    "sensitivity": 0.5,
}


def _make(lib, cls):
    arguments = required_arguments(cls, {**_REQUIRED, "fn": None})
    if "fn" in arguments:
        arguments["fn"] = lib.losses.mean_squared_error
    return cls(**arguments)


def _batch(name, seed):
    """Targets, predictions and sample weights of the metric's kind."""
    rng = np.random.default_rng(seed)
    probabilities = rng.uniform(0.05, 0.95, (8, 4)).astype("float32")
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, 8).astype("int32")
    weights = rng.uniform(0.0, 2.0, 8).astype("float32")
    if "IoU" in name:
        # Confusion counts are integers: so are their weights.
        weights = rng.integers(0, 3, 8).astype("int32")
    if name == "BinaryIoU":
        # Its targets are flattened, and so must its weights be.
        weights = rng.integers(0, 3, (8, 4)).astype("int32")
    if name.startswith("Sparse"):
        return labels, probabilities, weights
    if name in ("IoU", "MeanIoU"):
        return labels, rng.integers(0, 4, 8).astype("int32"), weights
    if name.startswith("OneHot"):
        return np.eye(4, dtype="float32")[labels], probabilities, weights
    targets = rng.uniform(0.0, 1.0, (8, 4)).astype("float32")
    targets[:5] = targets[:5] > 0.5
    return targets, probabilities, weights


def _result(metric):
    return np.asarray(as_array(metric.result()), dtype=np.float64)


def _update(metric, batch, weighted, values):
    """``update_state`` with the batch's targets and predictions, or with
    its predictions alone for a metric of ``values`` (``Mean``, ``Sum``)."""
    targets, predictions, weights = batch
    weights = weights if weighted else None
    with warnings.catch_warnings():
        # Keras and JAX warn about their own dtypes (int64 without x64).
        warnings.simplefilter("ignore")
        if values:
            metric.update_state(predictions, sample_weight=weights)
        else:
            metric.update_state(targets, predictions, sample_weight=weights)


@pytest.mark.parametrize("name", NAMES)
def test_metrics_accumulate_like_keras(name):
    twin = keras_twin("metrics", name)
    ours, theirs = _make(kg, getattr(kg.metrics, name)), _make(keras, twin)
    first, second = _batch(name, 0), _batch(name, 1)
    # Keras's signature says whether the metric takes values or targets.
    values = next(iter(inspect.signature(theirs.update_state).parameters)) == "values"
    for metric in (ours, theirs):
        _update(metric, first, False, values)
        _update(metric, second, True, values)
    np.testing.assert_allclose(_result(ours), _result(theirs), rtol=RTOL, atol=ATOL)
    for metric in (ours, theirs):
        metric.reset_state()
        _update(metric, second, False, values)
    np.testing.assert_allclose(_result(ours), _result(theirs), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", NAMES)
def test_metric_configs_hold_what_keras_holds(name):
    twin = keras_twin("metrics", name)
    ours = _make(kg, getattr(kg.metrics, name)).get_config()
    theirs = _make(keras, twin).get_config()
    # Keras numbers the names of metrics made twice in a session
    # ("auc_1"), and a wrapper's function is an object of each library.
    assert_config_holds(ours, theirs, unlike=("name", "fn"))


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_crossentropy_ignores_a_class_like_keras(weighted):
    twin = keras_twin("metrics", "SparseCategoricalCrossentropy")
    labels, probabilities, weights = _batch("Sparse", 3)
    ours = kg.metrics.SparseCategoricalCrossentropy(ignore_class=2)
    theirs = twin(ignore_class=2)
    for metric in (ours, theirs):
        _update(metric, (labels, probabilities, weights), weighted, False)
    np.testing.assert_allclose(_result(ours), _result(theirs), rtol=RTOL, atol=ATOL)
