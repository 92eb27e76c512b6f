"""Models are objects: each traces its own graph from the call histories
of its tensors, so names repeat across models, models nest as layers with
shared weights, and frozen parts stay put. Each test runs on both
backends (``backend`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

RNG = np.random.default_rng(7)
X = RNG.normal(size=(64, 4)).astype("float32")
X2 = RNG.normal(size=(64, 4)).astype("float32")
Y = (X[:, :1] * 2.0 - X[:, 1:2]).astype("float32")


def _build():
    """A model-building function with explicit layer names."""
    x = kg.Input(shape=(4,), name="features")
    h = layers.Dense(8, activation="tanh", name="hidden")(x)
    return kg.Model(x, layers.Dense(1, name="score")(h), name="scorer")


def test_the_same_building_function_twice_trains_independently(backend):
    first, second = _build(), _build()
    second.set_weights(first.get_weights())
    before = first.get_weights()
    first.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse")
    second.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse")
    first.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for got, want in zip(second.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    second.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for got, want in zip(second.get_weights(), first.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_model_built_after_loading_one_of_the_same_names(backend, tmp_path):
    saved = _build()
    saved.save(tmp_path / "m.kgraph")
    loaded = kg.models.load_model(tmp_path / "m.kgraph")
    fresh = _build()
    assert [layer.name for layer in fresh.layers] == [
        layer.name for layer in loaded.layers
    ]
    kept = loaded.get_weights()
    fresh.compile(optimizer="adam", loss="mse")
    fresh.fit(X, Y, epochs=1, verbose=0)
    for got, want in zip(loaded.get_weights(), kept, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        loaded.predict(X, verbose=0), saved.predict(X, verbose=0), rtol=1e-6
    )


def test_a_siamese_encoder_receives_the_gradients_of_both_calls(backend):
    x = kg.Input(shape=(4,))
    encoder = kg.Model(x, layers.Dense(3, name="embed")(x), name="encoder")
    a, b = kg.Input(shape=(4,), name="a"), kg.Input(shape=(4,), name="b")
    distance = layers.Subtract(name="subtract")([encoder(a), encoder(b)])
    siamese = kg.Model([a, b], layers.Dense(1, name="head")(distance))
    assert [layer.name for layer in siamese.layers] == [
        "a",
        "b",
        "encoder",
        "subtract",
        "head",
    ]
    w, bias, v, c = (w.copy() for w in siamese.get_weights())
    siamese.compile(optimizer=kg.optimizers.SGD(0.05), loss="mse")
    siamese.fit([X, X2], Y, epochs=1, batch_size=64, verbose=0)
    # The same math in NumPy: out = ((a - b) W) v + c (the biases cancel).
    diff = X - X2
    out = diff @ w @ v + c
    g = 2.0 * (out - Y) / len(X)
    grad_w = diff.T @ (g @ v.T)
    np.testing.assert_allclose(encoder.get_weights()[0], w - 0.05 * grad_w, atol=1e-6)
    np.testing.assert_array_equal(encoder.get_weights()[1], bias)
    np.testing.assert_allclose(
        siamese.get_layer("head").get_weights()[0],
        v - 0.05 * (diff @ w).T @ g,
        atol=1e-6,
    )


def test_a_frozen_base_keeps_its_weights_while_the_head_trains(backend):
    base = _build()
    base.compile(optimizer="adam", loss="mse")
    base.fit(X, Y, epochs=1, verbose=0)
    pretrained = base.get_weights()
    base.trainable = False
    assert not base.get_layer("hidden").trainable
    inputs = kg.Input(shape=(4,))
    features = base(inputs, training=False)
    head = layers.Dense(1, name="new_head")
    model = kg.Model(inputs, head(features))
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 4
    head_before = head.get_weights()[0].copy()
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=2, verbose=0)
    for got, want in zip(base.get_weights(), pretrained, strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(head.get_weights()[0], head_before)
    # Unfreezing takes effect at the next compile.
    base.trainable = True
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    assert not np.array_equal(base.get_weights()[0], pretrained[0])


def test_feature_extraction_reads_a_layer_output():
    model = _build()
    extractor = kg.Model(model.input, model.get_layer("hidden").output)
    np.testing.assert_allclose(
        extractor.predict(X, verbose=0),
        np.tanh(X @ model.get_weights()[0] + model.get_weights()[1]),
        rtol=1e-5,
        atol=1e-6,
    )
    assert model.output is model.get_layer("score").output


def test_a_nested_model_called_on_wrong_shapes_names_both():
    model = _build()
    with pytest.raises(ValueError, match=r'model "scorer".*\(None, 4\).*\(None, 5\)'):
        model(kg.Input(shape=(5,)))


def test_two_layers_with_one_name_in_a_model_raise():
    x = kg.Input(shape=(4,))
    y = layers.Dense(2, name="same")(layers.Dense(3, name="same")(x))
    with pytest.raises(ValueError, match=r'The name "same" is used 2 times'):
        kg.Model(x, y)


def test_nested_models_with_layers_of_one_name_get_distinct_variables(backend):
    inner = _build()
    x = kg.Input(shape=(4,))
    outer = kg.Model(x, layers.Dense(1, name="hidden")(inner(x)))
    graph = outer.graph
    names = sorted(n.name for n in graph.placeholders("parameter"))
    inner_names = ["hidden/kernel", "hidden/bias", "score/kernel", "score/bias"]
    assert names == sorted([*inner_names, "hidden/kernel_1", "hidden/bias_1"])
    outer.compile(optimizer="adam", loss="mse")
    outer.fit(X, Y, epochs=1, verbose=0)
    w_inner, b_inner, v, c = inner.get_weights()
    w_outer, b_outer = outer.get_layer("hidden").get_weights()
    expected = (np.tanh(X @ w_inner + b_inner) @ v + c) @ w_outer + b_outer
    np.testing.assert_allclose(outer.predict(X, verbose=0), expected, rtol=1e-4)


def test_a_200_layer_sequential_is_linear_in_its_layers():
    def build(depth):
        model = kg.Sequential([kg.Input(shape=(8,))])
        stack = [layers.Dense(8) for _ in range(depth)]
        for layer in stack:
            model.add(layer)
        calls = sum(len(layer.inbound_nodes) for layer in stack)
        return len(model.graph.nodes()), calls

    nodes_100, calls_100 = build(100)
    nodes_200, calls_200 = build(200)
    assert calls_100 == 100 and calls_200 == 200
    assert nodes_200 - 1 == 2 * (nodes_100 - 1)


def test_sequential_pop_and_add_keep_one_call_per_layer():
    model = kg.Sequential([kg.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    last = model.pop()
    assert model.output.shape == (None, 4)
    model.add(layers.Dense(5))
    assert model.output.shape == (None, 5)
    assert len(last.inbound_nodes) == 1
    assert [len(layer.inbound_nodes) for layer in model.layers] == [1, 1]
