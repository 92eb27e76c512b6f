"""serialize_keras_object / deserialize_keras_object: Keras 3's config
layout for layers, models, losses, optimizers, functions and plain values,
and Keras's own entries read back."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph.saving import deserialize_keras_object
from kgraph.saving import serialize_keras_object


def test_plain_values_stay_and_arrays_become_numpy_dicts():
    assert serialize_keras_object((1, [2.0, "a", None])) == (1, [2.0, "a", None])
    assert serialize_keras_object(np.float32(1.5)) == 1.5
    config = serialize_keras_object(np.ones(2))
    assert config["class_name"] == "__numpy__"
    np.testing.assert_array_equal(deserialize_keras_object(config), np.ones(2))
    assert deserialize_keras_object("relu") == "relu"


def test_builtin_functions_are_written_as_keras_writes_them():
    config = serialize_keras_object(kg.activations.relu)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    assert deserialize_keras_object(config) is kg.activations.relu
    mse = {**config, "config": "mean_squared_error"}
    assert deserialize_keras_object(mse) is kg.losses.mean_squared_error


def test_a_built_layer_round_trips_with_its_build_config():
    layer = kg.layers.Dense(3, activation="relu")
    layer.build((None, 4))
    config = serialize_keras_object(layer)
    assert config["class_name"] == "Dense" and config["module"] == "kgraph.layers"
    assert config["build_config"] == {"input_shape": [None, 4]}
    copy = deserialize_keras_object(config)
    assert isinstance(copy, kg.layers.Dense) and copy.built
    assert copy.kernel.shape == (4, 3) and copy.get_config() == layer.get_config()


def test_objects_of_the_families_round_trip():
    for obj in (
        kg.losses.MeanSquaredError(),
        kg.optimizers.Adam(learning_rate=0.01),
        kg.initializers.GlorotUniform(seed=1),
        kg.regularizers.L2(0.1),
    ):
        copy = deserialize_keras_object(serialize_keras_object(obj))
        assert type(copy) is type(obj)
        assert copy.get_config() == obj.get_config()


def test_keras_entries_are_read():
    keras_loss = {
        "module": "keras.losses",
        "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
        "registered_name": None,
    }
    assert isinstance(deserialize_keras_object(keras_loss), kg.losses.MeanSquaredError)
    dense = deserialize_keras_object({"class_name": "Dense", "config": {"units": 2}})
    assert isinstance(dense, kg.layers.Dense) and dense.units == 2


def test_models_round_trip():
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(2)])
    copy = deserialize_keras_object(serialize_keras_object(model))
    assert isinstance(copy, kg.Sequential)
    assert [w.shape for w in copy.weights] == [w.shape for w in model.weights]


def test_custom_objects_and_module_objects_are_found():
    class Scale(kg.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    config = serialize_keras_object(Scale(3.0))
    copy = deserialize_keras_object(config, custom_objects={"Scale": Scale})
    assert isinstance(copy, Scale) and copy.factor == 3.0
    assert deserialize_keras_object("thing", module_objects={"thing": 7}) == 7


def test_unknown_classes_and_functions_raise_naming_them():
    with pytest.raises(ValueError, match="Nonexistent"):
        deserialize_keras_object({"class_name": "Nonexistent", "config": {}})
    with pytest.raises(ValueError, match="no_such_fn"):
        deserialize_keras_object({"class_name": "function", "config": "no_such_fn"})
