"""SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall
and RecallAtPrecision against NumPy transcriptions of Keras 3: counts at
evenly spaced thresholds, class_id, one threshold, sample weights over
uneven batches, errors, configs, compiled models on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from metric_oracle import assert_compiled_matches
from metric_oracle import assert_config_round_trip
from metric_oracle import assert_matches
from metric_oracle import max_under_constraint
from metric_oracle import rates
from metric_oracle import update_in_batches

from kgraph import metrics

RNG = np.random.default_rng(16)
LABELS = (RNG.random(40) > 0.4).astype("float32")
SCORES = np.clip(LABELS * 0.3 + RNG.uniform(size=40) * 0.7, 0, 1).astype("float32")
WEIGHTS = RNG.uniform(0.0, 2.0, 40).astype("float32")

# (class, its argument, constrained rate, dependent rate); the rates are
# indices into metric_oracle.rates: sensitivity, specificity, precision.
KINDS = [
    (metrics.SensitivityAtSpecificity, "specificity", 1, 0),
    (metrics.SpecificityAtSensitivity, "sensitivity", 0, 1),
    (metrics.PrecisionAtRecall, "recall", 0, 2),
    (metrics.RecallAtPrecision, "precision", 2, 0),
]
IDS = [kind[0].__name__ for kind in KINDS]


def expected(kind, value, y, p, num_thresholds=200, weights=None):
    _, _, constrained, dependent = kind
    values = rates(y, p, num_thresholds, weights)
    return max_under_constraint(values[constrained], values[dependent], value)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@pytest.mark.parametrize("value", [0.0, 0.4, 0.8, 1.0])
@pytest.mark.parametrize("num_thresholds", [200, 7, 2, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_keras(kind, value, num_thresholds, weighted):
    cls = kind[0]
    weights = WEIGHTS if weighted else None
    metric = cls(value, num_thresholds=num_thresholds)
    got = update_in_batches(metric, LABELS, SCORES, weights, batches=3)
    assert_matches(got, expected(kind, value, LABELS, SCORES, num_thresholds, weights))


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_class_id(kind):
    labels = (RNG.random((30, 3)) > 0.5).astype("float32")
    scores = RNG.uniform(size=(30, 3)).astype("float32")
    metric = kind[0](0.5, class_id=1)
    got = update_in_batches(metric, labels, scores)
    assert_matches(got, expected(kind, 0.5, labels[:, 1], scores[:, 1]))


def test_keras_documentation_values():
    y_true, y_pred = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
    metric = metrics.SensitivityAtSpecificity(0.5)
    metric.update_state(y_true, y_pred)
    assert metric.result() == 0.5
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=[1, 1, 2, 2, 1])
    assert metric.result() == pytest.approx(0.333333, rel=1e-5)
    metric = metrics.SpecificityAtSensitivity(0.5)
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(0.66666667, rel=1e-6)
    metric = metrics.PrecisionAtRecall(0.5)
    metric.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    assert metric.result() == 0.5
    metric = metrics.RecallAtPrecision(0.8)
    metric.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert metric.result() == 0.5


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_invalid_arguments(kind):
    cls, argument = kind[:2]
    with pytest.raises(ValueError, match=rf"`{argument}` must be in the range"):
        cls(1.5)
    with pytest.raises(ValueError, match="num_thresholds"):
        cls(0.5, num_thresholds=0)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_names_and_configs_as_keras(kind):
    cls, argument = kind[:2]
    metric = cls(0.5)
    name = "".join(
        f"_{c.lower()}" if c.isupper() and i else c.lower()
        for i, c in enumerate(cls.__name__)
    )
    assert metric.get_config() == {
        "name": name,
        "dtype": "float32",
        "class_id": None,
        "num_thresholds": 200,
        argument: 0.5,
    }
    assert_config_round_trip(cls(0.3, num_thresholds=20, class_id=2, name="m"))


@pytest.mark.parametrize("kind", KINDS[::3], ids=IDS[::3])
def test_in_a_compiled_model_on_both_backends(kind):
    x = RNG.normal(size=(24, 5)).astype("float32")
    y = (RNG.random((24, 1)) > 0.5).astype("float32")
    assert_compiled_matches(
        kind[0](0.5),
        x,
        y,
        lambda t, p: expected(kind, 0.5, t, p),
        activation="sigmoid",
    )
