"""3-D and adaptive pooling layers and Keras's pooling aliases: the standard
checks on both backends, numbers against NumPy, configs and save/load."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conv_reference import loop_adaptive

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (layers.MaxPooling3D, {}, (2, 4, 4, 5, 2), (2, 2, 2, 2, 2)),
        (
            layers.MaxPooling3D,
            {"pool_size": 2, "padding": "same"},
            (2, 3, 4, 5, 1),
            (2, 2, 2, 3, 1),
        ),
        (
            layers.AveragePooling3D,
            {"pool_size": (2, 1, 3), "strides": 1},
            (2, 3, 3, 4, 2),
            (2, 2, 3, 2, 2),
        ),
        (layers.GlobalAveragePooling3D, {}, (2, 2, 3, 4, 2), (2, 2)),
        (
            layers.GlobalMaxPooling3D,
            {"keepdims": True},
            (2, 2, 3, 4, 2),
            (2, 1, 1, 1, 2),
        ),
        (layers.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 2), (2, 3, 2)),
        (layers.AdaptiveMaxPooling1D, {"output_size": 4}, (2, 6, 2), (2, 4, 2)),
        (
            layers.AdaptiveAveragePooling2D,
            {"output_size": (2, 3)},
            (2, 5, 7, 2),
            (2, 2, 3, 2),
        ),
        (layers.AdaptiveMaxPooling2D, {"output_size": 3}, (2, 5, 6, 1), (2, 3, 3, 1)),
        (
            layers.AdaptiveAveragePooling3D,
            {"output_size": 2},
            (2, 3, 4, 5, 1),
            (2, 2, 2, 2, 1),
        ),
        (
            layers.AdaptiveMaxPooling3D,
            {"output_size": (1, 2, 3)},
            (2, 3, 4, 5, 1),
            (2, 1, 2, 3, 1),
        ),
    ],
)
def test_standard_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        backends=BACKENDS,
    )


def _pool_reference(x, window, reduce):
    """Valid pooling with strides equal to the window, by loops."""
    out_shape = [n // k for n, k in zip(x.shape[1:-1], window, strict=True)]
    out = np.zeros((x.shape[0], *out_shape, x.shape[-1]), x.dtype)
    for index in itertools.product(*(range(n) for n in out_shape)):
        block = tuple(
            slice(i * k, (i + 1) * k) for i, k in zip(index, window, strict=True)
        )
        out[(slice(None), *index)] = reduce(x[(slice(None), *block)], axis=(1, 2, 3))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_3d_and_adaptive_numbers(backend, rng):
    x = rng.normal(size=(3, 4, 6, 5, 2)).astype("float32")
    inputs = kg.Input(x.shape[1:])
    outputs = [
        layers.MaxPool3D((2, 3, 2))(inputs),
        layers.AvgPool3D(2)(inputs),
        layers.GlobalAvgPool3D()(inputs),
        layers.GlobalMaxPool3D()(inputs),
        layers.AdaptiveAveragePooling3D((3, 4, 2))(inputs),
        layers.AdaptiveMaxPooling3D((2, 5, 3))(inputs),
    ]
    model = kg.Model(inputs, outputs)
    model.compile(backend=backend)
    got = model.predict(x, batch_size=3, verbose=0)
    expected = [
        _pool_reference(x, (2, 3, 2), np.max),
        _pool_reference(x, (2, 2, 2), np.mean),
        x.mean(axis=(1, 2, 3)),
        x.max(axis=(1, 2, 3)),
        loop_adaptive(x, (3, 4, 2), np.mean),
        loop_adaptive(x, (2, 5, 3), np.max),
    ]
    for have, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_adaptive_pooling_trains(backend, rng):
    x = rng.normal(size=(8, 7, 5, 2)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model = kg.Sequential(
        [
            kg.Input((7, 5, 2)),
            layers.Conv2D(3, 2, padding="same"),
            layers.AdaptiveMaxPooling2D((3, 2)),
            layers.AdaptiveAveragePooling2D(1),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    before = [w.copy() for w in model.layers[0].get_weights()]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    after = model.layers[0].get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(after, before, strict=True))


def test_aliases_and_configs():
    assert layers.MaxPool1D is layers.MaxPooling1D
    assert layers.AvgPool2D is layers.AveragePooling2D
    assert layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D
    assert layers.GlobalMaxPool2D is layers.GlobalMaxPooling2D
    assert layers.MaxPooling3D().get_config()["pool_size"] == (2, 2, 2)
    config = layers.AdaptiveMaxPooling2D(4).get_config()
    assert config["output_size"] == (4, 4)
    assert config["data_format"] == "channels_last"
    assert layers.AdaptiveMaxPooling2D.from_config(config).get_config() == config
    assert layers.AdaptiveAveragePooling1D(3).name == "adaptive_average_pooling1d"


def test_adaptive_errors():
    with pytest.raises(ValueError, match=r"`output_size` must be a positive integer"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"needs the spatial sizes"):
        layers.AdaptiveMaxPooling1D(2)(kg.Input((None, 3)))
    with pytest.raises(ValueError, match=r"channels_last"):
        layers.AdaptiveMaxPooling1D(2, data_format="channels_first")


def test_a_model_with_3d_and_adaptive_pooling_saves_and_loads(tmp_path, rng):
    pytest.importorskip("h5py")
    x = rng.normal(size=(2, 4, 4, 4, 1)).astype("float32")
    model = kg.Sequential(
        [
            kg.Input((4, 4, 4, 1)),
            layers.MaxPooling3D(),
            layers.AdaptiveAveragePooling3D(1),
            layers.GlobalMaxPooling3D(),
        ]
    )
    expected = model.predict(x, verbose=0)
    path = tmp_path / "pool.keras"
    model.save(path)
    loaded = kg.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected)
