"""The metrics that average a per-sample function (hinge, squared and
categorical hinge, KL divergence, Poisson, MSLE, log-cosh, cosine
similarity, top-k accuracies): against NumPy transcriptions of Keras 3,
over uneven batches with sample weights, in compiled models on both
backends, by name and through their configs."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import cosine_similarity
from metric_oracle import in_top_k
from metric_oracle import update_in_batches
from metric_oracle import weighted_mean

from kgraph import losses
from kgraph import metrics

RNG = np.random.default_rng(11)
N, C = 10, 4
BINARY = (RNG.random((N, C)) > 0.5).astype("float32")
SCORES = RNG.normal(size=(N, C)).astype("float32")
ONE_HOT = np.eye(C, dtype="float32")[RNG.integers(0, C, N)]
PROBS = RNG.dirichlet(np.ones(C), N).astype("float32")
POSITIVE = RNG.uniform(0.05, 3.0, (N, C)).astype("float32")
COUNTS = RNG.poisson(1.5, (N, C)).astype("float32")
LABELS = RNG.integers(0, C, N).astype("float32")
WEIGHTS = RNG.uniform(0.0, 2.0, N).astype("float32")


def _np(fn):
    """A loss function as the per-sample oracle: the loss functions are
    pinned against NumPy transcriptions in tests/losses; here the metrics'
    averaging is checked."""
    return lambda y, p: np.asarray(fn(y, p), dtype="float64")


CASES = [
    ("hinge", metrics.Hinge, _np(losses.hinge), BINARY, SCORES),
    ("squared_hinge", metrics.SquaredHinge, _np(losses.squared_hinge), BINARY, SCORES),
    (
        "categorical_hinge",
        metrics.CategoricalHinge,
        _np(losses.categorical_hinge),
        ONE_HOT,
        SCORES,
    ),
    ("kl_divergence", metrics.KLDivergence, _np(losses.kl_divergence), ONE_HOT, PROBS),
    ("poisson", metrics.Poisson, _np(losses.poisson), COUNTS, POSITIVE),
    (
        "mean_squared_logarithmic_error",
        metrics.MeanSquaredLogarithmicError,
        _np(losses.mean_squared_logarithmic_error),
        COUNTS,
        POSITIVE,
    ),
    ("logcosh", metrics.LogCoshError, _np(losses.log_cosh), SCORES, PROBS),
    ("cosine_similarity", metrics.CosineSimilarity, cosine_similarity, SCORES, PROBS),
    (
        "top_k_categorical_accuracy",
        metrics.TopKCategoricalAccuracy,
        lambda y, p: in_top_k(np.argmax(y, -1), p, 5),
        ONE_HOT,
        PROBS,
    ),
    (
        "sparse_top_k_categorical_accuracy",
        metrics.SparseTopKCategoricalAccuracy,
        lambda y, p: in_top_k(y, p, 5),
        LABELS,
        PROBS,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "cls", "oracle", "y_true", "y_pred"), CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_mean_over_uneven_batches(name, cls, oracle, y_true, y_pred, weighted):
    weights = WEIGHTS if weighted else None
    got = update_in_batches(cls(), y_true, y_pred, weights, batches=3)
    assert_matches(got, weighted_mean(oracle(y_true, y_pred), weights))


@pytest.mark.parametrize(("name", "cls", "oracle", "y_true", "y_pred"), CASES, ids=IDS)
def test_names_defaults_and_configs(name, cls, oracle, y_true, y_pred):
    metric = cls()
    assert metric.name == name
    assert type(metrics.get(cls.__name__)) is cls
    assert_config_round_trip(cls(name="renamed"))


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("hinge", metrics.Hinge),
        ("kl_divergence", metrics.KLDivergence),
        ("kld", metrics.KLDivergence),
        ("msle", metrics.MeanSquaredLogarithmicError),
        ("MSLE", metrics.MeanSquaredLogarithmicError),
        ("logcosh", metrics.LogCoshError),
        ("log_cosh_error", metrics.LogCoshError),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("poisson", metrics.Poisson),
    ],
)
def test_found_by_name_keeping_the_name(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls
    assert metric.name == name


def test_top_k_ties_count_in_and_nan_ranks_last():
    scores = np.array([[0.5, 0.5, 0.5, 0.1], [np.nan, 0.2, 0.3, 0.4]], "float32")
    labels = np.array([2.0, 0.0], "float32")
    got = metrics.sparse_top_k_categorical_accuracy(labels, scores, k=1)
    np.testing.assert_array_equal(np.asarray(got), [1.0, 0.0])
    np.testing.assert_array_equal(np.asarray(got), in_top_k(labels, scores, 1))


def test_top_k_keras_documentation_values():
    y_true = [[0, 0, 1], [0, 1, 0]]
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    metric = metrics.TopKCategoricalAccuracy(k=1)
    metric.update_state(y_true, y_pred)
    assert metric.result() == 0.5
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert metric.result() == pytest.approx(0.3)
    sparse = metrics.SparseTopKCategoricalAccuracy(k=1)
    sparse.update_state([2, 1], y_pred)
    assert sparse.result() == 0.5


def test_sparse_top_k_from_sorted_ids():
    ids = np.array([[1, 0, 3], [2, 3, 1], [0, 1, 2]], "float32")
    labels = np.array([0.0, 1.0, 3.0], "float32")
    got = metrics.sparse_top_k_categorical_accuracy(
        labels, ids, k=2, from_sorted_ids=True
    )
    np.testing.assert_array_equal(np.asarray(got), [1.0, 0.0, 0.0])
    metric = metrics.SparseTopKCategoricalAccuracy(k=3, from_sorted_ids=True)
    assert metric.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()
    metric.update_state(labels, ids)
    assert metric.result() == pytest.approx(2 / 3)


def test_top_k_of_sequences_keeps_one_value_per_step():
    labels = RNG.integers(0, C, (3, 5)).astype("float32")
    scores = RNG.normal(size=(3, 5, C)).astype("float32")
    got = np.asarray(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=2))
    expected = in_top_k(labels.reshape(-1), scores.reshape(-1, C), 2).reshape(3, 5)
    np.testing.assert_array_equal(got, expected)


def test_cosine_similarity_metric_is_the_positive_similarity():
    assert_matches(
        metrics.CosineSimilarity(axis=0)(SCORES, PROBS),
        cosine_similarity(SCORES, PROBS, axis=0).mean(),
    )


X = RNG.normal(size=(24, 5)).astype("float32")


@pytest.mark.parametrize(
    ("metric", "y", "oracle"),
    [
        (metrics.Hinge(), (RNG.random((24, 3)) > 0.5), losses.hinge),
        (metrics.LogCoshError(), RNG.normal(size=(24, 3)), losses.log_cosh),
        (
            metrics.CosineSimilarity(),
            RNG.normal(size=(24, 3)),
            lambda y, p: cosine_similarity(y, p),
        ),
        (
            metrics.TopKCategoricalAccuracy(k=2),
            np.eye(3)[RNG.integers(0, 3, 24)],
            lambda y, p: in_top_k(np.argmax(y, -1), p, 2),
        ),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_in_a_compiled_model_on_both_backends(metric, y, oracle):
    y = y.astype("float32")
    weights = RNG.uniform(0.0, 2.0, 24).astype("float32")
    assert_compiled_matches(
        metric,
        X,
        y,
        lambda t, p: weighted_mean(np.asarray(oracle(t, p), "float64"), weights),
        sample_weight=weights,
    )


def test_sparse_top_k_in_a_compiled_model():
    labels = RNG.integers(0, 4, 24).astype("float32")
    assert_compiled_matches(
        metrics.SparseTopKCategoricalAccuracy(k=2),
        X,
        labels,
        lambda y, p: in_top_k(y, p, 2).mean(),
        activation="softmax",
        units=4,
        loss="sparse_categorical_crossentropy",
    )
