"""Image helpers through Pillow (optional): arrays to images and back,
files, and the ImportError without Pillow."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import kgraph as kg


def test_without_pillow_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        kg.utils.array_to_img(np.zeros((2, 2, 3)))


def test_img_to_array_needs_no_pillow_for_arrays():
    assert kg.utils.img_to_array(np.zeros((4, 5), "uint8")).shape == (4, 5, 1)
    assert kg.utils.img_to_array(
        np.zeros((4, 5, 3)), data_format="channels_first"
    ).shape == (3, 4, 5)


def test_array_to_img_scales_to_0_255_and_back():
    pytest.importorskip("PIL")
    values = np.linspace(-1.0, 1.0, 2 * 3 * 3).reshape(2, 3, 3)
    image = kg.utils.array_to_img(values)
    assert image.size == (3, 2) and image.mode == "RGB"
    # Keras's scaling, in float32: shift to 0, divide by the max, times 255.
    shifted = values.astype("float32") - np.float32(values.min())
    expected = (shifted / shifted.max() * 255).astype("uint8")
    np.testing.assert_array_equal(kg.utils.img_to_array(image), expected)
    gray = kg.utils.array_to_img(np.full((2, 2, 1), 7.0), scale=False)
    assert gray.mode == "L"


def test_save_and_load_round_trip(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 8, 3)).astype("float32")
    path = tmp_path / "image.png"
    kg.utils.save_img(path, pixels, scale=False)
    loaded = kg.utils.img_to_array(kg.utils.load_img(path))
    np.testing.assert_array_equal(loaded, pixels)
    small = kg.utils.load_img(path, color_mode="grayscale", target_size=(3, 4))
    assert small.size == (4, 3) and small.mode == "L"
    cropped = kg.utils.load_img(path, target_size=(3, 3), keep_aspect_ratio=True)
    assert cropped.size == (3, 3)
    with pytest.raises(ValueError, match="color_mode"):
        kg.utils.load_img(path, color_mode="cmyk")
