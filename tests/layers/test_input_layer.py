"""``Input`` and ``InputLayer``: the symbolic entry points of a model."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers


def test_input_has_a_none_batch_dimension():
    x = kg.Input(shape=(784,))
    assert x.shape == (None, 784)
    assert x.dtype == "float32"


def test_input_accepts_an_int_shape_and_none_dimensions():
    assert kg.Input(shape=3).shape == (None, 3)
    assert kg.Input(shape=(None, 5)).shape == (None, None, 5)


def test_input_fixed_batch_size():
    assert kg.Input(shape=(3,), batch_size=8).shape == (8, 3)


def test_input_batch_shape_like_keras():
    assert kg.Input(batch_shape=(4, 2, 3)).shape == (4, 2, 3)
    assert kg.Input(batch_shape=(None, 2)).shape == (None, 2)


def test_input_dtype_and_name():
    x = kg.Input(shape=(2,), dtype="int32", name="tokens")
    assert x.dtype == "int32"
    assert x.name == "tokens"
    model = kg.Model(x, x * 2)
    node = model.graph.placeholder("tokens")
    assert node.role == "data"


def test_input_is_importable_from_layers_and_top_level():
    from kgraph.layers import Input

    assert Input is kg.Input is layers.Input


def test_default_input_names_are_numbered():
    first, second = kg.Input(shape=(1,)), kg.Input(shape=(1,))
    names = [t.name for t in (first, second)]
    assert names == ["input_layer", "input_layer_1"]


def test_input_needs_a_shape():
    with pytest.raises(ValueError, match=r"needs a `shape` or a `batch_shape`"):
        kg.Input()


def test_input_rejects_shape_and_batch_shape_together():
    with pytest.raises(ValueError, match=r"cannot pass both `shape` and `batch_shape`"):
        kg.Input(shape=(2,), batch_shape=(None, 2))


def test_input_rejects_a_batch_size_that_contradicts_batch_shape():
    with pytest.raises(
        ValueError, match=r"`batch_size` and `batch_shape\[0\]` disagree"
    ):
        layers.InputLayer(batch_size=3, batch_shape=(4, 2))


@pytest.mark.parametrize("shape", [(-1,), (2.5,), ("3",)])
def test_input_rejects_bad_dimensions(shape):
    with pytest.raises(ValueError, match=r"non-negative ints or None"):
        kg.Input(shape=shape)


def test_input_layer_owns_the_output_and_is_built():
    layer = layers.InputLayer(shape=(3,), name="features")
    assert layer.built
    assert layer.output.shape == (None, 3)
    assert layer.batch_shape == (None, 3)
    assert layer.weights == []


def test_input_layer_config_is_keras_batch_shape():
    layer = layers.InputLayer(shape=(3,), batch_size=2, dtype="int32", name="ids")
    assert layer.get_config() == {
        "batch_shape": (2, 3),
        "dtype": "int32",
        "name": "ids",
    }


def test_input_layer_config_round_trips():
    layer = layers.InputLayer(shape=(3, 4), name="pixels")
    clone = layers.InputLayer.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.output.shape == (None, 3, 4)


def test_input_layer_starts_a_model_in_sequential():
    model = kg.Sequential([layers.InputLayer(shape=(3,)), layers.Dense(2)])
    assert model.count_params() == 8


def test_reusing_an_input_name_keeps_old_models(rng):
    x = kg.Input(shape=(3,), name="features")
    first = kg.Model(x, layers.Dense(2, kernel_initializer="ones")(x))
    # Running the same notebook cell again:
    x2 = kg.Input(shape=(3,), name="features")
    second = kg.Model(x2, layers.Dense(1, kernel_initializer="ones")(x2))
    data = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(
        first.predict(data, verbose=0), data @ np.ones((3, 2)), rtol=1e-6
    )
    np.testing.assert_allclose(
        second.predict(data, verbose=0), data @ np.ones((3, 1)), rtol=1e-6
    )


def test_model_input_names_come_from_the_inputs():
    a = kg.Input(shape=(2,), name="left")
    b = kg.Input(shape=(2,), name="right")
    model = kg.Model([a, b], layers.Add()([a, b]))
    assert model.input_names == ["left", "right"]


def test_predict_accepts_a_dict_keyed_by_input_name():
    a = kg.Input(shape=(2,), name="left")
    b = kg.Input(shape=(2,), name="right")
    model = kg.Model([a, b], layers.Subtract()([a, b]))
    left = np.array([[5.0, 6.0]], "float32")
    right = np.array([[1.0, 2.0]], "float32")
    np.testing.assert_allclose(
        model.predict({"left": left, "right": right}, verbose=0), [[4.0, 4.0]]
    )


def test_int_input_feeds_an_int_model():
    x = kg.Input(shape=(3,), dtype="int32")
    model = kg.Model(x, layers.Identity()(x))
    out = model.predict(np.array([[1, 2, 3]], "int32"), verbose=0)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 3]])
