"""Pooling layers on both backends: windowed max and average pooling (1-D,
2-D), global pooling, Keras's output shapes and "same" averaging, the max
gradient to the first maximum, and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


def keras_pooled_size(size, pool, stride, padding):
    """Keras's ``compute_pooling_output_shape`` for one spatial axis."""
    if padding == "valid":
        return (size - pool) // stride + 1
    return (size - 1) // stride + 1


def reference_pool(x, pool, strides, padding, combine):
    """``combine`` over the input elements of each window; "same" pads as
    TensorFlow (the odd one after) and padding never takes part."""
    spatial = x.shape[1:-1]
    lows, outs = [], []
    for size, k, s in zip(spatial, pool, strides, strict=True):
        out = keras_pooled_size(size, k, s, padding)
        total = max((out - 1) * s + k - size, 0) if padding == "same" else 0
        lows.append(total // 2)
        outs.append(out)
    result = np.zeros((x.shape[0], *outs, x.shape[-1]), "float32")
    for o in itertools.product(*map(range, outs)):
        index = tuple(
            slice(max(i * s - low, 0), min(i * s - low + k, size))
            for i, s, low, k, size in zip(o, strides, lows, pool, spatial, strict=True)
        )
        block = x[(slice(None), *index, slice(None))]
        flat = block.reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None), *o, slice(None))] = combine(flat, axis=1)
    return result


# -- the standard checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (layers.MaxPooling2D, {}, (2, 6, 5, 3), (2, 3, 2, 3)),
        (
            layers.MaxPooling2D,
            {"pool_size": 3, "strides": 2, "padding": "same"},
            (2, 6, 5, 3),
            (2, 3, 3, 3),
        ),
        (
            layers.AveragePooling2D,
            {"pool_size": (2, 3), "strides": 1},
            (2, 6, 5, 3),
            (2, 5, 3, 3),
        ),
        (layers.AveragePooling2D, {"padding": "same"}, (2, 5, 5, 2), (2, 3, 3, 2)),
        (
            layers.MaxPooling1D,
            {"pool_size": 3, "padding": "same"},
            (2, 7, 3),
            (2, 3, 3),
        ),
        (layers.AveragePooling1D, {"strides": 1}, (2, 7, 3), (2, 6, 3)),
        (layers.GlobalAveragePooling2D, {}, (2, 6, 5, 3), (2, 3)),
        (layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 6, 5, 3), (2, 1, 1, 3)),
        (layers.GlobalAveragePooling1D, {"keepdims": True}, (2, 7, 3), (2, 1, 3)),
        (layers.GlobalMaxPooling1D, {}, (2, 7, 3), (2, 3)),
    ],
)
def test_pooling_standard_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        backends=BACKENDS,
    )


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    ("size", "pool", "stride"),
    [(28, 2, 2), (27, 2, 2), (7, 3, 2), (7, 3, 3), (5, 5, 1), (6, 2, 4), (1, 1, 1)],
)
def test_output_shape_is_keras_formula(padding, size, pool, stride):
    for cls in (layers.MaxPooling2D, layers.AveragePooling2D):
        layer = cls((pool, 1), strides=(stride, 1), padding=padding)
        output = layer(kg.Input((size, 4, 2)))
        expected = keras_pooled_size(size, pool, stride, padding)
        assert tuple(output.shape) == (None, expected, 4, 2)


def test_strides_default_to_the_pool_size_and_configs_are_keras():
    layer = layers.MaxPooling2D((3, 2))
    assert layer.strides == (3, 2)
    config = layer.get_config()
    assert config["pool_size"] == (3, 2)
    assert config["strides"] == (3, 2)
    assert config["padding"] == "valid"
    assert config["data_format"] == "channels_last"
    assert layers.MaxPooling1D().pool_size == (2,)
    assert layers.AveragePooling2D().get_config()["pool_size"] == (2, 2)
    assert layers.GlobalAveragePooling2D().get_config()["keepdims"] is False
    assert layer.name == "max_pooling2d"
    assert layers.GlobalAveragePooling1D().name == "global_average_pooling1d"


# -- numbers, on both backends ------------------------------------------------------


POOL_CASES = [
    (layers.MaxPooling2D, np.max, (4, 7, 6, 3), {"pool_size": 2}),
    (
        layers.MaxPooling2D,
        np.max,
        (4, 7, 6, 3),
        {"pool_size": 3, "strides": 2, "padding": "same"},
    ),
    (
        layers.AveragePooling2D,
        np.mean,
        (4, 7, 6, 3),
        {"pool_size": 2, "padding": "same"},
    ),
    (
        layers.AveragePooling2D,
        np.mean,
        (4, 7, 6, 3),
        {"pool_size": (3, 2), "strides": (2, 1)},
    ),
    (
        layers.MaxPooling1D,
        np.max,
        (4, 9, 2),
        {"pool_size": 4, "strides": 3, "padding": "same"},
    ),
    (
        layers.AveragePooling1D,
        np.mean,
        (4, 9, 2),
        {"pool_size": 4, "strides": 3, "padding": "same"},
    ),
]


@pytest.mark.parametrize(("cls", "combine", "shape", "kwargs"), POOL_CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_pooling_gives_the_reference(cls, combine, shape, kwargs, backend, rng):
    layer = cls(**kwargs)
    inputs = kg.Input(shape[1:])
    model = kg.Model(inputs, layer(inputs))
    model.compile(loss="mse", backend=backend)
    x = rng.normal(size=shape).astype("float32")
    expected = reference_pool(x, layer.pool_size, layer.strides, layer.padding, combine)
    np.testing.assert_allclose(
        model.predict(x, batch_size=3, verbose=0), expected, rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_global_pooling_numbers(backend, rng):
    x = rng.normal(size=(3, 4, 5, 2)).astype("float32")
    inputs = kg.Input((4, 5, 2))
    outputs = [
        layers.GlobalAveragePooling2D()(inputs),
        layers.GlobalMaxPooling2D(keepdims=True)(inputs),
    ]
    model = kg.Model(inputs, outputs)
    model.compile(loss="mse", backend=backend)
    average, peak = model.predict(x, verbose=0)
    np.testing.assert_allclose(average, x.mean(axis=(1, 2)), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(peak, x.max(axis=(1, 2), keepdims=True))


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_pooling_trains_through_the_first_maximum_only(backend):
    """Conv1D(kernel ones, size 2) on [1, 2, 1] gives the tie [3, 3]; the
    pool's gradient goes to the first, so one SGD step on the kernel sees
    the inputs [1, 2] (the second would give [2, 1])."""
    inputs = kg.Input((3, 1))
    conv = layers.Conv1D(1, 2, use_bias=False, kernel_initializer="ones")
    hidden = layers.MaxPooling1D(2)(conv(inputs))
    model = kg.Model(inputs, layers.Flatten()(hidden))
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
    x = np.array([[[1.0], [2.0], [1.0]]], "float32")
    model.fit(x, np.zeros((1, 1), "float32"), batch_size=1, verbose=0)
    # d loss / d out = 2 * 3; the kernel's gradient is that times [1, 2].
    np.testing.assert_allclose(conv.get_weights()[0].ravel(), [0.4, -0.2], rtol=1e-6)


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"pool_size": 0},
            r'Layer "max_pooling2d" \(MaxPooling2D\): the `pool_size`.*pool_size=0',
        ),
        (
            {"pool_size": (2, 2, 2)},
            r"tuple of 2 positive integers. Received: pool_size=\(2, 2, 2\)",
        ),
        ({"strides": 0}, r"`strides` argument.*Received: strides=0"),
        ({"strides": (2, -1)}, r"Received: strides=\(2, -1\)"),
        (
            {"padding": "causal"},
            r"`padding` argument must be one of \('valid', 'same'\)",
        ),
        (
            {"data_format": "channels_first"},
            r"supports only data_format='channels_last'",
        ),
    ],
)
def test_bad_arguments_are_rejected(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        layers.MaxPooling2D(**kwargs)


def test_wrong_input_rank_and_oversized_pools_fail_at_definition():
    with pytest.raises(
        ValueError,
        match=r'Layer "average_pooling2d" \(AveragePooling2D\) is incompatible with '
        r"its input: expected ndim=4, found ndim=3. Received: input_shape="
        r"\(None, 6, 6\)",
    ):
        layers.AveragePooling2D()(kg.Input((6, 6)))
    with pytest.raises(
        ValueError,
        match=r'Layer "max_pooling1d" \(MaxPooling1D\): the pool_size is larger than '
        r"the input: pool_size=\(4,\) spans \(4,\), but the input's spatial shape is "
        r"\(3,\).*Received: input_shape=\(None, 3, 2\)",
    ):
        layers.MaxPooling1D(4)(kg.Input((3, 2)))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4"):
        layers.GlobalMaxPooling1D()(kg.Input((3, 2, 1)))
    with pytest.raises(ValueError, match=r"\(GlobalAveragePooling2D\) supports only"):
        layers.GlobalAveragePooling2D(data_format="channels_first")
    # "same" padding always fits.
    assert layers.MaxPooling1D(4, padding="same")(kg.Input((3, 2))).shape[1:] == (1, 2)
