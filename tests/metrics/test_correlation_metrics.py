"""Pearson's and the concordance correlation coefficients against NumPy
transcriptions of Keras 3 (with its covariance centred on the mean of the
predictions): functions, weighted means over batches, compiled models."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import concordance
from metric_oracle import pearson
from metric_oracle import update_in_batches
from metric_oracle import weighted_mean

from kgraph import metrics

RNG = np.random.default_rng(12)
Y = RNG.normal(size=(9, 5)).astype("float32")
P = (Y + RNG.normal(scale=0.7, size=(9, 5))).astype("float32")
WEIGHTS = RNG.uniform(0.0, 2.0, 9).astype("float32")

PAIRS = [
    (metrics.pearson_correlation, metrics.PearsonCorrelation, pearson),
    (metrics.concordance_correlation, metrics.ConcordanceCorrelation, concordance),
]


@pytest.mark.parametrize(("fn", "cls", "oracle"), PAIRS)
@pytest.mark.parametrize("axis", [-1, 0])
def test_functions_match_keras(fn, cls, oracle, axis):
    assert_matches(fn(Y, P, axis=axis), oracle(Y, P, axis=axis))


@pytest.mark.parametrize(("fn", "cls", "oracle"), PAIRS)
def test_classes_average_over_samples(fn, cls, oracle):
    got = update_in_batches(cls(), Y, P, WEIGHTS, batches=3)
    assert_matches(got, weighted_mean(oracle(Y, P), WEIGHTS))


def test_keras_documentation_values():
    y_true = np.array([[0, 1, 0.5], [1, 1, 0.2]])
    y_pred = np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    assert_matches(metrics.pearson_correlation(y_true, y_pred), [1.0, 0.99339927])
    assert_matches(
        metrics.concordance_correlation(y_true, y_pred), [0.97560976, 0.98765432]
    )
    pearson_metric = metrics.PearsonCorrelation()
    pearson_metric.update_state(y_true, y_pred)
    assert pearson_metric.result() == pytest.approx(0.9966996338993913, rel=1e-5)


def test_names_configs_and_lookup():
    assert metrics.PearsonCorrelation().get_config() == {
        "name": "pearson_correlation",
        "dtype": "float32",
        "axis": -1,
    }
    assert metrics.ConcordanceCorrelation().name == "concordance_correlation"
    assert type(metrics.get("pearson_correlation")) is metrics.PearsonCorrelation
    assert type(metrics.get("ConcordanceCorrelation")) is (
        metrics.ConcordanceCorrelation
    )
    assert_config_round_trip(metrics.PearsonCorrelation(axis=0, name="p"))
    assert_config_round_trip(metrics.ConcordanceCorrelation())


@pytest.mark.parametrize(("fn", "cls", "oracle"), PAIRS)
def test_in_a_compiled_model_on_both_backends(fn, cls, oracle):
    x = RNG.normal(size=(24, 5)).astype("float32")
    y = RNG.normal(size=(24, 3)).astype("float32")
    assert_compiled_matches(cls(), x, y, lambda t, p: oracle(t, p).mean())
