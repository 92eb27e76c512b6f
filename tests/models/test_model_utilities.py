"""Model utilities: ``clone_model``, ``to_json``/``model_from_json``,
``get_config``/``from_config`` round trips for every model kind, ops
between layers in configs, and ``summary`` options."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

RNG = np.random.default_rng(11)
X = RNG.normal(size=(16, 4)).astype("float32")


def _functional():
    x = kg.Input(shape=(4,), name="features")
    h = layers.Dense(6, activation="relu", name="hidden")(x)
    return kg.Model(x, layers.Dense(2, name="out")(h), name="net")


def _sequential():
    return kg.Sequential(
        [kg.Input(shape=(4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")],
        name="stack",
    )


@kg.saving.register_keras_serializable(package="tests")
class Scaled(kg.Model):
    def __init__(self, units=2, scale=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale
        self.dense = layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs) * self.scale


def _same_architecture(a, b):
    assert [type(x).__name__ for x in a.layers] == [type(x).__name__ for x in b.layers]
    assert [w.shape for w in a.get_weights()] == [w.shape for w in b.get_weights()]


@pytest.mark.parametrize("make", [_functional, _sequential])
def test_clone_model_has_new_weights_and_the_same_math(make, backend):
    model = make()
    clone = kg.models.clone_model(model)
    _same_architecture(model, clone)
    assert all(a is not b for a, b in zip(model.weights, clone.weights, strict=True))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(
        clone.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6
    )


def test_clone_model_with_a_clone_function_can_share_layers(backend):
    model = _functional()
    shared = kg.models.clone_model(model, clone_function=lambda layer: layer)
    assert shared.get_layer("hidden") is model.get_layer("hidden")
    np.testing.assert_array_equal(
        shared.predict(X, verbose=0), model.predict(X, verbose=0)
    )


def test_clone_model_clones_nested_models_and_ops(backend):
    inner = _functional()
    x = kg.Input(shape=(4,))
    outer = kg.Model(x, inner(x * 2.0) + 1.0)
    clone = kg.models.clone_model(outer)
    assert clone.layers[1] is not inner
    clone.set_weights(outer.get_weights())
    np.testing.assert_allclose(
        clone.predict(X, verbose=0), outer.predict(X, verbose=0), rtol=1e-6
    )


def test_clone_model_of_a_subclassed_model(backend):
    model = Scaled(units=3, scale=2.0)
    model.build((None, 4))
    clone = kg.models.clone_model(model)
    assert isinstance(clone, Scaled) and clone.units == 3 and clone.scale == 2.0
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(
        clone.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6
    )


@pytest.mark.parametrize("make", [_functional, _sequential])
def test_to_json_and_model_from_json_round_trip(make, backend):
    model = make()
    rebuilt = kg.models.model_from_json(model.to_json())
    _same_architecture(model, rebuilt)
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.to_json() == model.to_json()
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(
        rebuilt.predict(X, verbose=0), model.predict(X, verbose=0)
    )


def test_model_from_json_of_a_subclassed_model_finds_its_registered_class():
    model = Scaled(units=3, scale=2.0)
    model.build((None, 4))
    rebuilt = kg.models.model_from_json(model.to_json())
    assert isinstance(rebuilt, Scaled) and rebuilt.scale == 2.0 and rebuilt.built
    assert (
        model.get_config()
        == rebuilt.get_config()
        == {
            "name": model.name,
            "trainable": True,
            "units": 3,
            "scale": 2.0,
        }
    )


def test_model_from_json_refuses_text_that_is_not_a_model():
    with pytest.raises(ValueError, match=r"needs the JSON of a model"):
        kg.models.model_from_json("[1, 2]")
    with pytest.raises(ValueError, match=r"needs the JSON of a model"):
        kg.models.model_from_json("{not json")


def test_get_config_from_config_round_trips_every_model_kind():
    for model in (_functional(), _sequential()):
        again = type(model).from_config(model.get_config())
        assert again.get_config() == model.get_config()


def test_ops_between_layers_are_saved_and_loaded(tmp_path, backend):
    a, b = kg.Input((4,), name="a"), kg.Input((4,), name="b")
    h = layers.Dense(3, name="d")(a * 2.0 - b)
    h = kg.ops.mean(h, axis=-1, keepdims=True) + kg.ops.exp(h)
    model = kg.Model([a, b], layers.Dense(1, name="o")(h))
    names = [entry["name"] for entry in model.get_config()["layers"]]
    assert names[:4] == ["a", "b", "d", "o"]
    assert {"multiply", "subtract", "mean", "exp", "add"} <= set(names)
    model.save(tmp_path / "ops.kgraph")
    loaded = kg.models.load_model(tmp_path / "ops.kgraph")
    data = [X, X[::-1].copy()]
    np.testing.assert_array_equal(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0)
    )
    with pytest.raises(ValueError, match=r"uses the op .* between its layers"):
        model.save(tmp_path / "ops.keras")
    assert not (tmp_path / "ops.keras").exists()


def test_summary_expand_nested_and_show_trainable():
    inner = _sequential()
    inner.trainable = False
    x = kg.Input(shape=(4,), name="x")
    model = kg.Model(x, layers.Dense(1, name="head")(inner(x)))
    lines = []
    model.summary(
        line_length=110, expand_nested=True, show_trainable=True, print_fn=lines.append
    )
    text = lines[0]
    assert "Trainable" in text
    assert "stack (Sequential)" in text
    assert "└ a (Dense)" in text and "└ b (Dense)" in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines()[4:-4:2]}
    assert rows["stack (Sequential)"].rstrip("│ ").endswith("N")
    assert rows["head (Dense)"].rstrip("│ ").endswith("Y")
    assert rows["x (InputLayer)"].rstrip("│ ").endswith("-")
    lines.clear()
    model.summary(layer_range=["stack", "head"], line_length=110, print_fn=lines.append)
    assert "x (InputLayer)" not in lines[0] and "head (Dense)" in lines[0]
    with pytest.raises(ValueError, match=r"layer_range"):
        model.summary(layer_range=["nope", "head"])


def test_a_nested_functional_model_shows_as_functional():
    inner = _functional()
    x = kg.Input(shape=(4,))
    lines = []
    kg.Model(x, inner(x)).summary(line_length=110, print_fn=lines.append)
    assert "net (Functional)" in lines[0]
