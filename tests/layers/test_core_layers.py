"""Core layers: ``Dense``, ``Activation``, ``Identity`` and ``Lambda``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops
from kgraph.testing.test_case import run_layer_test


def _predict(layer, data, shape=None):
    """Runs ``layer`` in a one-layer functional model on ``data``."""
    x = kg.Input(shape=shape or data.shape[1:])
    model = kg.Model(x, layer(x))
    return model.predict(data, verbose=0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- Dense: the standard checks -----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "input_shape", "output_shape", "trainable"),
    [
        ({"units": 4}, (2, 3), (2, 4), 2),
        ({"units": 1, "activation": "relu"}, (5, 7), (5, 1), 2),
        ({"units": 4, "use_bias": False}, (2, 3), (2, 4), 1),
        ({"units": 2, "activation": "sigmoid"}, (2, 5, 3), (2, 5, 2), 2),
        (
            {
                "units": 3,
                "kernel_initializer": "he_normal",
                "bias_initializer": "ones",
                "kernel_regularizer": "l2",
                "bias_regularizer": kg.regularizers.L1(0.02),
                "activity_regularizer": "l1",
            },
            (2, 4),
            (2, 3),
            2,
        ),
    ],
)
def test_dense_standard_checks(kwargs, input_shape, output_shape, trainable):
    run_layer_test(
        layers.Dense,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
    )


def test_dense_with_int_inputs_computes_in_float():
    run_layer_test(
        layers.Dense,
        {"units": 2},
        input_shape=(3, 4),
        expected_output_shape=(3, 2),
        expected_num_trainable_weights=2,
        input_dtype="int32",
    )


# -- Dense: numbers -----------------------------------------------------------


def test_dense_kernel_is_in_by_units_then_bias():
    layer = layers.Dense(3)
    layer(np.ones((1, 5), "float32"))
    assert [v.name for v in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(5, 3), (3,)]


@pytest.mark.parametrize(
    ("activation", "reference"),
    [
        (None, lambda z: z),
        ("linear", lambda z: z),
        ("relu", lambda z: np.maximum(z, 0.0)),
        ("sigmoid", _sigmoid),
        ("tanh", np.tanh),
        ("softmax", _softmax),
    ],
)
def test_dense_matches_numpy_with_fixed_weights(rng, activation, reference):
    kernel = rng.normal(size=(4, 3)).astype("float32")
    bias = rng.normal(size=(3,)).astype("float32")
    data = rng.normal(size=(6, 4)).astype("float32")
    expected = reference(data.astype(np.float64) @ kernel + bias)
    layer = layers.Dense(3, activation=activation)
    layer.build((None, 4))
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-5, atol=1e-6)


def test_dense_without_bias_is_a_matmul(rng):
    kernel = rng.normal(size=(2, 3)).astype("float32")
    data = rng.normal(size=(4, 2)).astype("float32")
    layer = layers.Dense(3, use_bias=False)
    layer.build((None, 2))
    layer.set_weights([kernel])
    assert layer.bias is None
    np.testing.assert_allclose(layer(data).numpy(), data @ kernel, rtol=1e-6)


def test_dense_on_rank3_applies_to_the_last_axis(rng):
    kernel = rng.normal(size=(3, 2)).astype("float32")
    bias = np.array([0.5, -0.5], "float32")
    data = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = layers.Dense(2)
    layer.build((None, 4, 3))
    layer.set_weights([kernel, bias])
    expected = np.einsum("bti,iu->btu", data, kernel) + bias
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-5, atol=1e-6)


def test_dense_initializers_are_used():
    layer = layers.Dense(
        2, kernel_initializer="ones", bias_initializer=kg.initializers.Constant(3.0)
    )
    layer(np.zeros((1, 4), "float32"))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((4, 2)))
    np.testing.assert_array_equal(layer.bias.numpy(), [3.0, 3.0])


def test_dense_default_bias_is_zeros_and_kernel_glorot_uniform():
    layer = layers.Dense(50)
    layer(np.zeros((1, 30), "float32"))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(50))
    limit = np.sqrt(6.0 / (30 + 50))
    kernel = layer.kernel.numpy()
    assert np.all(np.abs(kernel) <= limit)
    assert kernel.std() > limit / 3


# -- Dense: Keras defaults, config and validation -----------------------------


def test_dense_keras_defaults_in_config():
    config = layers.Dense(3).get_config()
    assert config["units"] == 3
    assert config["activation"] == "linear"
    assert config["use_bias"] is True
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"] is None
    assert config["bias_regularizer"] is None


def test_dense_config_round_trips_regularizers_and_activation():
    layer = layers.Dense(
        3,
        activation="relu",
        kernel_regularizer=kg.regularizers.L1L2(l1=0.1, l2=0.2),
        bias_regularizer="l2",
    )
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.kernel_regularizer.l1 == pytest.approx(0.1)
    assert clone.kernel_regularizer.l2 == pytest.approx(0.2)
    assert clone.bias_regularizer.l2 == pytest.approx(0.01)
    assert clone.activation is kg.activations.relu


def test_dense_config_keeps_a_custom_activation_by_reference():
    def double(x):
        return x * 2.0

    layer = layers.Dense(2, activation=double)
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.activation is double


def test_dense_config_keeps_a_callable_initializer_by_reference():
    def fives(shape, dtype="float32"):
        return np.full(shape, 5.0, dtype)

    layer = layers.Dense(2, kernel_initializer=fives)
    clone = layers.Dense.from_config(layer.get_config())
    clone(np.zeros((1, 3), "float32"))
    np.testing.assert_array_equal(clone.kernel.numpy(), np.full((3, 2), 5.0))


@pytest.mark.parametrize("units", [0, -1, 2.5, "3", None, True])
def test_dense_rejects_units_that_are_not_positive_integers(units):
    with pytest.raises(
        ValueError, match=r"expected a positive integer. Received: units="
    ):
        layers.Dense(units)


def test_dense_accepts_numpy_integer_units():
    layer = layers.Dense(np.int64(3))
    assert layer.units == 3 and type(layer.units) is int


def test_dense_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match=r"Could not interpret activation"):
        layers.Dense(2, activation="nope")


def test_dense_input_size_change_names_the_layer_symbolically():
    layer = layers.Dense(2)
    layer(kg.Input(shape=(4,)))
    with pytest.raises(
        ValueError,
        match=r'Layer "dense" \(Dense\) expected axis -1 of the input to have size 4, '
        r"but received an input of shape \(None, 3\)",
    ):
        layer(kg.Input(shape=(3,)))


def test_dense_input_size_change_names_the_layer_eagerly():
    layer = layers.Dense(2, name="dense_eager")
    layer(np.ones((2, 4), "float32"))
    with pytest.raises(
        ValueError,
        match=r'Layer "dense_eager" .*expected axis -1 of the input to have size 4, '
        r"but received an input of shape \(2, 3\)",
    ):
        layer(np.ones((2, 3), "float32"))


def test_dense_after_a_layer_of_the_wrong_size_in_sequential():
    dense = layers.Dense(2)
    dense(kg.Input(shape=(5,)))
    with pytest.raises(
        ValueError, match=r"expected axis -1 of the input to have size 5"
    ):
        kg.Sequential([kg.Input(shape=(3,)), layers.Dense(4), dense])


def test_dense_needs_rank_2():
    with pytest.raises(
        ValueError, match=r"expected min_ndim=2, found ndim=1. Received: input_shape"
    ):
        layers.Dense(2)(np.ones(3, "float32"))


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match=r"needs the last dimension of its input"):
        layers.Dense(2)(kg.Input(shape=(None,)))


# -- Activation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["relu", "sigmoid", "tanh", "softmax", "linear", "elu"]
)
def test_activation_standard_checks(name):
    run_layer_test(
        layers.Activation,
        {"activation": name},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("relu", lambda z: np.maximum(z, 0.0)),
        ("sigmoid", _sigmoid),
        ("tanh", np.tanh),
        ("softmax", _softmax),
        ("softplus", lambda z: np.log1p(np.exp(z))),
        ("elu", lambda z: np.where(z > 0, z, np.expm1(z))),
    ],
)
def test_activation_matches_numpy(rng, name, reference):
    data = rng.normal(size=(4, 5)).astype("float32")
    layer = layers.Activation(name)
    expected = reference(data.astype(np.float64))
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-5, atol=1e-6)


def test_activation_accepts_a_callable():
    layer = layers.Activation(lambda z: z * 3.0)
    np.testing.assert_allclose(layer([[1.0, -2.0]]).numpy(), [[3.0, -6.0]])


def test_activation_config_is_the_name():
    assert layers.Activation("relu").get_config()["activation"] == "relu"


def test_activation_rejects_an_unknown_name():
    with pytest.raises(ValueError, match=r"Received: activation='nope'"):
        layers.Activation("nope")


# -- Identity -----------------------------------------------------------------


def test_identity_standard_checks():
    run_layer_test(
        layers.Identity, {}, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4)
    )


def test_identity_keeps_int_inputs():
    run_layer_test(
        layers.Identity,
        {},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        input_dtype="int32",
    )


def test_identity_returns_its_input(rng):
    data = rng.normal(size=(3, 2)).astype("float32")
    np.testing.assert_array_equal(layers.Identity()(data).numpy(), data)
    np.testing.assert_array_equal(_predict(layers.Identity(), data), data)


# -- Lambda -------------------------------------------------------------------


def test_lambda_standard_checks():
    run_layer_test(
        layers.Lambda,
        {"function": lambda x: ops.square(x) + 1.0},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )


def test_lambda_can_change_the_shape():
    run_layer_test(
        layers.Lambda,
        {"function": lambda x: ops.sum(x, axis=-1, keepdims=True)},
        input_shape=(2, 5),
        expected_output_shape=(2, 1),
    )


def test_lambda_passes_arguments(rng):
    layer = layers.Lambda(
        lambda x, power: ops.power(x, power), arguments={"power": 3.0}
    )
    data = rng.uniform(0.5, 2.0, size=(2, 3)).astype("float32")
    np.testing.assert_allclose(layer(data).numpy(), data**3, rtol=1e-6)
    np.testing.assert_allclose(_predict(layer, data), data**3, rtol=1e-6)


def test_lambda_on_a_list_of_inputs(rng):
    a = kg.Input(shape=(3,))
    b = kg.Input(shape=(3,))
    model = kg.Model([a, b], layers.Lambda(lambda xs: xs[0] * xs[1])([a, b]))
    xa = rng.normal(size=(2, 3)).astype("float32")
    xb = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), xa * xb, rtol=1e-6)


def test_lambda_accepts_keras_output_shape_and_keeps_it_in_config():
    layer = layers.Lambda(lambda x: x, output_shape=(3,))
    assert layer.get_config()["output_shape"] == (3,)
    assert layer(kg.Input(shape=(3,))).shape == (None, 3)


def test_lambda_rejects_a_mask():
    with pytest.raises(ValueError, match=r"masking is not supported"):
        layers.Lambda(lambda x: x, mask=lambda x, m: m)


def test_lambda_needs_a_callable():
    with pytest.raises(ValueError, match=r"Lambda needs a callable"):
        layers.Lambda(3)


def test_lambda_config_keeps_the_function():
    def fn(x, scale=1.0):
        return x * scale

    config = layers.Lambda(fn, arguments={"scale": 2.0}).get_config()
    assert config["function"] is fn
    assert config["arguments"] == {"scale": 2.0}
    clone = layers.Lambda.from_config(config)
    np.testing.assert_allclose(clone([[1.0]]).numpy(), [[2.0]])
