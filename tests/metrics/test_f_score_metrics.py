"""F-beta and F-1 scores against NumPy transcriptions of Keras 3: every
average, thresholds and the arg-max, sample weights over uneven batches,
argument errors, configs and compiled models on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import fbeta
from metric_oracle import update_in_batches

from kgraph import metrics

RNG = np.random.default_rng(13)
MULTI_LABEL = (RNG.random((12, 4)) > 0.5).astype("float32")
ONE_HOT = np.eye(4, dtype="float32")[RNG.integers(0, 4, 12)]
PROBS = RNG.uniform(0.0, 1.0, (12, 4)).astype("float32")
PROBS[0] = 0.0  # a row of zeros predicts nothing with the arg-max
WEIGHTS = RNG.uniform(0.0, 2.0, 12).astype("float32")


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_fbeta_matches_keras(average, threshold, weighted):
    labels = ONE_HOT if threshold is None else MULTI_LABEL
    weights = WEIGHTS if weighted else None
    metric = metrics.FBetaScore(average=average, beta=2.0, threshold=threshold)
    got = update_in_batches(metric, labels, PROBS, weights, batches=3)
    expected = fbeta(labels, PROBS, 2.0, threshold, average, weights)
    assert_matches(got, expected)


def test_f1_is_fbeta_with_beta_1():
    f1 = update_in_batches(metrics.F1Score(average="macro"), ONE_HOT, PROBS)
    assert_matches(f1, fbeta(ONE_HOT, PROBS, 1.0, None, "macro"))


def test_keras_documentation_values():
    metric = metrics.F1Score(threshold=0.5)
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], "int32")
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], "float32")
    metric.update_state(y_true, y_pred)
    assert_matches(metric.result(), [0.5, 0.8, 0.6666667])
    fbeta_metric = metrics.FBetaScore(beta=2.0, threshold=0.5)
    fbeta_metric.update_state(y_true, y_pred)
    assert_matches(fbeta_metric.result(), [0.3846154, 0.90909094, 0.8333332])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"average": "mean"}, "Invalid `average` argument value"),
        ({"beta": 1}, "It should be a Python float"),
        ({"beta": -1.0}, "It should be > 0"),
        ({"threshold": 1}, "It should be a Python float"),
        ({"threshold": 1.5}, "0 < threshold <= 1"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.FBetaScore(**kwargs)


def test_inputs_must_be_2d():
    with pytest.raises(ValueError, match="FBetaScore expects 2D inputs"):
        metrics.F1Score().update_state(np.zeros(3), np.zeros(3))


def test_configs_and_names_as_keras():
    assert metrics.F1Score().get_config() == {
        "name": "f1_score",
        "dtype": "float32",
        "average": None,
        "threshold": None,
    }
    assert metrics.FBetaScore().get_config()["beta"] == 1.0
    assert metrics.FBetaScore().name == "fbeta_score"
    assert type(metrics.get("f1_score")) is metrics.F1Score
    assert type(metrics.get("FBetaScore")) is metrics.FBetaScore
    assert_config_round_trip(metrics.F1Score(average="weighted", threshold=0.3))
    assert_config_round_trip(metrics.FBetaScore(average="micro", beta=0.5))


@pytest.mark.parametrize("average", [None, "micro"])
def test_in_a_compiled_model_on_both_backends(average):
    x = RNG.normal(size=(24, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 24)]
    assert_compiled_matches(
        metrics.F1Score(average=average),
        x,
        y,
        lambda t, p: fbeta(t, p, 1.0, None, average),
        activation="softmax",
    )
