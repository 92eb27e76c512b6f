"""``Wrapper``: the base of wrapping layers, subclassed as in Keras."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers


class Twice(layers.Wrapper):
    def call(self, inputs):
        return self.layer(self.layer(inputs))


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_subclass_builds_calls_and_trains(backend, rng):
    inputs = kg.Input(shape=(3,))
    wrapper = Twice(layers.Dense(3), name="twice")
    model = kg.Model(inputs, wrapper(inputs))
    assert [w.path for w in wrapper.weights] == [
        "twice/dense/kernel",
        "twice/dense/bias",
    ]
    kernel, bias = wrapper.get_weights()
    x = rng.normal(size=(4, 3)).astype("float32")
    expected = (x @ kernel + bias) @ kernel + bias
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)
    model.fit(x, x, verbose=0)
    assert not np.array_equal(wrapper.get_weights()[0], kernel)


def test_config_round_trip_and_errors():
    wrapper = Twice(layers.Dense(2))
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense"
    again = Twice.from_config(config)
    assert isinstance(again.layer, layers.Dense) and again.layer.units == 2
    with pytest.raises(ValueError, match="supported layer type"):
        Twice("dense")
