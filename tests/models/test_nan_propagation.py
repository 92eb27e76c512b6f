"""NaN reaches the loss, as in Keras: activations and clipping propagate it
on both backends, ``fit`` reports ``nan`` and ``TerminateOnNaN`` stops."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph as kg
from kgraph import activations
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
SPECIAL = np.array([np.nan, -1.0, 0.0, 2.0, 7.0, np.inf, -np.inf], "float32")
FUNCTIONS = {
    "relu": activations.relu,
    "relu6": activations.relu6,
    "leaky_relu": activations.leaky_relu,
    "elu": activations.elu,
    "thresholded": lambda x: activations.relu(x, threshold=1.0),
    "clip": lambda x: ops.clip(x, -1.0, 1.0),
    "maximum": lambda x: ops.maximum(x, 0.5),
    "minimum": lambda x: ops.minimum(x, 0.5),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_nan_passes_through_activations_and_clipping(backend, name):
    fn = FUNCTIONS[name]
    eager = np.asarray(fn(SPECIAL))
    model = kg.Sequential([kg.Input((7,)), layers.Lambda(fn)])
    model.compile(loss="mse", backend=backend)
    compiled = model.predict(SPECIAL[None], verbose=0)[0]
    assert math.isnan(eager[0]) and math.isnan(compiled[0])
    # The native exp differs from NumPy's in the last bit.
    np.testing.assert_allclose(compiled[1:], eager[1:], rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_nan_in_x_makes_the_loss_nan_and_terminate_on_nan_stops(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    x[5, 2] = np.nan
    y = rng.normal(size=(32, 1)).astype("float32")
    model = kg.Sequential(
        [kg.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert all(math.isnan(loss) for loss in history.history["loss"])
    stopped = kg.Sequential(
        [kg.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    stopped.compile(optimizer="sgd", loss="mse", backend=backend)
    history = stopped.fit(
        x,
        y,
        epochs=3,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=[kg.callbacks.TerminateOnNaN()],
    )
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_nan_beside_a_larger_value_in_a_pooling_window_reaches_the_loss(backend):
    rng = np.random.default_rng(0)
    x = np.abs(rng.normal(size=(16, 4, 4, 1))).astype("float32") + 1.0
    x[13, 1, 1, 0] = np.nan  # in the last batch, its window holding 100
    x[13, 0, 0, 0] = 100.0
    y = rng.normal(size=(16, 1)).astype("float32")
    model = kg.Sequential(
        [
            kg.Input((4, 4, 1)),
            layers.Conv2D(1, 1),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(
        x,
        y,
        batch_size=4,
        shuffle=False,
        verbose=0,
        callbacks=[kg.callbacks.TerminateOnNaN()],
    )
    assert math.isnan(history.history["loss"][0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_targets_beyond_int32_are_floats_not_wrapped(backend):
    x = np.ones((4, 1), "float32")
    y = np.full((4, 1), 3_000_000_000, dtype=np.int64)
    model = kg.Sequential([kg.Input((1,)), layers.Dense(1, use_bias=False)])
    model.compile(optimizer="sgd", loss="mae", backend=backend)
    model.set_weights([np.zeros((1, 1), "float32")])
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 3e9, rtol=1e-6)
