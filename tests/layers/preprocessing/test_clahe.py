"""``ContrastLimitedAdaptiveHistogramEqualization``: Keras's formula (a
NumPy transcription below), in training and inference, both backends,
configs and saving."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization


def clahe(images, grid, limit):
    """Keras's CLAHE, tile by tile and pixel by pixel."""
    batch, height, width, channels = images.shape
    tile_h, tile_w = -(-height // grid[0]), -(-width // grid[1])
    ph, pw = tile_h * grid[0], tile_w * grid[1]
    padded = np.pad(
        images, [(0, 0), (0, ph - height), (0, pw - width), (0, 0)], mode="symmetric"
    )
    levels = np.clip(padded.astype("int32"), 0, 255)
    maps = np.zeros((batch, grid[0] + 2, grid[1] + 2, channels, 256), "float32")
    pixels = tile_h * tile_w
    for b, i, j, c in np.ndindex(batch, grid[0], grid[1], channels):
        tile = levels[
            b, i * tile_h : (i + 1) * tile_h, j * tile_w : (j + 1) * tile_w, c
        ]
        hist = np.bincount(tile.ravel(), minlength=256).astype("float32")
        if limit > 0:
            clipped = np.clip(hist, 0, limit * pixels / 256.0)
            hist = clipped + (hist - clipped).sum() / 256.0
        cdf = np.cumsum(hist)
        denominator = pixels - cdf.min() or 1.0
        maps[b, i + 1, j + 1, c] = np.clip(
            (cdf - cdf.min()) * 255 / denominator, 0, 255
        )
    maps[:, 0], maps[:, -1] = maps[:, 1], maps[:, -2]
    maps[:, :, 0], maps[:, :, -1] = maps[:, :, 1], maps[:, :, -2]

    def corners(tile, count, size):
        position = (np.arange(size) - tile / 2.0) / tile + 1.0
        low = np.floor(position)
        return (
            np.clip(low, 0, count + 1).astype(int),
            np.clip(low + 1, 0, count + 1).astype(int),
            position - low,
        )

    y0, y1, wy = corners(tile_h, grid[0], ph)
    x0, x1, wx = corners(tile_w, grid[1], pw)
    out = np.zeros_like(padded)
    for b, y, x, c in np.ndindex(batch, height, width, channels):
        v = levels[b, y, x, c]
        top = (
            maps[b, y0[y], x0[x], c, v] * (1 - wx[x])
            + maps[b, y0[y], x1[x], c, v] * wx[x]
        )
        low = (
            maps[b, y1[y], x0[x], c, v] * (1 - wx[x])
            + maps[b, y1[y], x1[x], c, v] * wx[x]
        )
        out[b, y, x, c] = top * (1 - wy[y]) + low * wy[y]
    return out[:, :height, :width]


@pytest.mark.parametrize(
    ("shape", "grid", "limit"),
    [
        ((2, 16, 16, 3), (4, 4), 4.0),
        ((2, 13, 10, 1), (3, 4), 2.0),
        ((1, 9, 11, 2), (2, 2), 0.0),
    ],
)
def test_matches_the_transcription(rng, shape, grid, limit):
    images = np.round(rng.uniform(0, 255, size=shape)).astype("float32")
    out = CLAHE(clip_limit=limit, tile_grid_size=grid)(images).numpy()
    np.testing.assert_allclose(out, clahe(images, grid, limit), rtol=1e-5, atol=1e-3)


def test_value_range_and_single_images(rng):
    images = rng.uniform(0, 1, size=(9, 11, 2)).astype("float32")
    layer = CLAHE(value_range=(0, 1), tile_grid_size=(2, 2))
    out = layer(images).numpy()
    expected = clahe(images[None] * 255, (2, 2), 4.0)[0] / 255
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_in_a_model_on_both_backends(rng, backend):
    images = np.round(rng.uniform(0, 255, size=(3, 12, 12, 3))).astype("float32")
    x = kg.Input(shape=(12, 12, 3))
    model = kg.Model(x, CLAHE(tile_grid_size=(3, 3))(x))
    model.compile(backend=backend)
    np.testing.assert_allclose(
        model.predict(images, verbose=0), clahe(images, (3, 3), 4.0), atol=1e-3
    )


def test_standard_checks():
    run_layer_test(
        CLAHE,
        {"tile_grid_size": (2, 2)},
        input_shape=(2, 8, 8, 3),
        expected_output_shape=(2, 8, 8, 3),
    )


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_save_and_load(rng, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    images = rng.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    x = kg.Input(shape=(8, 8, 3))
    model = kg.Model(x, CLAHE(clip_limit=2.0, tile_grid_size=(2, 2))(x))
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )


def test_config():
    config = CLAHE(clip_limit=3.0, tile_grid_size=(4, 2)).get_config()
    assert config["clip_limit"] == 3.0 and config["tile_grid_size"] == (4, 2)
    assert config["value_range"] == [0, 255]
    assert CLAHE.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CLAHE(tile_grid_size=(0, 2)), r"tile_grid_size"),
        (lambda: CLAHE(clip_limit="high"), r"clip_limit"),
        (lambda: CLAHE(value_range=1), r"value_range"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
