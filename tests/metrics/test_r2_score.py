"""R2Score against a NumPy transcription of Keras 3: aggregations, the
adjusted score, sample weights over uneven batches, its warnings, errors,
configs and compiled models on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import r2
from metric_oracle import update_in_batches

from kgraph import metrics

RNG = np.random.default_rng(14)
Y = RNG.normal(size=(15, 3)).astype("float32")
P = (Y + RNG.normal(scale=0.5, size=(15, 3))).astype("float32")
WEIGHTS = RNG.uniform(0.0, 2.0, 15).astype("float32")


@pytest.mark.parametrize(
    "aggregation", [None, "uniform_average", "variance_weighted_average"]
)
@pytest.mark.parametrize("num_regressors", [0, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_matches_keras(aggregation, num_regressors, weighted):
    weights = WEIGHTS if weighted else None
    metric = metrics.R2Score(aggregation, num_regressors)
    got = update_in_batches(metric, Y, P, weights, batches=3)
    assert_matches(got, r2(Y, P, aggregation, num_regressors, weights))


def test_keras_documentation_value_and_rank_1_predictions():
    metric = metrics.R2Score()
    metric.update_state(np.array([[1.0], [4.0], [3.0]]), np.array([2.0, 4.0, 4.0]))
    assert metric.result() == pytest.approx(0.57142854, rel=1e-6)


@pytest.mark.parametrize("num_regressors", [44, 45])
def test_adjusted_score_falls_back_with_a_warning(num_regressors):
    metric = metrics.R2Score(num_regressors=num_regressors)
    metric.update_state(Y, P)  # 45 values
    with pytest.warns(UserWarning, match="Falling back to standard R2 score"):
        value = metric.result()
    assert_matches(value, r2(Y, P))


def test_invalid_arguments_and_shapes():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="after its first batch"):
        metrics.R2Score().result()


def test_config_as_keras():
    assert metrics.R2Score().get_config() == {
        "name": "r2_score",
        "dtype": "float32",
        "class_aggregation": "uniform_average",
        "num_regressors": 0,
    }
    assert type(metrics.get("r2_score")) is metrics.R2Score
    assert_config_round_trip(metrics.R2Score(None, 2, name="r"))


@pytest.mark.parametrize("aggregation", [None, "variance_weighted_average"])
def test_in_a_compiled_model_on_both_backends(aggregation):
    x = RNG.normal(size=(24, 5)).astype("float32")
    y = RNG.normal(size=(24, 3)).astype("float32")
    weights = RNG.uniform(0.0, 2.0, 24).astype("float32")
    assert_compiled_matches(
        metrics.R2Score(aggregation),
        x,
        y,
        lambda t, p: r2(t, p, aggregation, sample_weight=weights),
        sample_weight=weights,
    )
