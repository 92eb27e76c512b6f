"""``Dropout``: identity at inference, inverted dropout in training, masks
that are a pure function of the key, and the ``training`` switch."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.testing.test_case import run_layer_test

SIZE = 20_000


def _input_name(tensor):
    return tensor.graph.node(tensor.node_id).name


def _traced_input(shape):
    """A data input of a new graph, as a model's trace has it."""
    return kg.ops.placeholder(kg.Graph(), "x", (None, *shape))


def _dropout_graph(rate, training, shape=(SIZE,), **kwargs):
    """A graph ``x -> Dropout(rate)(x, training=training)`` and its input."""
    x = _traced_input(shape)
    y = layers.Dropout(rate, **kwargs)(x, training=training)
    return x, x.graph.subgraph({"y": y.node_id})


def _run(x, graph, data, **scalars):
    feeds = {_input_name(x): data}
    feeds.update(scalars)
    return interpreter.run(graph, feeds)["y"]


# -- the standard checks ------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.5, 0.9])
def test_dropout_standard_checks(rate):
    run_layer_test(
        layers.Dropout,
        {"rate": rate},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )


def test_dropout_standard_checks_with_noise_shape_and_seed():
    run_layer_test(
        layers.Dropout,
        {"rate": 0.3, "noise_shape": (None, 1, None), "seed": 7},
        input_shape=(2, 4, 3),
        expected_output_shape=(2, 4, 3),
    )


# -- Keras defaults and validation --------------------------------------------


def test_dropout_config_holds_rate_seed_and_noise_shape():
    config = layers.Dropout(0.25).get_config()
    assert config["rate"] == 0.25
    assert config["seed"] is None
    assert config["noise_shape"] is None
    assert layers.Dropout(0.1, seed=3).get_config()["seed"] == 3


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True])
def test_dropout_rejects_a_rate_outside_zero_one(rate):
    with pytest.raises(
        ValueError,
        match=r"Invalid value received for argument `rate`. Expected a float value "
        r"between 0 and 1",
    ):
        layers.Dropout(rate)


def test_dropout_rejects_a_non_integer_seed():
    with pytest.raises(ValueError, match=r"`seed` must be an integer"):
        layers.Dropout(0.5, seed=1.5)


def test_dropout_has_no_weights():
    layer = layers.Dropout(0.5)
    layer(kg.Input(shape=(3,)))
    assert layer.weights == []


# -- inference ----------------------------------------------------------------


def test_dropout_is_the_identity_in_an_eager_call(rng):
    data = rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_array_equal(layers.Dropout(0.9)(data).numpy(), data)
    np.testing.assert_array_equal(
        layers.Dropout(0.9)(data, training=False).numpy(), data
    )


def test_dropout_eager_call_with_training_none_is_inference(rng):
    data = rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_array_equal(
        layers.Dropout(0.5)(data, training=None).numpy(), data
    )


@pytest.mark.parametrize("training", [np.bool_(True), 1])
def test_dropout_accepts_truthy_training_values(training):
    out = layers.Dropout(0.5)(np.ones((1, SIZE), "float32"), training=training)
    assert 0.4 < np.mean(out.numpy() == 0.0) < 0.6


def test_dropout_accepts_a_symbolic_training_flag():
    x = _traced_input((SIZE,))
    flag = kg.ops.placeholder(x.graph, "is_training", (), "bool", role="scalar")
    y = layers.Dropout(0.5)(x, training=flag)
    graph = x.graph.subgraph({"y": y.node_id})
    data = np.ones((1, SIZE), "float32")
    on = _run(x, graph, data, seed=np.int64(1), is_training=np.bool_(True))
    off = _run(x, graph, data, seed=np.int64(1), is_training=np.bool_(False))
    assert 0.45 < np.mean(on == 0.0) < 0.55
    np.testing.assert_array_equal(off, data)


def test_dropout_is_the_identity_in_predict(rng):
    x = kg.Input(shape=(5,))
    model = kg.Model(x, layers.Dropout(0.9)(x))
    data = rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)


def test_dropout_does_not_change_evaluate(rng):
    x = kg.Input(shape=(5,))
    model = kg.Model(x, layers.Dropout(0.9)(x))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    data = rng.normal(size=(8, 5)).astype("float32")
    np.testing.assert_allclose(
        model.evaluate(data, np.zeros_like(data), verbose=0),
        np.mean(data**2),
        rtol=1e-6,
    )


def _ops_between(x, y):
    graph = x.graph.subgraph({"y": y.node_id})
    return sorted(n.op for n in graph.nodes() if n.op != "placeholder")


def test_dropout_with_training_false_adds_no_random_op():
    x = _traced_input((3,))
    y = layers.Dropout(0.5)(x, training=False)
    assert _ops_between(x, y) == ["cast"]  # the call's own node, a no-op


def test_dropout_rate_zero_adds_no_random_op_even_in_training():
    x = _traced_input((3,))
    y = layers.Dropout(0.0)(x, training=True)
    assert _ops_between(x, y) == ["cast"]


# -- training -----------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_in_a_training_graph_drops_rate_and_rescales(rng, rate):
    x, graph = _dropout_graph(rate, training=True)
    data = rng.uniform(1.0, 2.0, size=(2, SIZE)).astype("float32")
    out = _run(x, graph, data, seed=np.int64(42))
    dropped = out == 0.0
    assert abs(dropped.mean() - rate) < 0.02
    np.testing.assert_allclose(out[~dropped], data[~dropped] / (1.0 - rate), rtol=1e-6)
    placeholders = {n.name: n.role for n in graph.placeholders()}
    assert placeholders["seed"] == "scalar"
    assert "training" not in placeholders


def test_dropout_keeps_the_expected_value(rng):
    x, graph = _dropout_graph(0.5, training=True)
    out = _run(x, graph, np.ones((4, SIZE), "float32"), seed=np.int64(1))
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout_same_key_same_mask_and_other_key_other_mask():
    x, graph = _dropout_graph(0.5, training=True)
    data = np.ones((2, SIZE), "float32")
    first = _run(x, graph, data, seed=np.int64(7))
    again = _run(x, graph, data, seed=np.int64(7))
    other = _run(x, graph, data, seed=np.int64(8))
    np.testing.assert_array_equal(first, again)
    assert np.mean((first == 0) != (other == 0)) > 0.3


def test_dropout_masks_of_two_layers_differ():
    x = _traced_input((SIZE,))
    a = layers.Dropout(0.5)(x, training=True)
    b = layers.Dropout(0.5)(x, training=True)
    graph = x.graph.subgraph({"a": a.node_id, "b": b.node_id})
    out = interpreter.run(
        graph, {_input_name(x): np.ones((1, SIZE), "float32"), "seed": np.int64(3)}
    )
    assert np.mean((out["a"] == 0) != (out["b"] == 0)) > 0.3


def test_dropout_seed_changes_the_mask():
    x = _traced_input((SIZE,))
    a = layers.Dropout(0.5, name="drop", seed=1)
    b = layers.Dropout.from_config({**a.get_config(), "seed": 2})
    graph = x.graph.subgraph(
        {"a": a(x, training=True).node_id, "b": b(x, training=True).node_id}
    )
    out = interpreter.run(
        graph, {_input_name(x): np.ones((1, SIZE), "float32"), "seed": np.int64(3)}
    )
    assert np.mean((out["a"] == 0) != (out["b"] == 0)) > 0.3


def test_dropout_in_an_eager_training_call(rng):
    data = rng.uniform(1.0, 2.0, size=(2, SIZE)).astype("float32")
    out = layers.Dropout(0.5)(data, training=True).numpy()
    dropped = out == 0.0
    assert abs(dropped.mean() - 0.5) < 0.02
    np.testing.assert_allclose(out[~dropped], 2.0 * data[~dropped], rtol=1e-6)


def test_dropout_training_placeholder_switches_the_graph(rng):
    x, graph = _dropout_graph(0.5, training=None)
    assert {n.name: n.role for n in graph.placeholders()}["training"] == "scalar"
    data = rng.uniform(1.0, 2.0, size=(2, SIZE)).astype("float32")
    training = _run(x, graph, data, seed=np.int64(5), training=np.bool_(True))
    inference = _run(x, graph, data, seed=np.int64(5), training=np.bool_(False))
    assert abs(np.mean(training == 0.0) - 0.5) < 0.02
    np.testing.assert_array_equal(inference, data)


def test_dropout_is_active_in_fit_and_not_in_evaluate():
    x = kg.Input(shape=(100,))
    hidden = layers.Dropout(0.5)(x)
    y = layers.Dense(1, kernel_initializer="ones", use_bias=False)(hidden)
    model = kg.Model(x, y)
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0), loss="mse", backend="numpy"
    )
    data = np.ones((16, 100), "float32")
    targets = np.full((16, 1), 100.0, "float32")
    fit_loss = model.fit(data, targets, batch_size=16, verbose=0).history["loss"][0]
    assert fit_loss > 1.0  # about 2 * 100 * 0.5 * 0.5 / (1 - 0.5) ** 2 ... not 0
    assert model.evaluate(data, targets, verbose=0) == pytest.approx(0.0, abs=1e-6)


# -- noise_shape --------------------------------------------------------------


def test_dropout_noise_shape_shares_the_mask_along_size_one_axes():
    x, graph = _dropout_graph(
        0.5, training=True, shape=(6, 500), noise_shape=(None, 1, None)
    )
    out = _run(x, graph, np.ones((3, 6, 500), "float32"), seed=np.int64(9))
    mask = out == 0.0
    assert np.all(mask == mask[:, :1, :])
    assert abs(mask.mean() - 0.5) < 0.05


def test_dropout_noise_shape_with_full_sizes_is_plain_dropout():
    x, graph = _dropout_graph(0.5, training=True, shape=(4,), noise_shape=(None, 4))
    out = _run(x, graph, np.ones((500, 4), "float32"), seed=np.int64(9))
    assert not np.all((out == 0) == (out[:1] == 0))


def test_dropout_noise_shape_must_match_the_rank():
    with pytest.raises(ValueError, match=r"one `noise_shape` entry per input axis"):
        layers.Dropout(0.5, noise_shape=(None, 1))(
            kg.Input(shape=(2, 3)), training=True
        )


def test_dropout_noise_shape_entries_must_be_none_one_or_the_size():
    with pytest.raises(ValueError, match=r"must be None, 1 or the input's size"):
        layers.Dropout(0.5, noise_shape=(None, 2))(kg.Input(shape=(3,)), training=True)


def test_dropout_noise_shape_must_hold_ints():
    with pytest.raises(ValueError, match=r"`noise_shape` holds ints or None"):
        layers.Dropout(0.5, noise_shape=(None, 1.5))
