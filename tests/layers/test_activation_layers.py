"""Activation layers: ``ReLU``, ``LeakyReLU``, ``ELU``, ``PReLU`` and ``Softmax``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test


def _predict(layer, data):
    x = kg.Input(shape=data.shape[1:])
    return kg.Model(x, layer(x)).predict(data, verbose=0)


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """A transcription of Keras 3's ``ReLU.static_call``."""
    x = x.astype(np.float64)
    if negative_slope != 0.0:
        negative_part = np.maximum(-x + threshold, 0.0)
    else:
        negative_part = 0.0
    if threshold != 0:
        x = x * (x > threshold)
    else:
        x = np.maximum(x, 0.0)
    if max_value is not None:
        x = np.clip(x, 0.0, max_value)
    return x - negative_slope * negative_part


# -- ReLU ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_value": 6.0},
        {"negative_slope": 0.1},
        {"threshold": 0.5},
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
    ],
)
def test_relu_standard_checks(kwargs):
    run_layer_test(
        layers.ReLU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_value": 1.0},
        {"max_value": 6.0},
        {"negative_slope": 0.1},
        {"threshold": 0.5},
        {"threshold": 1.5, "max_value": 1.0},
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
        {"negative_slope": 0.3, "threshold": 1.0},
    ],
)
def test_relu_matches_keras_formula(kwargs):
    data = np.linspace(-4.0, 4.0, 33, dtype="float32").reshape(3, 11)
    expected = _keras_relu(data, **kwargs)
    layer = layers.ReLU(**kwargs)
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-6, atol=1e-7)


def test_relu_at_the_threshold_is_zero():
    out = layers.ReLU(threshold=1.0, negative_slope=0.5)([[1.0, 0.0, 2.0]]).numpy()
    np.testing.assert_allclose(out, [[0.0, -0.5, 2.0]])


def test_relu_keras_defaults():
    config = layers.ReLU().get_config()
    assert config["max_value"] is None
    assert config["negative_slope"] == 0.0
    assert config["threshold"] == 0.0


@pytest.mark.parametrize("name", ["negative_slope", "threshold"])
@pytest.mark.parametrize("value", [-0.1, None])
def test_relu_rejects_negative_slope_and_threshold(name, value):
    with pytest.raises(ValueError, match=rf"ReLU: {name} must be a non-negative"):
        layers.ReLU(**{name: value})


def test_relu_rejects_a_negative_max_value():
    with pytest.raises(ValueError, match=r"max_value must be non-negative"):
        layers.ReLU(max_value=-1.0)


def test_relu_of_int_input_gives_floats():
    out = layers.ReLU()(np.array([[-1, 2]], "int32"))
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), [[0.0, 2.0]])


def test_relu_gradient_flows_above_the_threshold():
    x = kg.Input(shape=(2,))
    hidden = layers.Dense(2, kernel_initializer="identity", use_bias=False)
    model = kg.Model(x, layers.ReLU(threshold=0.5)(hidden(x)))
    model.compile(optimizer=kg.optimizers.SGD(1.0), loss="mse", backend="numpy")
    data = np.array([[1.0, 0.2]], "float32")
    model.fit(data, np.zeros((1, 2), "float32"), batch_size=1, verbose=0)
    kernel = hidden.get_weights()[0]
    # Only the first unit (1.0 > 0.5) is active; d loss / d out0 = 1, so its
    # kernel column moves by -x = [-1.0, -0.2]; the second column stays.
    np.testing.assert_allclose(kernel, [[0.0, 0.0], [-0.2, 1.0]], atol=1e-6)


# -- LeakyReLU ----------------------------------------------------------------


def test_leaky_relu_standard_checks():
    run_layer_test(
        layers.LeakyReLU, {}, input_shape=(2, 3), expected_output_shape=(2, 3)
    )


def test_leaky_relu_default_slope_is_keras_0_3(rng):
    assert layers.LeakyReLU().negative_slope == 0.3
    data = rng.normal(size=(4, 5)).astype("float32")
    expected = np.where(data >= 0, data, 0.3 * data)
    np.testing.assert_allclose(layers.LeakyReLU()(data).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(_predict(layers.LeakyReLU(), data), expected, rtol=1e-6)


@pytest.mark.parametrize("slope", [0.0, 0.01, 1.0, 2.0])
def test_leaky_relu_custom_slope(rng, slope):
    data = rng.normal(size=(3, 4)).astype("float32")
    expected = np.where(data >= 0, data, slope * data)
    np.testing.assert_allclose(
        layers.LeakyReLU(negative_slope=slope)(data).numpy(), expected, rtol=1e-6
    )


def test_leaky_relu_accepts_keras2_alpha_with_a_warning():
    with pytest.warns(UserWarning, match=r"`alpha` is deprecated"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert layer.get_config()["negative_slope"] == 0.1


def test_leaky_relu_without_alpha_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LeakyReLU(negative_slope=0.2)


@pytest.mark.parametrize("slope", [-0.1, None])
def test_leaky_relu_rejects_a_negative_slope(slope):
    with pytest.raises(ValueError, match=r"negative_slope must be a non-negative"):
        layers.LeakyReLU(negative_slope=slope)


def test_leaky_relu_config_round_trips():
    clone = layers.LeakyReLU.from_config(layers.LeakyReLU(0.05).get_config())
    assert clone.negative_slope == 0.05


# -- Softmax ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("axis", "shape"), [(-1, (2, 5)), (1, (2, 3, 4)), (-2, (2, 3, 4))]
)
def test_softmax_standard_checks(axis, shape):
    run_layer_test(
        layers.Softmax, {"axis": axis}, input_shape=shape, expected_output_shape=shape
    )


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_softmax_matches_numpy(rng, axis):
    data = rng.normal(size=(2, 3, 4)).astype("float32") * 5.0
    e = np.exp(data - data.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    layer = layers.Softmax(axis=axis)
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-5, atol=1e-7)


def test_softmax_is_stable_for_large_inputs():
    out = layers.Softmax()(np.array([[1000.0, 1000.0, -1000.0]], "float32")).numpy()
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0]], atol=1e-7)


def test_softmax_default_axis_is_minus_one():
    assert layers.Softmax().get_config()["axis"] == -1


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_softmax_with_a_mask_matches_keras(rng, backend):
    data = rng.normal(size=(2, 3, 4)).astype("float32")
    mask = rng.random((2, 3, 4)) > 0.4
    mask[0, 0] = False  # a row with nothing kept gives zeros
    masked = np.where(mask, data, -1e9)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    expected = np.where(mask, e / e.sum(axis=-1, keepdims=True), 0.0)
    layer = layers.Softmax()
    np.testing.assert_allclose(layer(data, mask=mask).numpy(), expected, atol=1e-7)
    x = kg.Input(shape=(3, 4))
    keep = kg.Input(shape=(3, 4))
    model = kg.Model([x, keep], layers.Softmax()(x, mask=keep))
    model.compile(loss="mse", backend=backend)
    predicted = model.predict([data, mask.astype("float32")], verbose=0)
    np.testing.assert_allclose(predicted, expected, atol=1e-7)


def test_softmax_over_several_axes(rng):
    data = rng.normal(size=(2, 3, 4)).astype("float32")
    e = np.exp(data - data.max(axis=(1, 2), keepdims=True))
    expected = e / e.sum(axis=(1, 2), keepdims=True)
    layer = layers.Softmax(axis=[1, 2])
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5)
    assert layers.Softmax.from_config(layer.get_config()).axis == [1, 2]


# -- ELU and PReLU --------------------------------------------------------------


def test_elu_standard_checks():
    run_layer_test(
        layers.ELU, {"alpha": 0.5}, input_shape=(2, 5), expected_output_shape=(2, 5)
    )


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_elu_matches_numpy(rng, alpha):
    data = rng.normal(size=(3, 4)).astype("float32") * 3
    expected = np.where(data > 0, data, alpha * (np.exp(data) - 1))
    layer = layers.ELU(alpha=alpha)
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-5, atol=1e-6)
    assert layer.get_config()["alpha"] == alpha


def test_prelu_standard_checks():
    run_layer_test(
        layers.PReLU,
        {"shared_axes": [1], "alpha_initializer": "ones"},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        backends=("numpy", "llvm"),
    )


@pytest.mark.parametrize(
    ("shared_axes", "alpha_shape"), [(None, (3, 4)), ([1], (1, 4)), (2, (3, 1))]
)
def test_prelu_matches_numpy(rng, shared_axes, alpha_shape):
    data = rng.normal(size=(2, 3, 4)).astype("float32")
    layer = layers.PReLU(shared_axes=shared_axes)
    layer(data)
    alpha = rng.normal(size=alpha_shape).astype("float32")
    layer.set_weights([alpha])
    expected = np.maximum(data, 0) - alpha * np.maximum(-data, 0)
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(_predict(layer, data), expected, rtol=1e-6)


def test_prelu_config_round_trip_and_errors():
    layer = layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    config = layer.get_config()
    assert config["shared_axes"] == [1, 2]
    assert layers.PReLU.from_config(config).get_config() == config
    constrained = layers.PReLU(alpha_constraint="non_neg")
    config = constrained.get_config()
    assert config["alpha_constraint"]["class_name"] == "NonNeg"
    assert layers.PReLU.from_config(config).get_config() == config
    constrained.build((None, 2))
    assert constrained.alpha.constraint is constrained.alpha_constraint
