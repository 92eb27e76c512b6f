"""Functional models: Keras's layer (and so weight) order, dict and list
structures, shared layers, get_layer and construction errors.

The expected layer orders were measured with Keras 3.15.1 on the same
graphs (``test_keras_parity.py`` re-checks them where Keras is installed).
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers


@pytest.fixture(autouse=True)
def _fresh_session():
    kg.utils.clear_session()


def _names(model):
    return [layer.name for layer in model.layers]


def test_layer_order_is_by_depth_then_traversal():
    a = kg.Input(shape=(4,), name="a")
    b1 = layers.Dense(2, name="b1")(a)
    c1 = layers.Dense(3, name="c1")(a)
    c2 = layers.Dense(2, name="c2")(c1)
    joined = layers.Concatenate(name="cat")([b1, c2])
    model = kg.Model(a, layers.Dense(1, name="out")(joined))
    # c1 is deeper than b1 although b1 was made first.
    assert _names(model) == ["a", "c1", "b1", "c2", "cat", "out"]
    assert [w.shape for w in model.get_weights()] == [
        (4, 3),
        (3,),
        (4, 2),
        (2,),
        (3, 2),
        (2,),
        (4, 1),
        (1,),
    ]


def test_layer_order_with_two_inputs():
    b = kg.Input(shape=(2,), name="b")
    a = kg.Input(shape=(4,), name="a")
    da = layers.Dense(3, name="da")(a)
    db = layers.Dense(3, name="db")(b)
    deep = layers.Dense(3, name="deep")(layers.Dense(3, name="pre")(db))
    total = layers.Add(name="add")([da, deep])
    model = kg.Model([a, b], layers.Dense(1, name="o")(total))
    assert _names(model) == ["b", "db", "a", "pre", "da", "deep", "add", "o"]
    assert model.input_names == ["a", "b"]


def test_shared_layer_takes_its_deepest_call():
    a = kg.Input(shape=(4,), name="a")
    b = kg.Input(shape=(4,), name="b")
    shared = layers.Dense(3, name="shared")
    first = shared(layers.Dense(4, name="pa")(a))
    model = kg.Model([a, b], layers.Add(name="s")([first, shared(b)]))
    assert _names(model) == ["a", "pa", "b", "shared", "s"]
    # Its weights are listed (and counted) once.
    assert len(model.weights) == 4
    assert model.count_params() == 4 * 4 + 4 + 4 * 3 + 3


def test_ops_between_layers_count_as_a_call():
    a = kg.Input(shape=(4,), name="a")
    relu_branch = kg.ops.relu(layers.Dense(3, name="A")(a))
    deep_branch = layers.Dense(3, name="B2")(layers.Dense(3, name="B1")(a))
    model = kg.Model(a, layers.Concatenate(name="cat")([relu_branch, deep_branch]))
    assert _names(model) == ["a", "A", "B1", "B2", "cat"]

    kg.utils.clear_session()
    a = kg.Input(shape=(4,), name="a")
    d1 = layers.Dense(3, name="d1")(a)
    d2 = layers.Dense(3, name="d2")(layers.Dense(3, name="d0")(a))
    model = kg.Model(a, kg.ops.add(d1, d2))
    assert _names(model) == ["a", "d0", "d1", "d2"]


def test_dict_outputs_are_ordered_by_key():
    a = kg.Input(shape=(4,), name="a")
    hidden = layers.Dense(3, name="h")(a)
    model = kg.Model(
        a,
        {
            "zz": layers.Dense(1, name="r")(hidden),
            "aa": layers.Dense(2, name="c")(hidden),
        },
    )
    assert model.output_names == ["aa", "zz"]
    assert _names(model) == ["a", "h", "c", "r"]
    predictions = model.predict(np.ones((3, 4), "float32"), verbose=0)
    assert list(predictions) == ["aa", "zz"]
    assert predictions["zz"].shape == (3, 1)
    assert predictions["aa"].shape == (3, 2)


def test_dict_inputs_by_name_and_list_inputs_by_sorted_name():
    z = kg.Input(shape=(2,), name="z")
    a = kg.Input(shape=(3,), name="a")
    joined = layers.Concatenate(name="cc")(
        [layers.Dense(2, name="dz")(z), layers.Dense(2, name="da")(a)]
    )
    model = kg.Model({"z": z, "a": a}, layers.Dense(1, name="o")(joined))
    assert model.input_names == ["a", "z"]
    assert _names(model) == ["z", "a", "dz", "da", "cc", "o"]
    rng = np.random.default_rng(0)
    xa, xz = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    by_dict = model.predict({"z": xz, "a": xa}, verbose=0)
    by_list = model.predict([xa, xz], verbose=0)
    np.testing.assert_array_equal(by_dict, by_list)


def test_list_outputs_keep_their_order():
    a = kg.Input(shape=(4,), name="a")
    hidden = layers.Dense(3, name="h")(a)
    second = layers.Dense(2, name="c")(hidden)
    first = layers.Dense(1, name="r")(hidden)
    model = kg.Model(a, [first, second])
    assert model.output_names == ["r", "c"]
    assert _names(model) == ["a", "h", "r", "c"]


def test_get_layer():
    a = kg.Input(shape=(4,), name="a")
    dense = layers.Dense(2, name="d")
    model = kg.Model(a, dense(a))
    assert model.get_layer("d") is dense
    assert model.get_layer(index=-1) is dense
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index=5"):
        model.get_layer(index=5)


def test_set_weights_checks_count_and_shapes():
    a = kg.Input(shape=(4,), name="a")
    model = kg.Model(a, layers.Dense(2, name="d")(a))
    with pytest.raises(ValueError, match="2 weights"):
        model.set_weights([np.zeros((4, 2))])
    with pytest.raises(ValueError, match="shape"):
        model.set_weights([np.zeros((2, 4)), np.zeros(2)])


def test_output_not_connected_to_the_inputs():
    a = kg.Input(shape=(4,), name="a")
    b = kg.Input(shape=(4,), name="b")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="not connected"):
        kg.Model(a, out)


def test_inputs_and_outputs_must_be_tensors():
    a = kg.Input(shape=(4,), name="a")
    with pytest.raises(ValueError, match="outputs"):
        kg.Model(a, np.zeros(3))
    with pytest.raises(ValueError, match="inputs"):
        kg.Model()


def test_multi_input_model_trains_on_a_dict_of_arrays():
    text = kg.Input(shape=(3,), name="text")
    tags = kg.Input(shape=(2,), name="tags")
    joined = layers.Concatenate()([text, tags])
    out = layers.Dense(1, name="priority")(layers.Dense(4, activation="relu")(joined))
    model = kg.Model([text, tags], out)
    model.compile(optimizer=kg.optimizers.SGD(0.05), loss="mse", backend="numpy")
    rng = np.random.default_rng(0)
    x = {"text": rng.normal(size=(16, 3)), "tags": rng.normal(size=(16, 2))}
    y = x["text"].sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    as_list = model.evaluate([x["text"], x["tags"]], y, verbose=0)
    assert as_list == pytest.approx(model.evaluate(x, y, verbose=0))


def test_two_models_may_use_the_same_layer_names():
    first = kg.Sequential([kg.Input(shape=(3,)), layers.Dense(2, name="head")])
    second = kg.Sequential([kg.Input(shape=(3,)), layers.Dense(2, name="head")])
    assert first.layers[0] is not second.layers[0]


def test_an_input_no_output_uses_is_still_accepted():
    a = kg.Input((3,))
    b = kg.Input((2,))
    model = kg.Model([a, b], kg.layers.Dense(1)(a))
    model.compile(optimizer="sgd", loss="mse")
    x = [np.ones((4, 3), "float32"), np.ones((4, 2), "float32")]
    model.fit(x, np.ones((4, 1), "float32"), verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)
