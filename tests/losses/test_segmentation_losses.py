"""Dice and Tversky against NumPy transcriptions of Keras 3's formulas:
over the whole batch (``axis=None``) and per sample, reductions, configs,
names, training."""

from __future__ import annotations

import numpy as np
import pytest
from loss_oracle import assert_class_matches
from loss_oracle import assert_config_round_trip
from loss_oracle import assert_function_matches
from loss_oracle import assert_trains_alike
from loss_oracle import dice
from loss_oracle import tversky

from kgraph import losses

RNG = np.random.default_rng(6)
MASKS = (RNG.random((4, 3, 3, 1)) > 0.5).astype("float32")
PROBS = RNG.uniform(0.0, 1.0, (4, 3, 3, 1)).astype("float32")
PER_SAMPLE = (1, 2, 3)


@pytest.mark.parametrize("axis", [None, PER_SAMPLE, [1, 2]])
def test_dice_matches_keras(axis):
    expected = dice(MASKS, PROBS, axis=None if axis is None else tuple(axis))
    assert_function_matches(losses.dice, expected, MASKS, PROBS, axis=axis)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"alpha": 0.3, "beta": 0.7}, {"alpha": 0.7, "beta": 0.3, "axis": PER_SAMPLE}],
)
def test_tversky_matches_keras(kwargs):
    expected = tversky(MASKS, PROBS, **kwargs)
    assert_function_matches(losses.tversky, expected, MASKS, PROBS, **kwargs)


def test_tversky_with_halves_is_dice():
    np.testing.assert_allclose(
        np.asarray(losses.tversky(MASKS, PROBS, axis=PER_SAMPLE)),
        np.asarray(losses.dice(MASKS, PROBS, axis=PER_SAMPLE)),
        rtol=1e-6,
    )


def test_keras_documentation_values():
    y_true = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]]] * 2, dtype="float32")
    y_pred = np.array(
        [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]],
        dtype="float32",
    )
    per_sample = losses.Dice(axis=PER_SAMPLE, reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(per_sample), [0.5, 0.75757575], rtol=1e-6)
    assert float(losses.Dice()(y_true, y_pred)) == pytest.approx(0.6164384, rel=1e-6)


@pytest.mark.parametrize("axis", [None, PER_SAMPLE])
def test_classes_reduce_like_keras(axis):
    assert_class_matches(
        losses.Dice, {"axis": axis}, MASKS, PROBS, dice(MASKS, PROBS, axis=axis)
    )
    kwargs = {"alpha": 0.2, "beta": 0.8, "axis": axis}
    values = tversky(MASKS, PROBS, **kwargs)
    assert_class_matches(losses.Tversky, kwargs, MASKS, PROBS, values)


def test_names_defaults_and_configs():
    assert losses.get("dice").fn is losses.dice
    assert losses.get("tversky").fn is losses.tversky
    assert losses.Dice().get_config() == {
        "name": "dice",
        "reduction": "sum_over_batch_size",
        "axis": None,
    }
    config = losses.Tversky().get_config()
    assert (config["alpha"], config["beta"], config["axis"]) == (0.5, 0.5, None)
    assert_config_round_trip(losses.Dice(axis=(1, 2)))
    assert_config_round_trip(losses.Tversky(alpha=0.1, beta=0.9))


X = RNG.normal(size=(32, 5)).astype("float32")


@pytest.mark.parametrize(
    "loss", ["dice", losses.Tversky(alpha=0.3, beta=0.7, axis=(1,))]
)
def test_trains_on_both_backends(loss):
    y = (RNG.random((32, 3)) > 0.5).astype("float32")
    assert_trains_alike(loss, X, y, activation="sigmoid")
