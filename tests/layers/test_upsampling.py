"""``UpSampling1D``, ``UpSampling2D`` and ``UpSampling3D``: Keras's
``ops.repeat`` (NumPy's ``repeat``) and, for ``UpSampling2D(interpolation=
"bilinear")``, the half-pixel bilinear resize of Keras's JAX backend; both
backends, configs and saving."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.image_reference import linear_matrix as jax_linear_matrix
from kgraph.testing.test_case import run_layer_test


def _predict(layer, data):
    x = kg.Input(shape=data.shape[1:])
    return kg.Model(x, layer(x)).predict(data, verbose=0)


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (layers.UpSampling1D, {"size": 3}, (2, 4, 5), (2, 12, 5)),
        (layers.UpSampling2D, {"size": (2, 3)}, (2, 3, 4, 2), (2, 6, 12, 2)),
        (
            layers.UpSampling2D,
            {"size": 2, "interpolation": "bilinear"},
            (2, 3, 4, 2),
            (2, 6, 8, 2),
        ),
        (layers.UpSampling3D, {"size": (1, 2, 3)}, (2, 2, 3, 2, 1), (2, 2, 6, 6, 1)),
    ],
)
def test_upsampling_standard_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape
    )


def test_upsampling1d_repeats_steps(rng, backend):
    del backend
    data = rng.normal(size=(3, 4, 2)).astype("float32")
    np.testing.assert_array_equal(
        _predict(layers.UpSampling1D(3), data), np.repeat(data, 3, axis=1)
    )


def test_upsampling2d_nearest_repeats_rows_and_columns(rng, backend):
    del backend
    data = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    expected = np.repeat(np.repeat(data, 2, axis=1), 3, axis=2)
    np.testing.assert_array_equal(_predict(layers.UpSampling2D((2, 3)), data), expected)


def test_upsampling2d_bilinear_is_keras_half_pixel_resize(rng, backend):
    del backend
    data = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    expected = np.einsum(
        "bhwc,hi,wj->bijc", data, jax_linear_matrix(3, 6), jax_linear_matrix(4, 12)
    )
    got = _predict(layers.UpSampling2D((2, 3), interpolation="bilinear"), data)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_upsampling3d_repeats_voxels(rng, backend):
    del backend
    data = rng.normal(size=(2, 2, 3, 2, 1)).astype("float32")
    expected = np.repeat(np.repeat(np.repeat(data, 2, 1), 1, 2), 3, 3)
    np.testing.assert_array_equal(
        _predict(layers.UpSampling3D((2, 1, 3)), data), expected
    )


def test_upsampling_configs_are_keras_configs():
    assert layers.UpSampling1D().get_config()["size"] == 2
    config = layers.UpSampling2D(3).get_config()
    assert config["size"] == (3, 3)
    assert config["interpolation"] == "nearest"
    assert config["data_format"] == "channels_last"
    assert layers.UpSampling3D().get_config()["size"] == (2, 2, 2)
    for layer in (layers.UpSampling1D(4), layers.UpSampling2D(), layers.UpSampling3D()):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (layers.UpSampling1D, {"size": 0}, r"`size` must be a positive integer"),
        (layers.UpSampling2D, {"size": (2, 2, 2)}, r"tuple of 2"),
        (layers.UpSampling2D, {"interpolation": "bicubic"}, r"interpolation"),
        (layers.UpSampling3D, {"data_format": "channels_first"}, r"channels_last"),
    ],
)
def test_upsampling_rejects_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_upsampling_rejects_inputs_of_another_rank():
    with pytest.raises(ValueError, match=r"expects inputs of rank 4"):
        layers.UpSampling2D()(kg.Input(shape=(3, 4)))


def test_upsampling_saves_and_loads(rng, tmp_path):
    x = kg.Input(shape=(3, 4, 2))
    model = kg.Model(x, layers.UpSampling2D(2, interpolation="bilinear")(x))
    data = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    model.save(tmp_path / "m.kgraph")
    loaded = kg.models.load_model(tmp_path / "m.kgraph")
    np.testing.assert_array_equal(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0)
    )
