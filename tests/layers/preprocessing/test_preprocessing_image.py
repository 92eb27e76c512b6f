"""``Resizing`` and ``CenterCrop`` (``kgraph/layers/preprocessing/image.py``):
Keras's formulas (NumPy transcriptions), both backends, configs, saving, and
an image model written by Keras 3.15.1 (``tools/keras_fixture_preprocessing.py``:
augmentation layers, which are identities at inference, then rescaling,
resizing, upsampling and cropping before a small head)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.image_reference import linear_matrix as jax_linear_matrix
from kgraph.testing.test_case import run_layer_test

DATA = Path(__file__).resolve().parents[2] / "data"


def numpy_resize(images, height, width):
    """Bilinear resize of (batch, height, width, channels)."""
    rows = jax_linear_matrix(images.shape[1], height)
    cols = jax_linear_matrix(images.shape[2], width)
    return np.einsum("bhwc,hi,wj->bijc", images, rows, cols)


def numpy_center_crop(images, height, width):
    top = (images.shape[1] - height) // 2
    left = (images.shape[2] - width) // 2
    return images[:, top : top + height, left : left + width]


def _predict(layer, data):
    x = kg.Input(shape=data.shape[1:], dtype=str(data.dtype))
    return kg.Model(x, layer(x)).predict(data, verbose=0)


# -- Resizing ------------------------------------------------------------------------


def test_resizing_standard_checks():
    run_layer_test(
        layers.Resizing,
        {"height": 3, "width": 5},
        input_shape=(2, 6, 4, 2),
        expected_output_shape=(2, 3, 5, 2),
    )


@pytest.mark.parametrize("size", [(3, 5), (12, 9)])
def test_resizing_bilinear_in_a_model(rng, backend, size):
    del backend
    images = rng.uniform(0, 255, size=(3, 6, 7, 2)).astype("float32")
    np.testing.assert_allclose(
        _predict(layers.Resizing(*size), images),
        numpy_resize(images, *size),
        rtol=1e-5,
        atol=1e-4,
    )


def test_resizing_nearest_and_aspect_ratio_options(rng):
    images = rng.normal(size=(2, 6, 10, 1)).astype("float32")
    nearest = layers.Resizing(3, 5, interpolation="nearest")(images).numpy()
    np.testing.assert_array_equal(nearest, images[:, 1::2, 1::2])
    cropped = layers.Resizing(3, 3, crop_to_aspect_ratio=True)(images).numpy()
    np.testing.assert_allclose(
        cropped, numpy_resize(images[:, :, 2:8], 3, 3), rtol=1e-5, atol=1e-6
    )
    padded = layers.Resizing(5, 5, pad_to_aspect_ratio=True, fill_value=1.0)(images)
    grown = np.pad(images, ((0, 0), (2, 2), (0, 0), (0, 0)), constant_values=1.0)
    np.testing.assert_allclose(
        padded.numpy(), numpy_resize(grown, 5, 5), rtol=1e-5, atol=1e-6
    )


def test_resizing_a_single_image():
    image = np.arange(8.0, dtype="float32").reshape(2, 4, 1)
    np.testing.assert_allclose(
        layers.Resizing(1, 2)(image).numpy()[..., 0], [[2.5, 4.5]], rtol=1e-6
    )


def test_resizing_config_round_trip():
    layer = layers.Resizing(4, 6, interpolation="nearest", crop_to_aspect_ratio=True)
    config = layer.get_config()
    for key in ("fill_mode", "fill_value", "antialias", "data_format"):
        assert key in config
    assert layers.Resizing.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"height": 0, "width": 2}, r"`height` must be a positive integer"),
        ({"height": 2, "width": 2, "interpolation": "lanczos3"}, r"interpolation"),
        (
            {
                "height": 2,
                "width": 2,
                "crop_to_aspect_ratio": True,
                "pad_to_aspect_ratio": True,
            },
            r"only one",
        ),
        ({"height": 2, "width": 2, "data_format": "channels_first"}, r"channels"),
    ],
)
def test_resizing_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Resizing(**kwargs)


def test_resizing_rejects_inputs_that_are_not_images():
    with pytest.raises(ValueError, match=r"rank 3"):
        layers.Resizing(2, 2)(kg.Input(shape=(4,)))


# -- CenterCrop -----------------------------------------------------------------------


def test_center_crop_standard_checks():
    run_layer_test(
        layers.CenterCrop,
        {"height": 2, "width": 3},
        input_shape=(2, 5, 6, 2),
        expected_output_shape=(2, 2, 3, 2),
    )


def test_center_crop_takes_the_middle(rng, backend):
    del backend
    images = rng.normal(size=(2, 7, 8, 3)).astype("float32")
    np.testing.assert_array_equal(
        _predict(layers.CenterCrop(4, 3), images), numpy_center_crop(images, 4, 3)
    )


def test_center_crop_of_a_small_image_resizes_as_smart_resize(rng):
    images = rng.normal(size=(1, 4, 6, 1)).astype("float32")
    got = layers.CenterCrop(8, 8)(images).numpy()
    # Keras's smart_resize: the centred 4x4 crop at aspect 1, resized.
    np.testing.assert_allclose(
        got, numpy_resize(images[:, :, 1:5], 8, 8), rtol=1e-5, atol=1e-6
    )


def test_center_crop_makes_floats_and_round_trips_its_config():
    out = layers.CenterCrop(1, 2)(np.arange(9).reshape(3, 3, 1)).numpy()
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], [[3.0, 4.0]])
    config = layers.CenterCrop(2, 3, name="crop").get_config()
    assert layers.CenterCrop.from_config(config).get_config() == config


# -- saving ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_image_layers_save_and_load(rng, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    x = kg.Input(shape=(9, 8, 3))
    y = layers.CenterCrop(6, 6)(layers.Resizing(12, 10, interpolation="nearest")(x))
    model = kg.Model(x, y)
    images = rng.normal(size=(2, 9, 8, 3)).astype("float32")
    expected = model.predict(images, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), expected)


def test_keras_image_preprocessing_model(backend):
    del backend
    pytest.importorskip("h5py")
    fixture = np.load(DATA / "keras_image_preprocessing.npz")
    model = kg.models.load_model(DATA / "keras_image_preprocessing.keras")
    names = [type(layer).__name__ for layer in model.layers]
    for expected in ("RandomFlip", "RandomRotation", "Resizing", "UpSampling2D"):
        assert expected in names
    predicted = model.predict(fixture["x"], verbose=0)
    np.testing.assert_allclose(predicted, fixture["y"], rtol=1e-4, atol=1e-5)
