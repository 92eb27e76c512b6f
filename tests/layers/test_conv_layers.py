"""Convolution layers: ``Conv1D`` and ``Conv2D`` on both backends, Keras's
output shapes and weight layout, numbers with set weights, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


def keras_output_size(size, kernel, stride, padding, dilation):
    """Keras's ``compute_conv_output_shape`` for one spatial axis."""
    if padding == "valid":
        return (size - dilation * (kernel - 1) - 1) // stride + 1
    return (size - 1) // stride + 1


def reference_conv(x, kernel, bias, strides, padding, dilation):
    """An independent NumPy convolution: TensorFlow's padding, then sliding
    windows (``sliding_window_view``) subsampled by strides and dilation."""
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    pads = [(0, 0)]
    for size, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True):
        span = (k - 1) * d + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((span - 1, 0))
        else:
            total = max((-(-size // s) - 1) * s + span - size, 0)
            pads.append((total // 2, total - total // 2))
    xp = np.pad(x, [*pads, (0, 0)])
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation, strict=True)]
    views = np.lib.stride_tricks.sliding_window_view(
        xp, spans, axis=tuple(range(1, rank + 1))
    )
    step = (slice(None), *(slice(None, None, s) for s in strides), slice(None))
    views = views[step][(..., *(slice(None, None, d) for d in dilation))]
    # views: (batch, *out, in, *window) -> contract (window, in) with kernel.
    letters = "abc"[:rank]
    result = np.einsum(f"n...i{letters},{letters}io->n...o", views, kernel)
    return result + bias


# -- the standard checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "input_shape", "output_shape", "trainable"),
    [
        ({"filters": 3, "kernel_size": 3}, (2, 7, 6, 2), (2, 5, 4, 3), 2),
        (
            {"filters": 4, "kernel_size": (3, 2), "strides": 2, "padding": "same"},
            (2, 7, 6, 2),
            (2, 4, 3, 4),
            2,
        ),
        (
            {
                "filters": 2,
                "kernel_size": 2,
                "dilation_rate": (2, 1),
                "use_bias": False,
            },
            (2, 5, 4, 3),
            (2, 3, 3, 2),
            1,
        ),
        (
            {
                "filters": 2,
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
                "kernel_initializer": "he_normal",
                "bias_initializer": "ones",
                "kernel_regularizer": "l2",
                "bias_regularizer": kg.regularizers.L1(0.02),
                "activity_regularizer": "l1",
            },
            (2, 5, 5, 1),
            (2, 5, 5, 2),
            2,
        ),
    ],
)
def test_conv2d_standard_checks(kwargs, input_shape, output_shape, trainable):
    run_layer_test(
        layers.Conv2D,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
        backends=BACKENDS,
    )


@pytest.mark.parametrize(
    ("kwargs", "input_shape", "output_shape"),
    [
        ({"filters": 3, "kernel_size": 3}, (2, 9, 2), (2, 7, 3)),
        (
            {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same"},
            (2, 9, 2),
            (2, 3, 3),
        ),
        (
            {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
            (2, 8, 1),
            (2, 8, 2),
        ),
    ],
)
def test_conv1d_standard_checks(kwargs, input_shape, output_shape):
    run_layer_test(
        layers.Conv1D,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=2,
        backends=BACKENDS,
    )


# -- shapes and weights ----------------------------------------------------------


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    ("size", "kernel", "stride", "dilation"),
    [
        (28, 3, 1, 1),
        (28, 5, 2, 1),
        (7, 3, 3, 1),
        (9, 2, 1, 3),
        (5, 5, 1, 1),
        (1, 1, 4, 1),
    ],
)
def test_output_shape_is_keras_formula(padding, size, kernel, stride, dilation):
    layer = layers.Conv2D(
        4,
        (kernel, 1),
        strides=(stride, 1),
        padding=padding,
        dilation_rate=(dilation, 1),
    )
    output = layer(kg.Input((size, 3, 2)))
    expected = keras_output_size(size, kernel, stride, padding, dilation)
    assert tuple(output.shape) == (None, expected, 3, 4)
    assert layer.compute_output_shape((None, size, 3, 2)) == (None, expected, 3, 4)


def test_weights_are_kernel_then_bias_in_keras_layout():
    layer = layers.Conv2D(5, (3, 2))
    layer(kg.Input((8, 8, 3)))
    assert [v.path for v in layer.weights] == ["conv2d/kernel", "conv2d/bias"]
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3, 2, 3, 5), (5,)]
    assert layer.count_params() == 3 * 2 * 3 * 5 + 5
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(5))
    # glorot_uniform with Keras's fans: receptive field 6, in 3, out 5.
    limit = np.sqrt(6.0 / (6 * 3 + 6 * 5))
    assert np.abs(layer.get_weights()[0]).max() <= limit


def test_default_names_follow_keras():
    assert layers.Conv2D(1, 1).name == "conv2d"
    assert layers.Conv2D(1, 1).name == "conv2d_1"
    assert layers.Conv1D(1, 1).name == "conv1d"


def test_get_config_has_keras_keys_and_defaults():
    config = layers.Conv2D(8, 3).get_config()
    assert config["kernel_size"] == (3, 3)
    assert config["strides"] == (1, 1)
    assert config["dilation_rate"] == (1, 1)
    assert config["padding"] == "valid"
    assert config["data_format"] == "channels_last"
    assert config["activation"] == "linear"
    assert config["use_bias"] is True
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"] is None
    clone = layers.Conv2D.from_config(config)
    assert clone.get_config() == config


# -- numbers with set weights, on both backends ------------------------------------


CONV_CASES = [
    (layers.Conv2D, (3, 9, 8, 2), {"kernel_size": (3, 2)}),
    (layers.Conv2D, (3, 9, 8, 2), {"kernel_size": 3, "strides": 2, "padding": "same"}),
    (
        layers.Conv2D,
        (3, 6, 7, 2),
        {"kernel_size": 2, "strides": (1, 3), "padding": "same"},
    ),
    (
        layers.Conv2D,
        (2, 9, 9, 3),
        {"kernel_size": 3, "dilation_rate": 2, "padding": "same"},
    ),
    (layers.Conv1D, (3, 11, 2), {"kernel_size": 4, "strides": 2}),
    (
        layers.Conv1D,
        (3, 11, 2),
        {"kernel_size": 3, "padding": "causal", "dilation_rate": 3},
    ),
    (layers.Conv1D, (3, 10, 2), {"kernel_size": 4, "strides": 3, "padding": "same"}),
]


@pytest.mark.parametrize(("cls", "shape", "kwargs"), CONV_CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_set_weights_gives_the_reference_convolution(cls, shape, kwargs, backend, rng):
    layer = cls(4, activation="tanh", **kwargs)
    inputs = kg.Input(shape[1:])
    model = kg.Model(inputs, layer(inputs))
    kernel = rng.normal(size=layer.weights[0].shape).astype("float32")
    bias = rng.normal(size=(4,)).astype("float32")
    layer.set_weights([kernel, bias])
    x = rng.normal(size=shape).astype("float32")
    rank = len(shape) - 2
    expected = np.tanh(
        reference_conv(
            x,
            kernel,
            bias,
            layer.strides,
            layer.padding,
            layer.dilation_rate,
        )
    )
    assert layer.kernel_size == kernel.shape[:rank]
    model.compile(loss="mse", backend=backend)
    np.testing.assert_allclose(
        model.predict(x, batch_size=2, verbose=0), expected, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"filters": 0},
            r"\(Conv2D\): invalid value for argument `filters`.*Received: filters=0",
        ),
        ({"filters": -2}, r"strictly positive integer. Received: filters=-2"),
        ({"filters": 2.5}, r"Received: filters=2.5"),
        (
            {"kernel_size": 0},
            r"`kernel_size` argument must be a positive.*kernel_size=0",
        ),
        (
            {"kernel_size": (3,)},
            r"tuple of 2 positive integers. Received: kernel_size=\(3,\)",
        ),
        ({"kernel_size": (3, -1)}, r"Received: kernel_size=\(3, -1\)"),
        ({"strides": 0}, r"`strides` argument .* Received: strides=0"),
        ({"strides": (1, -2)}, r"Received: strides=\(1, -2\)"),
        ({"dilation_rate": 0}, r"Received: dilation_rate=0"),
        (
            {"strides": 2, "dilation_rate": 2},
            r"strides > 1 are not supported together with dilation_rate > 1. "
            r"Received: strides=\(2, 2\) and dilation_rate=\(2, 2\)",
        ),
        ({"padding": "full"}, r"`padding` argument must be one of \('valid', 'same'\)"),
        ({"padding": "causal"}, r"Received: padding='causal'"),
        (
            {"data_format": "channels_first"},
            r'Layer "conv2d" \(Conv2D\) supports only data_format=\'channels_last\'',
        ),
    ],
)
def test_bad_arguments_are_rejected(kwargs, pattern):
    arguments = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        layers.Conv2D(**arguments)


def test_conv1d_takes_causal_padding_only_as_1d():
    assert layers.Conv1D(2, 3, padding="CAUSAL").padding == "causal"
    with pytest.raises(ValueError, match=r"\(Conv1D\): the `padding`.*'causal'"):
        layers.Conv1D(2, 3, padding="full")


def test_wrong_input_rank_names_the_layer_and_shapes():
    with pytest.raises(
        ValueError,
        match=r'Layer "conv2d" \(Conv2D\) is incompatible with its input: expected '
        r"ndim=4, found ndim=3. Received: input_shape=\(None, 28, 28\)",
    ):
        layers.Conv2D(2, 3)(kg.Input((28, 28)))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4"):
        layers.Conv1D(2, 3)(kg.Input((28, 28, 1)))


def test_kernel_larger_than_input_fails_at_definition():
    with pytest.raises(
        ValueError,
        match=r'Layer "conv2d" \(Conv2D\): the kernel_size is larger than the '
        r"input: kernel_size=\(3, 3\) spans \(3, 3\), but the input's spatial "
        r"shape is \(2, 5\).*Received: input_shape=\(None, 2, 5, 1\)",
    ):
        layers.Conv2D(2, 3)(kg.Input((2, 5, 1)))
    with pytest.raises(ValueError, match=r"with dilation_rate=\(3,\) spans \(7,\)"):
        layers.Conv1D(2, 3, dilation_rate=3)(kg.Input((6, 1)))
    # Same padding always fits.
    assert layers.Conv2D(2, 3, padding="same")(kg.Input((2, 5, 1))).shape[1:] == (
        2,
        5,
        2,
    )


def test_unknown_channels_fail_at_definition():
    with pytest.raises(ValueError, match=r"needs the channel dimension.*None\)"):
        layers.Conv2D(2, 3)(kg.Input((5, 5, None)))


def test_input_channels_must_match_the_built_kernel():
    layer = layers.Conv2D(2, 3)
    layer(kg.Input((5, 5, 3)))
    with pytest.raises(
        ValueError, match=r"expected axis -1 of the input to have size 3"
    ):
        layer(kg.Input((5, 5, 4)))
