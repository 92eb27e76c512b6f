"""The ``Layer`` base class: weights, building, calling, configuration,
shared layers, weight order, and the ``run_layer_test`` helper itself."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.testing.test_case import run_layer_test


class Scale(layers.Layer):
    """A layer with one trainable and one non-trainable weight."""

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")
        self.count = self.add_weight(
            (), "zeros", trainable=False, name="count", dtype="int32"
        )

    def call(self, inputs):
        return inputs * self.scale


# -- weights ------------------------------------------------------------------


def test_add_weight_creates_variables_in_order_with_paths():
    layer = Scale(name="scale_layer")
    layer(np.ones((2, 3), "float32"))
    assert [v.name for v in layer.weights] == ["scale", "count"]
    assert [v.path for v in layer.weights] == [
        "scale_layer/scale",
        "scale_layer/count",
    ]
    assert [v.name for v in layer.trainable_weights] == ["scale"]
    assert [v.name for v in layer.non_trainable_weights] == ["count"]
    assert layer.weights[1].dtype == "int32"


def test_add_weight_defaults_follow_keras():
    class Defaults(layers.Layer):
        def build(self, input_shape):
            self.scalar = self.add_weight(name="scalar")
            self.steps = self.add_weight(shape=(2,), dtype="int32", name="steps")

        def call(self, inputs):
            return inputs

    layer = Defaults()
    layer(np.ones((1, 1), "float32"))
    assert layer.scalar.shape == ()
    assert layer.scalar.dtype == "float32"
    np.testing.assert_array_equal(layer.steps.numpy(), [0, 0])


def test_get_and_set_weights_round_trip():
    layer = Scale()
    layer(np.ones((2, 3), "float32"))
    layer.set_weights([np.array([1.0, 2.0, 3.0]), np.array(5)])
    scale, count = layer.get_weights()
    np.testing.assert_array_equal(scale, [1.0, 2.0, 3.0])
    assert int(count) == 5
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), [[1.0, 2.0, 3.0]])


def test_set_weights_with_the_wrong_count_names_the_layer():
    layer = Scale(name="scaler")
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r'Layer "scaler" expects 2 weight arrays'):
        layer.set_weights([np.ones(3)])


def test_count_params_needs_a_built_layer():
    layer = layers.Dense(2, name="lonely")
    with pytest.raises(ValueError, match=r'Layer "lonely" is not built yet'):
        layer.count_params()
    layer(np.ones((1, 3), "float32"))
    assert layer.count_params() == 3 * 2 + 2


def test_trainable_false_makes_every_weight_non_trainable():
    layer = layers.Dense(2, trainable=False)
    layer(np.ones((1, 3), "float32"))
    assert layer.trainable_weights == []
    assert [v.name for v in layer.non_trainable_weights] == ["kernel", "bias"]


def test_frozen_layer_is_not_trained_by_fit(rng):
    x = kg.Input(shape=(3,))
    frozen = layers.Dense(2, trainable=False)
    head = layers.Dense(1)
    model = kg.Model(x, head(frozen(x)))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    before = frozen.get_weights()
    head_before = head.get_weights()
    model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), verbose=0)
    for old, new in zip(before, frozen.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(head_before[0], head.get_weights()[0])
    assert len(model.trainable_weights) == 2
    assert len(model.weights) == 4


# -- constructor arguments ----------------------------------------------------


def test_unrecognized_keyword_is_a_value_error_like_keras():
    with pytest.raises(
        ValueError, match=r"Unrecognized keyword arguments passed to Dense: \{'foo'"
    ):
        layers.Dense(2, foo=1)


def test_trainable_must_be_a_bool():
    with pytest.raises(ValueError, match=r"Expected `trainable` to be a boolean"):
        layers.Dense(2, trainable="yes")


def test_name_must_be_a_non_empty_string():
    with pytest.raises(ValueError, match=r"non-empty string. Received: name=''"):
        layers.Dense(2, name="")


def test_default_names_are_numbered_snake_case():
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.LeakyReLU().name]
    assert names == ["dense", "dense_1", "leaky_re_lu"]


@pytest.mark.parametrize(
    "kwargs",
    [{"input_shape": (3,)}, {"input_dim": 3}, {"batch_input_shape": (None, 3)}],
)
def test_keras2_input_shape_arguments_build_a_sequential(kwargs):
    model = kg.Sequential([layers.Dense(2, **kwargs)])
    assert model.built
    assert model.count_params() == 3 * 2 + 2


def test_base_config_holds_name_trainable_and_dtype():
    config = layers.Dense(2, name="d", trainable=False, dtype="float64").get_config()
    assert (config["name"], config["trainable"], config["dtype"]) == (
        "d",
        False,
        "float64",
    )


def test_activity_regularizer_is_in_the_config_and_round_trips():
    layer = layers.Dense(2, activity_regularizer=kg.regularizers.L2(0.5))
    config = layer.get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    clone = layers.Dense.from_config(config)
    assert clone.activity_regularizer.l2 == pytest.approx(0.5)


# -- calling ------------------------------------------------------------------


def test_eager_call_on_nested_lists_is_one_array():
    out = layers.Dense(1, kernel_initializer="ones")([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(out.numpy(), [[3.0], [7.0]])


def test_eager_call_casts_float64_to_the_layer_dtype():
    out = layers.Identity()(np.ones((2, 2), "float64"))
    assert out.dtype == "float32"


def test_training_argument_is_dropped_for_layers_that_do_not_take_it():
    x = kg.Input(shape=(3,))
    assert layers.Dense(2)(x, training=True).shape == (None, 2)
    eager = layers.Dense(2, kernel_initializer="ones")(np.ones((1, 3)), training=True)
    np.testing.assert_allclose(eager.numpy(), [[3.0, 3.0]])


def test_symbolic_call_tags_nodes_with_the_layer_name():
    x = kg.Input(shape=(3,))
    model = kg.Model(x, layers.Dense(2, name="tagged")(x))
    assert model.graph.node(model.graph.outputs["tagged"]).layer == "tagged"


def test_symbolic_call_records_its_history():
    x = kg.Input(shape=(3,))
    dense = layers.Dense(2)
    y = dense(x)
    assert y.history == (dense, 0, 0)
    assert dense.inbound_nodes[0].input_tensors[0] is x
    assert dense.input is x and dense.output is y


def test_compute_output_shape_traces_the_layer():
    assert layers.Dense(5).compute_output_shape((None, 3)) == (None, 5)
    assert layers.Concatenate().compute_output_shape([(None, 2), (None, 3)]) == (
        None,
        5,
    )


def test_layer_is_built_once_from_its_first_input():
    layer = layers.Dense(2)
    layer(kg.Input(shape=(4,)))
    kernel = layer.kernel
    layer(kg.Input(shape=(4,)))
    assert layer.kernel is kernel
    assert len(layer.weights) == 2


# -- shared layers and weight order -------------------------------------------


def test_shared_layer_shares_its_weights_in_one_model(rng):
    a = kg.Input(shape=(4,), name="a")
    b = kg.Input(shape=(4,), name="b")
    shared = layers.Dense(3, name="shared")
    model = kg.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert [v.path for v in model.weights] == ["shared/kernel", "shared/bias"]
    assert model.count_params() == 4 * 3 + 3
    kernel = rng.normal(size=(4, 3)).astype("float32")
    bias = rng.normal(size=(3,)).astype("float32")
    shared.set_weights([kernel, bias])
    xa = rng.normal(size=(5, 4)).astype("float32")
    xb = rng.normal(size=(5, 4)).astype("float32")
    expected = (xa @ kernel + bias) + (xb @ kernel + bias)
    np.testing.assert_allclose(
        model.predict([xa, xb], verbose=0), expected, rtol=1e-5, atol=1e-5
    )


def test_shared_layer_is_trained_once_per_step(rng):
    a = kg.Input(shape=(2,))
    b = kg.Input(shape=(2,))
    shared = layers.Dense(1, use_bias=False, kernel_initializer="zeros")
    model = kg.Model([a, b], layers.Add()([shared(a), shared(b)]))
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend="numpy")
    xa, xb = np.ones((1, 2), "float32"), 2 * np.ones((1, 2), "float32")
    model.fit([xa, xb], np.ones((1, 1), "float32"), batch_size=1, verbose=0)
    # loss = (3 * (w1 + w2) - 1) ** 2; d/dw = 2 * (0 - 1) * 3 = -6 for each w.
    np.testing.assert_allclose(shared.get_weights()[0], [[0.6], [0.6]], rtol=1e-6)


def test_model_weights_follow_keras_order():
    model = kg.Sequential(
        [kg.Input(shape=(4,)), layers.Dense(3), layers.Dropout(0.1), layers.Dense(2)]
    )
    assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]
    assert [v.name for v in model.weights] == ["kernel", "bias", "kernel", "bias"]


def test_functional_weight_order_is_layer_order():
    x = kg.Input(shape=(2,))
    first = layers.Dense(3, name="first")
    second = layers.Dense(4, name="second", use_bias=False)
    third = layers.Dense(5, name="third")
    y = third(layers.Concatenate()([first(x), second(x)]))
    model = kg.Model(x, y)
    assert [v.path for v in model.weights] == [
        "first/kernel",
        "first/bias",
        "second/kernel",
        "third/kernel",
        "third/bias",
    ]


def test_set_weights_then_get_weights_round_trips_through_a_model(rng):
    model = kg.Sequential([kg.Input(shape=(3,)), layers.Dense(2), layers.Dense(1)])
    values = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values, strict=True):
        np.testing.assert_array_equal(got, want)


# -- names --------------------------------------------------------------------


def test_from_config_clone_does_not_hide_the_original_layer(rng):
    x = kg.Input(shape=(3,))
    original = layers.Dense(2, name="twin")
    y = original(x)
    clone = layers.Dense.from_config(original.get_config())
    assert clone.name == "twin"
    model = kg.Model(x, y)
    assert [v.path for v in model.weights] == ["twin/kernel", "twin/bias"]
    assert model.weights[0] is original.kernel


def test_two_layers_of_one_name_cannot_be_in_one_model():
    x = kg.Input(shape=(3,))
    y = layers.Dense(2, name="twin")(layers.Dense(3, name="twin")(x))
    with pytest.raises(ValueError, match=r'The name "twin" is used 2 times'):
        kg.Model(x, y)


def test_two_models_may_use_one_layer_name(rng):
    def build():
        x = kg.Input(shape=(3,))
        return kg.Model(x, layers.Dense(2, name="twin")(x))

    first, second = build(), build()
    assert first.weights[0] is not second.weights[0]
    data = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(
        first.predict(data, verbose=0), data @ first.get_weights()[0], rtol=1e-5
    )
    np.testing.assert_allclose(
        second.predict(data, verbose=0), data @ second.get_weights()[0], rtol=1e-5
    )


# -- activity regularization --------------------------------------------------


def test_activity_penalty_is_divided_by_the_batch_size():
    x = kg.Input(shape=(3,))
    layer = layers.Dense(
        2, kernel_initializer="ones", activity_regularizer=kg.regularizers.L2(0.1)
    )
    model = kg.Model(x, layer(x))
    graph = model.graph
    assert [n for n in graph.outputs if n.startswith("aux:")] == ["aux:loss/0"]
    data = np.arange(12, dtype="float32").reshape(4, 3)
    feeds = {v.path: v.numpy() for v in layer.weights}
    feeds.update({model.input_names[0]: data, "batch_size": np.float32(4)})
    result = interpreter.run(graph, feeds)
    expected = 0.1 * np.sum((data @ np.ones((3, 2))) ** 2) / 4
    np.testing.assert_allclose(result["aux:loss/0"], expected, rtol=1e-6)


def test_a_model_holds_only_the_penalties_of_its_own_calls():
    x = kg.Input(shape=(3,))
    inside = layers.Dense(2, activity_regularizer="l2")
    outside = layers.Dense(2, activity_regularizer="l2")
    y = inside(x)
    outside(x)
    graph = kg.Model(x, y).graph
    assert [n for n in graph.outputs if n.startswith("aux:")] == ["aux:loss/0"]


def test_eager_calls_record_no_activity_penalty():
    layer = layers.Dense(2, activity_regularizer="l2")
    layer(np.ones((1, 3), "float32"))
    assert layer.losses == []


def _activity_model(regularized: bool):
    x = kg.Input(shape=(3,))
    layer = layers.Dense(
        2,
        kernel_initializer="ones",
        activity_regularizer=kg.regularizers.L2(0.1) if regularized else None,
    )
    model = kg.Model(x, layer(x))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    return model


def test_model_without_activity_regularizer_reports_plain_mse():
    data = np.arange(12, dtype="float32").reshape(4, 3)
    targets = np.zeros((4, 2), "float32")
    plain = _activity_model(False).evaluate(data, targets, verbose=0)
    np.testing.assert_allclose(plain, np.mean((data @ np.ones((3, 2))) ** 2))


@pytest.mark.parametrize("batch_size", [4, 3, 1])
def test_activity_regularizer_adds_its_penalty_to_the_loss(batch_size):
    # Per batch the penalty is 0.1 * sum(y**2) / batch (Keras 3 divides by
    # the batch size); weighted by batch sizes, the epoch value is the same
    # for every batch size.
    data = np.arange(12, dtype="float32").reshape(4, 3)
    targets = np.zeros((4, 2), "float32")
    outputs = data @ np.ones((3, 2))
    expected = np.mean(outputs**2) + 0.1 * np.sum(outputs**2) / 4
    regularized = _activity_model(True).evaluate(
        data, targets, batch_size=batch_size, verbose=0
    )
    np.testing.assert_allclose(regularized, expected, rtol=1e-5)


def test_activity_regularizer_is_not_in_predict():
    data = np.arange(12, dtype="float32").reshape(4, 3)
    predicted = _activity_model(True).predict(data, verbose=0)
    np.testing.assert_allclose(predicted, data @ np.ones((3, 2)), rtol=1e-6)


def test_activity_regularizer_trains_on_partial_batches():
    data = np.arange(12, dtype="float32").reshape(4, 3) / 10.0
    model = _activity_model(True)
    history = model.fit(data, np.zeros((4, 2), "float32"), batch_size=3, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_kernel_regularizer_adds_its_penalty_to_the_loss():
    x = kg.Input(shape=(3,))
    layer = layers.Dense(
        2, kernel_initializer="ones", kernel_regularizer=kg.regularizers.L2(0.1)
    )
    model = kg.Model(x, layer(x))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    data = np.ones((4, 3), "float32")
    loss = model.evaluate(data, np.zeros((4, 2), "float32"), verbose=0)
    np.testing.assert_allclose(loss, 9.0 + 0.1 * 6.0, rtol=1e-6)


# -- a layer written with ops -------------------------------------------------


def test_custom_layer_in_a_model_matches_its_eager_call(rng):
    class Norm(layers.Layer):
        def call(self, inputs):
            return ops.divide(
                inputs, ops.sqrt(ops.sum(inputs * inputs, axis=-1, keepdims=True))
            )

    layer = Norm()
    x = kg.Input(shape=(4,))
    model = kg.Model(x, layer(x))
    data = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(
        model.predict(data, verbose=0), layer(data).numpy(), rtol=1e-6
    )


# -- run_layer_test itself ----------------------------------------------------


def test_run_layer_test_passes_a_correct_layer():
    run_layer_test(
        Scale,
        {},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=1,
    )


def test_run_layer_test_catches_a_wrong_output_shape():
    with pytest.raises(AssertionError, match=r"output has shape \(None, 4\)"):
        run_layer_test(
            layers.Dense,
            {"units": 4},
            input_shape=(2, 3),
            expected_output_shape=(2, 5),
            expected_num_trainable_weights=2,
        )


def test_run_layer_test_catches_a_wrong_weight_count():
    with pytest.raises(AssertionError, match=r"2 trainable weights; expected 1"):
        run_layer_test(
            layers.Dense,
            {"units": 4},
            input_shape=(2, 3),
            expected_output_shape=(2, 4),
            expected_num_trainable_weights=1,
        )


def test_run_layer_test_catches_a_config_that_does_not_round_trip():
    class Forgetful(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor + 1.0}

    with pytest.raises(AssertionError, match=r"changes the config"):
        run_layer_test(Forgetful, {}, input_shape=(2, 3), expected_output_shape=(2, 3))


def test_run_layer_test_catches_eager_and_graph_disagreeing():
    class TwoFaced(layers.Layer):
        def call(self, inputs):
            if isinstance(inputs, kg.SymbolicTensor):
                return inputs + 1.0
            return inputs

    with pytest.raises(AssertionError, match=r"predict \(numpy\) differs"):
        run_layer_test(TwoFaced, {}, input_shape=(2, 3), expected_output_shape=(2, 3))


def test_run_layer_test_catches_a_layer_that_does_not_train():
    class Stuck(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight((input_shape[-1],), "ones", name="w")

        def call(self, inputs):
            return inputs + ops.stop_gradient(self.w)

    with pytest.raises(AssertionError, match=r"leaves stuck.*/w unchanged"):
        run_layer_test(
            Stuck,
            {},
            input_shape=(2, 3),
            expected_output_shape=(2, 3),
            expected_num_trainable_weights=1,
        )
