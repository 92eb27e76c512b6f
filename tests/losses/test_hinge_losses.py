"""Hinge, squared hinge and categorical hinge against NumPy transcriptions
of Keras 3's formulas: 0/1 labels converted to -1/1 only when the whole
batch is binary, reductions, configs, names, training."""

from __future__ import annotations

import numpy as np
import pytest
from loss_oracle import assert_class_matches
from loss_oracle import assert_config_round_trip
from loss_oracle import assert_function_matches
from loss_oracle import assert_trains_alike
from loss_oracle import categorical_hinge
from loss_oracle import hinge
from loss_oracle import squared_hinge

from kgraph import losses
from kgraph.losses.hinge_losses import convert_binary_labels_to_hinge

RNG = np.random.default_rng(5)
BINARY = (RNG.random((6, 4)) > 0.5).astype("float32")
SIGNS = np.where(RNG.random((6, 4)) > 0.5, 1.0, -1.0).astype("float32")
MIXED = np.where(BINARY > 0, 1.0, -1.0).astype("float32")
MIXED[0, 0] = 0.0  # one 0 among -1/1: not a binary batch, kept as it is
SCORES = RNG.normal(0.0, 1.5, (6, 4)).astype("float32")
ONE_HOT = np.eye(4, dtype="float32")[RNG.integers(0, 4, 6)]

PAIRS = [(hinge, losses.hinge), (squared_hinge, losses.squared_hinge)]


@pytest.mark.parametrize(("oracle", "fn"), PAIRS)
@pytest.mark.parametrize("labels", [BINARY, SIGNS, MIXED])
def test_hinge_losses_match_keras(oracle, fn, labels):
    assert_function_matches(fn, oracle(labels, SCORES), labels, SCORES)


def test_binary_labels_become_minus_one_and_one():
    converted = convert_binary_labels_to_hinge
    np.testing.assert_array_equal(
        np.asarray(converted(np.array([0.0, 1.0, 1.0]))), [-1.0, 1.0, 1.0]
    )
    np.testing.assert_array_equal(
        np.asarray(converted(np.array([0.0, 1.0, 2.0]))), [0.0, 1.0, 2.0]
    )


@pytest.mark.parametrize("labels", [ONE_HOT, 2 * ONE_HOT - 1])
def test_categorical_hinge_matches_keras(labels):
    expected = categorical_hinge(labels, SCORES)
    assert_function_matches(losses.categorical_hinge, expected, labels, SCORES)


@pytest.mark.parametrize(
    ("cls", "oracle", "labels"),
    [
        (losses.Hinge, hinge, BINARY),
        (losses.SquaredHinge, squared_hinge, SIGNS),
        (losses.CategoricalHinge, categorical_hinge, ONE_HOT),
    ],
)
def test_classes_reduce_like_keras(cls, oracle, labels):
    assert_class_matches(cls, {}, labels, SCORES, oracle(labels, SCORES))


def test_keras_documentation_values():
    y_true = [[0.0, 1.0], [0.0, 0.0]]
    y_pred = [[0.6, 0.4], [0.4, 0.6]]
    assert float(losses.Hinge()(y_true, y_pred)) == pytest.approx(1.3)
    assert float(losses.SquaredHinge()(y_true, y_pred)) == pytest.approx(1.86)
    assert float(losses.CategoricalHinge()(y_true, y_pred)) == pytest.approx(1.4)


@pytest.mark.parametrize(
    ("name", "cls", "fn"),
    [
        ("hinge", losses.Hinge, losses.hinge),
        ("squared_hinge", losses.SquaredHinge, losses.squared_hinge),
        ("categorical_hinge", losses.CategoricalHinge, losses.categorical_hinge),
    ],
)
def test_names_defaults_and_configs(name, cls, fn):
    assert losses.get(name).fn is fn
    assert type(losses.get(cls.__name__)) is cls
    assert cls().name == name
    assert_config_round_trip(cls(reduction="sum"))


X = RNG.normal(size=(32, 5)).astype("float32")


@pytest.mark.parametrize(
    ("loss", "y", "activation"),
    [
        ("hinge", (RNG.random((32, 3)) > 0.5), "tanh"),
        (losses.SquaredHinge(), (RNG.random((32, 3)) > 0.5), "tanh"),
        ("categorical_hinge", np.eye(3)[RNG.integers(0, 3, 32)], None),
    ],
)
def test_trains_on_both_backends(loss, y, activation):
    assert_trains_alike(loss, X, y.astype("float32"), activation=activation)
