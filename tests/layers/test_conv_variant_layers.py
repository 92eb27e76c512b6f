"""Conv3D, grouped convolutions, transposed, depthwise and separable
convolution layers: the standard checks (config round trip, shapes, weights,
eager == compiled, training) on both backends, Keras's weight names and
layouts, numbers with set weights against NumPy loops, save/load, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conv_reference import loop_conv
from conv_reference import loop_conv_transpose

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape", "trainable"),
    [
        (
            layers.Conv3D,
            {"filters": 2, "kernel_size": 2},
            (2, 4, 3, 3, 2),
            (2, 3, 2, 2, 2),
            2,
        ),
        (
            layers.Conv2D,
            {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same"},
            (2, 5, 5, 4),
            (2, 5, 5, 4),
            2,
        ),
        (
            layers.Conv1D,
            {"filters": 6, "kernel_size": 2, "groups": 3},
            (2, 6, 3),
            (2, 5, 6),
            2,
        ),
        (
            layers.Conv1DTranspose,
            {"filters": 2, "kernel_size": 3, "strides": 2},
            (2, 4, 3),
            (2, 9, 2),
            2,
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 3, 4, 2),
            (2, 6, 8, 3),
            2,
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 2, "kernel_size": 2, "strides": 2, "output_padding": 1},
            (2, 3, 3, 2),
            (2, 7, 7, 2),
            2,
        ),
        (
            layers.Conv3DTranspose,
            {"filters": 2, "kernel_size": 2, "strides": (2, 1, 1), "use_bias": False},
            (2, 2, 2, 3, 1),
            (2, 4, 3, 4, 2),
            1,
        ),
        (
            layers.DepthwiseConv1D,
            {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
            (2, 6, 3),
            (2, 6, 6),
            2,
        ),
        (
            layers.DepthwiseConv2D,
            {"kernel_size": 2, "strides": 2},
            (2, 5, 4, 3),
            (2, 2, 2, 3),
            2,
        ),
        (
            layers.SeparableConv1D,
            {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
            (2, 6, 3),
            (2, 4, 4),
            3,
        ),
        (
            layers.SeparableConv2D,
            {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"},
            (2, 5, 5, 2),
            (2, 5, 5, 3),
            3,
        ),
    ],
)
def test_standard_checks(cls, kwargs, input_shape, output_shape, trainable):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
        backends=BACKENDS,
    )


def test_weights_have_keras_names_shapes_and_order():
    cases = [
        (
            layers.Conv3D(4, 3),
            (5, 5, 5, 2),
            [("kernel", (3, 3, 3, 2, 4)), ("bias", (4,))],
        ),
        (
            layers.Conv2D(6, 3, groups=3),
            (5, 5, 3),
            [("kernel", (3, 3, 1, 6)), ("bias", (6,))],
        ),
        (
            layers.Conv2DTranspose(5, (3, 2)),
            (4, 4, 3),
            [("kernel", (3, 2, 5, 3)), ("bias", (5,))],
        ),
        (
            layers.DepthwiseConv2D(3, depth_multiplier=2),
            (5, 5, 4),
            [("kernel", (3, 3, 4, 2)), ("bias", (8,))],
        ),
        (
            layers.SeparableConv2D(7, 3, depth_multiplier=2),
            (5, 5, 4),
            [
                ("depthwise_kernel", (3, 3, 4, 2)),
                ("pointwise_kernel", (1, 1, 8, 7)),
                ("bias", (7,)),
            ],
        ),
    ]
    for layer, shape, expected in cases:
        layer(kg.Input(shape))
        got = [(v.path.split("/")[-1], tuple(v.shape)) for v in layer.weights]
        assert got == expected, type(layer).__name__


def test_default_names_and_aliases_follow_keras():
    assert layers.Conv2DTranspose(1, 1).name == "conv2d_transpose"
    assert layers.DepthwiseConv2D(1).name == "depthwise_conv2d"
    assert layers.SeparableConv1D(1, 1).name == "separable_conv1d"
    assert layers.Conv3D(1, 1).name == "conv3d"
    assert layers.Convolution3D is layers.Conv3D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


def test_configs_have_keras_keys():
    config = layers.Conv2DTranspose(3, 2, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == (1, 1) and "groups" not in config
    assert layers.Conv1D(4, 2, groups=2).get_config()["groups"] == 2
    config = layers.DepthwiseConv2D(3, depth_multiplier=2).get_config()
    assert config["depth_multiplier"] == 2
    assert config["depthwise_initializer"]["class_name"] == "GlorotUniform"
    assert "filters" not in config
    config = layers.SeparableConv2D(4, 3).get_config()
    assert {"depthwise_regularizer", "pointwise_initializer", "filters"} <= set(config)
    clone = layers.SeparableConv2D.from_config(config)
    assert clone.get_config() == config


# -- numbers with set weights, on both backends ---------------------------------------


def _depthwise_reference(x, kernel, strides, padding, dilation):
    channels = x.shape[-1]
    return np.concatenate(
        [
            loop_conv(
                x[..., c : c + 1], kernel[..., c : c + 1, :], strides, padding, dilation
            )
            for c in range(channels)
        ],
        axis=-1,
    )


CASES = [
    (
        layers.Conv3D,
        {"filters": 3, "kernel_size": 2, "padding": "same"},
        (2, 3, 4, 3, 2),
        lambda x, w, layer: (
            loop_conv(x, w[0], layer.strides, "same", layer.dilation_rate) + w[1]
        ),
    ),
    (
        layers.Conv2D,
        {"filters": 6, "kernel_size": 3, "groups": 2, "strides": 2},
        (2, 7, 6, 4),
        lambda x, w, layer: (
            loop_conv(x, w[0], (2, 2), "valid", (1, 1), groups=2) + w[1]
        ),
    ),
    (
        layers.Conv2DTranspose,
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 3, 4, 2),
        lambda x, w, layer: (
            loop_conv_transpose(x, w[0], (2, 2), "same", None, (1, 1)) + w[1]
        ),
    ),
    (
        layers.Conv1DTranspose,
        {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 2},
        (2, 4, 3),
        lambda x, w, layer: (
            loop_conv_transpose(x, w[0], (3,), "valid", (2,), (1,)) + w[1]
        ),
    ),
    (
        layers.Conv3DTranspose,
        {"filters": 2, "kernel_size": 2, "dilation_rate": 2},
        (1, 3, 2, 3, 2),
        lambda x, w, layer: (
            loop_conv_transpose(x, w[0], (1, 1, 1), "valid", None, (2, 2, 2)) + w[1]
        ),
    ),
    (
        layers.DepthwiseConv2D,
        {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"},
        (2, 6, 5, 3),
        lambda x, w, layer: (
            _depthwise_reference(x, w[0], (2, 2), "same", (1, 1)) + w[1]
        ),
    ),
    (
        layers.DepthwiseConv1D,
        {"kernel_size": 2, "dilation_rate": 2},
        (2, 7, 2),
        lambda x, w, layer: _depthwise_reference(x, w[0], (1,), "valid", (2,)) + w[1],
    ),
    (
        layers.SeparableConv2D,
        {"filters": 4, "kernel_size": 2, "depth_multiplier": 2},
        (2, 5, 4, 3),
        lambda x, w, layer: (
            _depthwise_reference(x, w[0], (1, 1), "valid", (1, 1)) @ w[1].reshape(-1, 4)
            + w[2]
        ),
    ),
    (
        layers.SeparableConv1D,
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 7, 2),
        lambda x, w, layer: (
            _depthwise_reference(x, w[0], (2,), "same", (1,)) @ w[1].reshape(-1, 3)
            + w[2]
        ),
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape", "reference"), CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_set_weights_give_the_reference(cls, kwargs, shape, reference, backend, rng):
    layer = cls(**kwargs)
    inputs = kg.Input(shape[1:])
    model = kg.Model(inputs, layer(inputs))
    weights = [rng.normal(size=v.shape).astype("float32") for v in layer.weights]
    layer.set_weights(weights)
    x = rng.normal(size=shape).astype("float32")
    expected = reference(x, weights, layer)
    model.compile(loss="mse", backend=backend)
    got = model.predict(x, batch_size=2, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_a_model_of_them_trains_natively_and_saves(tmp_path, rng):
    inputs = kg.Input((8, 8, 3))
    h = layers.Conv2D(4, 3, groups=1, padding="same", activation="relu")(inputs)
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(h)
    h = layers.Conv2D(8, 3, groups=4, strides=2, padding="same")(h)
    h = layers.SeparableConv2D(4, 3, padding="same", activation="relu")(h)
    h = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(h)
    outputs = layers.Conv2D(1, 1)(h)
    model = kg.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", backend="llvm")
    x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
    y = np.mean(x, axis=-1, keepdims=True)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert np.isfinite(after) and after < before
    expected = model.predict(x, verbose=0)
    for suffix in (".kgraph", ".keras"):
        if suffix == ".keras":
            pytest.importorskip("h5py")
        path = tmp_path / f"model{suffix}"
        model.save(path)
        loaded = kg.saving.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5)


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (
            lambda: layers.Conv2D(5, 3, groups=2),
            r"\(Conv2D\): the number of filters must be evenly divisible by the "
            r"number of groups.*Received: groups=2, filters=5",
        ),
        (
            lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2),
            r"\(Conv2DTranspose\): `output_padding` must be strictly less than "
            r"`strides`.*At dimension 0",
        ),
        (
            lambda: layers.Conv1DTranspose(2, 3, padding="causal"),
            r"\(Conv1DTranspose\): the `padding` argument must be one of",
        ),
        (
            lambda: layers.DepthwiseConv2D(3, depth_multiplier=0),
            r"\(DepthwiseConv2D\): invalid value for argument `depth_multiplier`.*"
            r"Received: depth_multiplier=0",
        ),
        (
            lambda: layers.SeparableConv2D(0, 3),
            r"\(SeparableConv2D\): invalid value for argument `filters`",
        ),
        (
            lambda: layers.DepthwiseConv2D(3, data_format="channels_first"),
            r"supports only data_format='channels_last'",
        ),
        (
            lambda: layers.Conv3DTranspose(2, 3, data_format="channels_first"),
            r"supports only data_format='channels_last'",
        ),
    ],
)
def test_bad_arguments_are_rejected(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_input_errors_fail_at_definition():
    with pytest.raises(ValueError, match=r"input channels must be evenly divisible"):
        layers.Conv2D(4, 3, groups=2)(kg.Input((5, 5, 3)))
    with pytest.raises(ValueError, match=r"kernel_size is larger than the input"):
        layers.DepthwiseConv2D(4)(kg.Input((3, 5, 2)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=4"):
        layers.Conv3D(2, 2)(kg.Input((4, 4, 2)))
    with pytest.raises(ValueError, match=r"needs the channel dimension"):
        layers.SeparableConv1D(2, 2)(kg.Input((5, None)))
    with pytest.raises(ValueError, match=r"strides > 1 need the input's spatial"):
        layers.Conv2DTranspose(2, 3, strides=2)(kg.Input((None, None, 3)))
    # Stride 1 needs no sizes.
    output = layers.Conv2DTranspose(2, 3)(kg.Input((None, None, 3)))
    assert output.shape == (None, None, None, 2)


# -- models written by Keras (tools/keras_fixture_conv.py) -----------------------------

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name", ["keras_conv_2d", "keras_conv_1d", "keras_conv_3d"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_models_load_and_predict_the_same(name, backend):
    pytest.importorskip("h5py")
    fixture = np.load(DATA / f"{name}.npz")
    model = kg.models.load_model(DATA / f"{name}.keras")
    model.compile(backend=backend)
    predicted = model.predict(fixture["x"], verbose=0)
    np.testing.assert_allclose(predicted, fixture["y"], rtol=1e-4, atol=1e-5)


def test_the_keras_2d_model_has_keras_layers_and_weights():
    pytest.importorskip("h5py")
    model = kg.models.load_model(DATA / "keras_conv_2d.keras")
    names = [type(layer).__name__ for layer in model.layers[1:]]
    assert names == [
        "ZeroPadding2D",
        "DepthwiseConv2D",
        "Conv2D",
        "SeparableConv2D",
        "Conv2DTranspose",
        "Cropping2D",
        "AdaptiveAveragePooling2D",
    ]
    assert model.layers[3].groups == 2
    assert [tuple(w.shape) for w in model.layers[4].get_weights()] == [
        (2, 2, 4, 2),
        (1, 1, 8, 5),
        (5,),
    ]


def test_constraints_apply_after_each_update(rng):
    inputs = kg.Input((6, 6, 2))
    depthwise = layers.DepthwiseConv2D(3, depthwise_constraint="non_neg")
    separable = layers.SeparableConv2D(
        2, 2, pointwise_constraint="non_neg", bias_constraint="non_neg"
    )
    transpose = layers.Conv2DTranspose(1, 2, kernel_constraint="non_neg")
    model = kg.Model(inputs, transpose(separable(depthwise(inputs))))
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    x = rng.normal(size=(8, 6, 6, 2)).astype("float32")
    y = rng.normal(size=(8, 4, 4, 1)).astype("float32")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for weight in (
        depthwise.kernel,
        separable.pointwise_kernel,
        separable.bias,
        transpose.kernel,
    ):
        assert np.min(np.asarray(weight.numpy())) >= 0.0
    config = separable.get_config()
    assert config["pointwise_constraint"]["class_name"] == "NonNeg"
    assert config["depthwise_constraint"] is None
    assert layers.SeparableConv2D.from_config(config).get_config() == config
