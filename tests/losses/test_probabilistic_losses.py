"""Kullback-Leibler divergence and Poisson against NumPy transcriptions of
Keras 3's formulas: functions, reductions, configs, names, training."""

from __future__ import annotations

import numpy as np
import pytest
from loss_oracle import assert_class_matches
from loss_oracle import assert_config_round_trip
from loss_oracle import assert_function_matches
from loss_oracle import assert_trains_alike
from loss_oracle import kl_divergence
from loss_oracle import poisson

from kgraph import losses

RNG = np.random.default_rng(4)
ONE_HOT = np.eye(4, dtype="float32")[RNG.integers(0, 4, 6)]
PROBS = RNG.dirichlet(np.ones(4), 6).astype("float32")
COUNTS = RNG.poisson(2.0, (6, 4)).astype("float32")
RATES = RNG.uniform(0.05, 4.0, (6, 4)).astype("float32")


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [(ONE_HOT, PROBS), (PROBS[::-1].copy(), PROBS), (ONE_HOT, ONE_HOT)],
)
def test_kl_divergence_matches_keras(y_true, y_pred):
    expected = kl_divergence(y_true, y_pred)
    assert_function_matches(losses.kl_divergence, expected, y_true, y_pred)


def test_kl_divergence_clips_both_sides_to_epsilon_and_1():
    value = losses.kl_divergence([[0.0, 2.0]], [[0.0, 1.0]])
    np.testing.assert_allclose(np.asarray(value), [0.0], atol=1e-6)


def test_poisson_matches_keras():
    expected = poisson(COUNTS, RATES)
    assert_function_matches(losses.poisson, expected, COUNTS, RATES)


@pytest.mark.parametrize(
    ("cls", "oracle", "y_true", "y_pred"),
    [
        (losses.KLDivergence, kl_divergence, ONE_HOT, PROBS),
        (losses.Poisson, poisson, COUNTS, RATES),
    ],
)
def test_classes_reduce_like_keras(cls, oracle, y_true, y_pred):
    assert_class_matches(cls, {}, y_true, y_pred, oracle(y_true, y_pred))


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("kl_divergence", losses.kl_divergence),
        ("kld", losses.kl_divergence),
        ("KLD", losses.kl_divergence),
        ("poisson", losses.poisson),
    ],
)
def test_function_names(name, fn):
    loss = losses.get(name)
    assert loss.fn is fn
    assert loss.name == name


def test_class_names_defaults_and_configs():
    assert losses.get("KLDivergence").name == "kl_divergence"
    assert losses.get("Poisson").name == "poisson"
    for loss in (losses.KLDivergence(reduction="sum"), losses.Poisson(name="p")):
        assert_config_round_trip(loss)


X = RNG.normal(size=(32, 5)).astype("float32")


@pytest.mark.parametrize(
    ("loss", "y", "activation"),
    [
        ("kl_divergence", np.eye(3)[RNG.integers(0, 3, 32)], "softmax"),
        (losses.Poisson(), RNG.poisson(1.0, (32, 3)), "softplus"),
    ],
)
def test_trains_on_both_backends(loss, y, activation):
    assert_trains_alike(loss, X, y.astype("float32"), activation=activation)
