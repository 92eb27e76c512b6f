"""The focal and generalized crossentropies against NumPy transcriptions
of Keras 3's formulas: functions (eager and in a graph), every reduction
with sample weights, configs, names, and training on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from loss_oracle import assert_class_matches
from loss_oracle import assert_config_round_trip
from loss_oracle import assert_function_matches
from loss_oracle import assert_trains_alike
from loss_oracle import binary_focal
from loss_oracle import categorical_focal
from loss_oracle import generalized_cross_entropy

from kgraph import losses

RNG = np.random.default_rng(3)
LABELS = (RNG.random((6, 4)) > 0.5).astype("float32")
PROBS = RNG.uniform(0.01, 0.99, (6, 4)).astype("float32")
LOGITS = RNG.normal(0.0, 2.0, (6, 4)).astype("float32")
ONE_HOT = np.eye(4, dtype="float32")[RNG.integers(0, 4, 6)]
INDICES = RNG.integers(0, 4, 6).astype("float32")

BINARY_KWARGS = [
    {},
    {"gamma": 0.0},
    {"apply_class_balancing": True, "alpha": 0.3, "gamma": 3.0},
    {"from_logits": True, "label_smoothing": 0.1},
    {"apply_class_balancing": True, "from_logits": True, "axis": 0},
]


@pytest.mark.parametrize("kwargs", BINARY_KWARGS)
def test_binary_focal_crossentropy_matches_keras(kwargs):
    y_pred = LOGITS if kwargs.get("from_logits") else PROBS
    expected = binary_focal(LABELS, y_pred, **kwargs)
    assert_function_matches(
        losses.binary_focal_crossentropy, expected, LABELS, y_pred, **kwargs
    )


def test_binary_focal_crossentropy_with_gamma_0_is_the_crossentropy():
    focal = losses.binary_focal_crossentropy(LABELS, PROBS, gamma=0.0)
    plain = losses.binary_crossentropy(LABELS, PROBS)
    np.testing.assert_allclose(np.asarray(focal), np.asarray(plain), rtol=1e-6)


def test_binary_focal_crossentropy_class_reduces_like_keras():
    kwargs = {"apply_class_balancing": True, "gamma": 1.5}
    values = binary_focal(LABELS, PROBS, **kwargs)
    assert_class_matches(losses.BinaryFocalCrossentropy, kwargs, LABELS, PROBS, values)


CATEGORICAL_KWARGS = [
    {},
    {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 1.5},
    {"from_logits": True, "label_smoothing": 0.2},
]


@pytest.mark.parametrize("kwargs", CATEGORICAL_KWARGS)
def test_categorical_focal_crossentropy_matches_keras(kwargs):
    y_pred = LOGITS if kwargs.get("from_logits") else PROBS
    expected = categorical_focal(ONE_HOT, y_pred, **kwargs)
    assert_function_matches(
        losses.categorical_focal_crossentropy, expected, ONE_HOT, y_pred, **kwargs
    )


def test_categorical_focal_crossentropy_keras_documentation_values():
    y_true = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    loss = losses.CategoricalFocalCrossentropy()
    assert float(loss(y_true, y_pred)) == pytest.approx(0.23315276, rel=1e-5)
    weighted = loss(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))
    assert float(weighted) == pytest.approx(0.1632, abs=1e-4)


def test_categorical_focal_crossentropy_class_reduces_like_keras():
    values = categorical_focal(ONE_HOT, PROBS, gamma=1.0)
    assert_class_matches(
        losses.CategoricalFocalCrossentropy, {"gamma": 1.0}, ONE_HOT, PROBS, values
    )


@pytest.mark.parametrize("labels", [INDICES, INDICES[:, None]])
def test_generalized_cross_entropy_matches_keras(labels):
    expected = generalized_cross_entropy(INDICES, PROBS, 0.3)
    assert_function_matches(
        losses.categorical_generalized_cross_entropy, expected, labels, PROBS, q=0.3
    )


def test_generalized_cross_entropy_class_reduces_like_keras():
    values = generalized_cross_entropy(INDICES, PROBS, 0.7)
    assert_class_matches(
        losses.CategoricalGeneralizedCrossEntropy, {"q": 0.7}, INDICES, PROBS, values
    )


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5])
def test_generalized_cross_entropy_refuses_q_outside_0_1(q):
    with pytest.raises(ValueError, match="q must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


@pytest.mark.parametrize(
    "loss",
    [
        losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0),
        losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5], from_logits=True),
        losses.CategoricalGeneralizedCrossEntropy(q=0.2, reduction="sum"),
    ],
)
def test_config_round_trip(loss):
    assert_config_round_trip(loss)


def test_defaults_and_config_keys_match_keras():
    config = losses.BinaryFocalCrossentropy().get_config()
    assert config == {
        "name": "binary_focal_crossentropy",
        "reduction": "sum_over_batch_size",
        "apply_class_balancing": False,
        "alpha": 0.25,
        "gamma": 2.0,
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    assert losses.CategoricalGeneralizedCrossEntropy().get_config()["q"] == 0.5


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("BinaryFocalCrossentropy", losses.BinaryFocalCrossentropy),
        ("CategoricalFocalCrossentropy", losses.CategoricalFocalCrossentropy),
        (
            "CategoricalGeneralizedCrossEntropy",
            losses.CategoricalGeneralizedCrossEntropy,
        ),
        (
            "categorical_generalized_cross_entropy",
            losses.CategoricalGeneralizedCrossEntropy,
        ),
    ],
)
def test_found_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_function_names_give_wrappers():
    loss = losses.get("binary_focal_crossentropy")
    assert loss.fn is losses.binary_focal_crossentropy


X = RNG.normal(size=(32, 5)).astype("float32")


@pytest.mark.parametrize(
    ("loss", "y", "activation"),
    [
        ("binary_focal_crossentropy", (RNG.random((32, 3)) > 0.5), "sigmoid"),
        (
            losses.BinaryFocalCrossentropy(
                from_logits=True, apply_class_balancing=True
            ),
            (RNG.random((32, 3)) > 0.5),
            None,
        ),
        (
            "categorical_focal_crossentropy",
            np.eye(3)[RNG.integers(0, 3, 32)],
            "softmax",
        ),
        (
            "CategoricalGeneralizedCrossEntropy",
            RNG.integers(0, 3, 32)[:, None],
            "softmax",
        ),
    ],
)
def test_trains_on_both_backends(loss, y, activation):
    y = y.astype("float32")
    assert_trains_alike(loss, X, y, activation=activation, units=3)
