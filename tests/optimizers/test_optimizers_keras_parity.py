"""Every optimizer kgraph and Keras both export, against Keras itself.

Generated from the names (``keras_oracle``): each optimizer, with its
default arguments but a learning rate large enough to move the weights
(``LossScaleOptimizer`` around SGD), trains the same MLP from the same
weights for three epochs in both libraries; the losses, the weights and the
optimizer's variables after training must agree."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from keras_oracle import assert_config_holds
from keras_oracle import keras
from keras_oracle import keras_twin
from keras_oracle import shared_classes

import kgraph as kg
from kgraph import dtypes

RTOL, ATOL = dtypes.KERAS_TRAINING_TOLERANCE

NAMES = shared_classes(kg.optimizers, kg.optimizers.Optimizer, "optimizers")


def _make(lib, cls):
    parameters = inspect.signature(cls).parameters
    arguments = {}
    if "inner_optimizer" in parameters:
        arguments["inner_optimizer"] = lib.optimizers.SGD(learning_rate=0.05)
    elif "learning_rate" in parameters:
        arguments["learning_rate"] = 0.05
    return cls(**arguments)


def _model(lib, optimizer):
    model = lib.Sequential(
        [
            lib.Input((5,)),
            lib.layers.Dense(8, activation="relu"),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )
    # kgraph on the reference backend: native code equals it (tested
    # apart), and it needs no compiling.
    backend = {"backend": "numpy"} if lib is kg else {}
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", **backend)
    return model


@pytest.mark.parametrize("name", NAMES)
def test_optimizers_train_like_keras(name):
    twin = keras_twin("optimizers", name)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 24)]
    theirs = _model(keras, _make(keras, twin))
    ours = _model(kg, _make(kg, getattr(kg.optimizers, name)))
    ours.set_weights(theirs.get_weights())
    fit = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}
    expected = theirs.fit(x, y, **fit).history["loss"]
    actual = ours.fit(x, y, **fit).history["loss"]
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    for index, (a, e) in enumerate(
        zip(ours.get_weights(), theirs.get_weights(), strict=True)
    ):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=str(index))
    assert int(ours.optimizer.iterations.numpy()) == int(
        np.asarray(theirs.optimizer.iterations)
    )


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_configs_hold_what_keras_holds(name):
    twin = keras_twin("optimizers", name)
    ours = _make(kg, getattr(kg.optimizers, name)).get_config()
    theirs = _make(keras, twin).get_config()
    # Keras numbers the names of optimizers made twice in a session, and
    # the inner optimizer is an object of each library.
    assert_config_holds(ours, theirs, unlike=("name", "inner_optimizer"))
