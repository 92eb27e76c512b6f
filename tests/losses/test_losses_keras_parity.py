"""Every loss kgraph and Keras both export, against Keras itself.

Generated from the names (``keras_oracle``): each loss class with its
default arguments and each reduction, with and without sample weights, and
each loss function's per-sample values, on targets and predictions of the
loss's kind."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from keras_oracle import as_array
from keras_oracle import assert_config_holds
from keras_oracle import keras_twin
from keras_oracle import shared_classes
from keras_oracle import shared_functions

import kgraph as kg
from kgraph import dtypes

RTOL, ATOL = dtypes.KERAS_VALUE_TOLERANCE

# Losses whose targets are class indices (the others take targets of the
# predictions' shape).
_INDEX_TARGETS = ("sparse", "circle", "generalized")

CLASSES = shared_classes(kg.losses, kg.losses.Loss, "losses")
FUNCTIONS = [
    name
    for name in shared_functions(kg.losses, "losses")
    if list(inspect.signature(getattr(kg.losses, name)).parameters)[:2]
    == ["y_true", "y_pred"]
]


def _data(name, seed=0):
    """Targets, predictions and per-sample weights for the loss ``name``:
    class indices with probabilities, else targets in [0, 1] (soft and
    hard) with predictions inside (0, 1), which every loss here accepts."""
    rng = np.random.default_rng(seed)
    predictions = rng.uniform(0.05, 0.95, (8, 4)).astype("float32")
    weights = rng.uniform(0.0, 2.0, 8).astype("float32")
    if any(marker in name.lower() for marker in _INDEX_TARGETS):
        predictions /= predictions.sum(axis=1, keepdims=True)
        return rng.integers(0, 4, 8).astype("int32"), predictions, weights
    targets = rng.uniform(0.0, 1.0, (8, 4)).astype("float32")
    targets[:4] = targets[:4] > 0.5
    return targets, predictions, weights


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("name", CLASSES)
def test_loss_classes_equal_keras(name, reduction):
    twin = keras_twin("losses", name)
    y_true, y_pred, weights = _data(name)
    ours = getattr(kg.losses, name)(reduction=reduction)
    theirs = twin(reduction=reduction)
    for sample_weight in (None, weights):
        np.testing.assert_allclose(
            as_array(ours(y_true, y_pred, sample_weight=sample_weight)),
            as_array(theirs(y_true, y_pred, sample_weight=sample_weight)),
            rtol=RTOL,
            atol=ATOL,
        )


@pytest.mark.parametrize("name", CLASSES)
def test_loss_configs_hold_what_keras_holds(name):
    """kgraph's configs may hold more (Keras leaves out ``axis`` and
    ``delta``), never less or other."""
    twin = keras_twin("losses", name)
    assert_config_holds(getattr(kg.losses, name)().get_config(), twin().get_config())


# Arguments a loss function requires beyond the targets and predictions.
_REQUIRED = {"q": 0.5}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_loss_functions_equal_keras(name):
    twin = keras_twin("losses", name)
    y_true, y_pred, _ = _data(name, seed=1)
    function = getattr(kg.losses, name)
    required = [
        parameter.name
        for parameter in list(inspect.signature(function).parameters.values())[2:]
        if parameter.default is inspect.Parameter.empty
        and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    arguments = {key: _REQUIRED[key] for key in required}
    np.testing.assert_allclose(
        as_array(function(y_true, y_pred, **arguments)),
        as_array(twin(y_true, y_pred, **arguments)),
        rtol=RTOL,
        atol=ATOL,
    )
