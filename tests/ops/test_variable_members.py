"""Keras's Variable members: name, path, trainable, the per-variable
settings kgraph keeps Keras's values of, and handle."""

from __future__ import annotations

import numpy as np

import kgraph as kg


def test_names_and_trainable():
    variable = kg.Variable(np.zeros(2), "kernel", "dense/kernel", trainable=False)
    assert (variable.name, variable.path, variable.trainable) == (
        "kernel",
        "dense/kernel",
        False,
    )
    variable.trainable = True
    assert variable.trainable is True
    assert kg.Variable(1.0, "scale").path == "scale"


def test_keras_settings_have_keras_defaults():
    variable = kg.Variable(np.zeros(2), "v")
    assert variable.constraint is None and variable.regularizer is None
    assert variable.aggregation == "none" and variable.synchronization == "auto"
    assert variable.overwrite_with_gradient is False


def test_handle_is_the_storage_updated_in_place():
    variable = kg.Variable(np.zeros(2, "float32"), "v")
    variable.assign([1.0, 2.0])
    assert variable.handle is variable.value
    np.testing.assert_array_equal(variable.handle, [1.0, 2.0])


def test_layer_weights_carry_their_regularizer_and_aggregation():
    layer = kg.layers.Dense(2, kernel_regularizer="l2")
    layer.build((None, 3))
    assert layer.kernel.regularizer is not None
    assert layer.bias.regularizer is None
    weight = layer.add_weight((2,), name="extra", aggregation="mean")
    assert weight.aggregation == "mean" and weight.path == f"{layer.name}/extra"
