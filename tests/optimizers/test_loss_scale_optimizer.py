"""LossScaleOptimizer: Keras's constructor and config, delegating every
update to its inner optimizer (float32 needs no loss scaling)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import optimizers
from kgraph.optimizers import SGD
from kgraph.optimizers import Adam
from kgraph.optimizers import LossScaleOptimizer


def test_defaults_and_delegation():
    inner = Adam(learning_rate=0.01)
    opt = LossScaleOptimizer(inner)
    assert (opt.initial_scale, opt.dynamic_growth_steps) == (32768.0, 2000)
    assert opt.name == "loss_scale_optimizer"
    assert opt.learning_rate == 0.01
    opt.learning_rate = 0.02
    assert inner.learning_rate == 0.02
    assert opt.scale_loss(3.0) == 3.0
    var = kgraph.Variable(np.ones(2, "float32"), "w", "w")
    opt.apply_gradients([(np.ones(2, "float32"), var)])
    assert opt.variables is not None and opt.variables[0] is inner.iterations_variable
    assert int(opt.iterations.numpy()) == 1
    assert set(opt.slots(var)) == {"momentum", "velocity"}


def test_fit_is_the_inner_optimizers(backend):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 3)).astype("float32")
    y = rng.uniform(-1, 1, (8, 1)).astype("float32")
    weights = []
    for wrap in (False, True):
        model = kgraph.Sequential([kgraph.Input((3,)), kgraph.layers.Dense(1)])
        model.set_weights([np.full((3, 1), 0.5, "float32"), np.zeros(1, "float32")])
        opt = Adam(learning_rate=0.05)
        model.compile(optimizer=LossScaleOptimizer(opt) if wrap else opt, loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for got, want in zip(weights[1], weights[0], strict=True):
        np.testing.assert_array_equal(got, want)


def test_config_is_keras():
    opt = LossScaleOptimizer(SGD(0.1), initial_scale=128.0, dynamic_growth_steps=10)
    config = opt.get_config()
    assert list(config) == [
        "name",
        "inner_optimizer",
        "initial_scale",
        "dynamic_growth_steps",
    ]
    assert config["inner_optimizer"]["class_name"] == "SGD"
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(restored, LossScaleOptimizer)
    assert isinstance(restored.inner_optimizer, SGD)
    assert restored.get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"dynamic": False}, "no longer supports `dynamic=False`"),
        ({"clipnorm": 1.0}, "does not support `clipnorm`"),
        ({"use_ema": True}, "does not support `use_ema`"),
    ],
)
def test_invalid_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        LossScaleOptimizer(SGD(), **kwargs)


def test_defaults_of_base_arguments_are_accepted():
    opt = LossScaleOptimizer(SGD(), clipnorm=None, use_ema=False, ema_momentum=0.99)
    assert isinstance(opt.inner_optimizer, SGD)
