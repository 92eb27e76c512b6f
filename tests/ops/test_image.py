"""``kgraph.ops.image``: ``resize`` and ``affine_transform`` against NumPy
transcriptions of Keras's JAX backend (``jax.image.resize`` without
antialiasing, ``jax.scipy.ndimage.map_coordinates``), eagerly and inside
models on both backends, and the ``iota`` primitive."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kgraph as kg
from kgraph.ops import image
from kgraph.testing import image_reference as reference

# -- NumPy transcriptions: kgraph.testing.image_reference --------------------------

numpy_resize = reference.resize
numpy_affine = reference.affine_transform


def rotation(angles, height, width, scale=1.0, tx=0.0, ty=0.0):
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    c, s = np.cos(angles), np.sin(angles)
    a0, a1, b0, b1 = scale * c, -scale * s, scale * s, scale * c
    a2 = tx + cx - cx * a0 - cy * a1
    b2 = ty + cy - cx * b0 - cy * b1
    zero = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zero, zero], 1).astype("float32")


# -- resize ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(3, 4), (14, 20), (7, 5), (1, 1), (10, 9)])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resize_follows_jax_half_pixel_resize(rng, size, interpolation):
    images = rng.normal(size=(2, 7, 9, 3)).astype("float32")
    got = image.resize(images, size, interpolation=interpolation).numpy()
    expected = numpy_resize(images, *size, interpolation)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_resize_known_values():
    column = np.arange(5, dtype="float32").reshape(1, 5, 1, 1)
    down = image.resize(column, (3, 1)).numpy().ravel()
    np.testing.assert_allclose(down, [1 / 3, 2.0, 11 / 3], rtol=1e-6)
    up = image.resize(column, (8, 1)).numpy().ravel()
    np.testing.assert_allclose(
        up, [0, 0.4375, 1.0625, 1.6875, 2.3125, 2.9375, 3.5625, 4], rtol=1e-6
    )
    nearest = image.resize(column, (3, 1), interpolation="nearest")
    np.testing.assert_array_equal(nearest.numpy().ravel(), [0, 2, 4])


def test_resize_a_single_image_and_crop_or_pad_to_aspect_ratio(rng):
    images = rng.normal(size=(1, 6, 10, 2)).astype("float32")
    single = image.resize(images[0], (3, 3)).numpy()
    np.testing.assert_allclose(single, numpy_resize(images, 3, 3, "bilinear")[0], 1e-5)
    cropped = image.resize(images, (4, 4), crop_to_aspect_ratio=True).numpy()
    # Keras: crop a centred 6x6 window, then resize.
    expected = numpy_resize(images[:, :, 2:8], 4, 4, "bilinear")
    np.testing.assert_allclose(cropped, expected, rtol=1e-5, atol=1e-6)
    padded = image.resize(
        images, (4, 4), pad_to_aspect_ratio=True, fill_value=0.5
    ).numpy()
    # Keras: pad 2 rows of 0.5 above and below (10x10), then resize.
    grown = np.pad(images, ((0, 0), (2, 2), (0, 0), (0, 0)), constant_values=0.5)
    expected = numpy_resize(grown, 4, 4, "bilinear")
    np.testing.assert_allclose(padded, expected, rtol=1e-5, atol=1e-6)


def test_resize_integer_images_stay_integers():
    images = np.arange(12, dtype="int32").reshape(1, 3, 4, 1)
    out = image.resize(images, (6, 8)).numpy()
    assert out.dtype == np.int32
    expected = numpy_resize(images.astype("float32"), 6, 8, "bilinear")
    np.testing.assert_array_equal(out, np.floor(expected + 0.5).astype("int32"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interpolation": "bicubic"}, r"interpolation"),
        ({"size": (3,)}, r"two positive integers"),
        ({"fill_mode": "reflect"}, r"Only 'constant'"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, r"only one"),
        ({"data_format": "channels_first"}, r"channels last"),
        ({"antialias": True, "size": (2, 2)}, r"antialiasing"),
    ],
)
def test_resize_rejects_what_it_does_not_do(kwargs, message):
    arguments = {"size": (3, 3), **kwargs}
    with pytest.raises(ValueError, match=message):
        image.resize(np.zeros((1, 4, 4, 1), "float32"), **arguments)


def test_resize_rejects_the_wrong_rank():
    with pytest.raises(ValueError, match=r"rank 3"):
        image.resize(np.zeros((4, 4), "float32"), (2, 2))


# -- affine_transform ---------------------------------------------------------------


def _transforms():
    angles = np.array([0.3, -1.2, 2.0], "float32")
    return rotation(
        angles,
        7,
        9,
        np.array([0.8, 1.3, 1.0], "float32"),
        np.array([1.5, -2.2, 0.3], "float32"),
        np.array([0.0, 4.1, -3.3], "float32"),
    )


@pytest.mark.parametrize(
    "fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"]
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_transform_follows_map_coordinates(rng, fill_mode, interpolation):
    images = rng.normal(size=(3, 7, 9, 2)).astype("float32")
    transforms = _transforms()
    got = image.affine_transform(
        images,
        transforms,
        interpolation=interpolation,
        fill_mode=fill_mode,
        fill_value=0.5,
    ).numpy()
    expected = numpy_affine(images, transforms, interpolation, fill_mode, 0.5)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_affine_transform_projective_terms_divide(rng):
    images = rng.normal(size=(1, 5, 6, 1)).astype("float32")
    transform = np.array([[1.0, 0.1, 0.2, 0.0, 0.9, 0.1, 0.02, 0.03]], "float32")
    got = image.affine_transform(images, transform, fill_mode="nearest").numpy()
    expected = numpy_affine(images, transform, "bilinear", "nearest", 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_affine_transform_one_transform_for_a_single_image(rng):
    images = rng.normal(size=(1, 7, 9, 2)).astype("float32")
    transform = _transforms()[1]
    got = image.affine_transform(images[0], transform, fill_mode="reflect").numpy()
    expected = numpy_affine(images, transform[None], "bilinear", "reflect", 0.0)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_affine_transform_identity_and_shift():
    images = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    np.testing.assert_array_equal(
        image.affine_transform(images, identity).numpy(), images
    )
    shift = [1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    moved = image.affine_transform(images, shift, fill_value=-1.0).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(moved[:, 0], [-1.0, -1.0, -1.0])
    np.testing.assert_array_equal(moved[:, 1:], images[0, :, :3, 0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interpolation": "bicubic"}, r"interpolation"),
        ({"fill_mode": "edge"}, r"fill_mode"),
    ],
)
def test_affine_transform_rejects_unknown_modes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        image.affine_transform(np.zeros((1, 3, 3, 1)), np.zeros(8), **kwargs)


def test_affine_transform_rejects_a_bad_transform_shape():
    with pytest.raises(ValueError, match=r"transform"):
        image.affine_transform(np.zeros((1, 3, 3, 1)), np.zeros(6))


# -- in models, on both backends ---------------------------------------------------


def test_resize_and_affine_transform_in_a_model(rng, backend):
    del backend  # the fixture selects the backend predict uses
    x = kg.Input(shape=(7, 9, 2))
    t = kg.Input(shape=(8,))
    outputs = [
        image.affine_transform(x, t, fill_mode="reflect"),
        image.resize(x, (4, 12)),
        image.resize(x, (3, 5), interpolation="nearest"),
    ]
    model = kg.Model([x, t], outputs)
    images = rng.normal(size=(3, 7, 9, 2)).astype("float32")
    transforms = _transforms()
    affined, bilinear, nearest = model.predict([images, transforms], verbose=0)
    np.testing.assert_allclose(
        affined,
        numpy_affine(images, transforms, "bilinear", "reflect", 0.0),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        bilinear, numpy_resize(images, 4, 12, "bilinear"), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(nearest, numpy_resize(images, 3, 5, "nearest"))


def test_resize_is_differentiable(rng):
    images = rng.normal(size=(2, 4, 5, 1)).astype("float32")
    x = kg.Input(shape=(4, 5, 1))
    y = kg.layers.Dense(1)(kg.layers.Flatten()(image.resize(x, (6, 3))))
    model = kg.Model(x, y)
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    before = model.get_weights()[0].copy()
    model.fit(images, np.ones((2, 1), "float32"), verbose=0)
    assert not np.allclose(before, model.get_weights()[0])


# -- iota -----------------------------------------------------------------------------


def test_iota_counts_along_an_axis():
    np.testing.assert_array_equal(
        image.iota(np.zeros((2, 3)), axis=1).numpy(), [[0, 1, 2], [0, 1, 2]]
    )
    assert image.iota(np.zeros((2, 3)), axis=0, dtype="int64").numpy().dtype == np.int64
    with pytest.raises(Exception, match=r"integer dtype"):
        image.iota(np.zeros(2), dtype="float32")


# -- map_coordinates --------------------------------------------------------------


def numpy_map_coordinates(inputs, coordinates, order, fill_mode, fill_value):
    """jax.scipy.ndimage.map_coordinates, point by point."""
    out = np.zeros(coordinates.shape[1:], dtype=np.float64)
    for position in np.ndindex(*coordinates.shape[1:]):
        nodes = []
        for axis in range(inputs.ndim):
            c = float(coordinates[(axis, *position)])
            if order == 0:
                nodes.append([(int(np.sign(c) * np.floor(abs(c) + 0.5)), 1.0)])
            else:
                low = np.floor(c)
                nodes.append([(int(low), 1 - (c - low)), (int(low) + 1, c - low)])
        value = 0.0
        for corner in itertools.product(*nodes):
            index = tuple(
                reference.fix_index(i, n, fill_mode)
                for (i, _), n in zip(corner, inputs.shape, strict=True)
            )
            inside = all(
                0 <= i < n for (i, _), n in zip(corner, inputs.shape, strict=True)
            )
            pixel = inputs[index] if inside or fill_mode != "constant" else fill_value
            value += np.prod([w for _, w in corner]) * pixel
        out[position] = value
    return out


@pytest.mark.parametrize(
    "fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"]
)
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_follows_jax(rng, order, fill_mode):
    inputs = rng.normal(size=(4, 5, 3)).astype("float32")
    coordinates = rng.uniform(-2, 7, size=(3, 6, 7)).astype("float32")
    got = image.map_coordinates(inputs, coordinates, order, fill_mode, 0.5).numpy()
    expected = numpy_map_coordinates(inputs, coordinates, order, fill_mode, 0.5)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_map_coordinates_keras_example_and_errors():
    grid = np.arange(12, dtype="float32").reshape(3, 4)
    got = image.map_coordinates(grid, [[0.5, 1.5], [1.5, 2.5]], order=1).numpy()
    np.testing.assert_allclose(got, [3.5, 8.5])
    with pytest.raises(ValueError, match=r"rank of `inputs`"):
        image.map_coordinates(grid, [[0.5]], order=1)
    with pytest.raises(ValueError, match=r"`order` must be 0 or 1"):
        image.map_coordinates(grid, [[0.5], [0.5]], order=3)


# -- crop_images and pad_images ------------------------------------------------------


def test_crop_and_pad_images_infer_the_missing_side(rng):
    images = rng.normal(size=(2, 5, 6, 3)).astype("float32")
    cropped = image.crop_images(images, 1, 2, target_height=3, right_cropping=1)
    np.testing.assert_array_equal(cropped.numpy(), images[:, 1:4, 2:5])
    padded = image.pad_images(images[0], 1, 2, target_height=9, right_padding=1)
    np.testing.assert_array_equal(
        padded.numpy(), np.pad(images[0], ((1, 3), (2, 1), (0, 0)))
    )


@pytest.mark.parametrize(
    ("function", "kwargs", "message"),
    [
        (image.crop_images, {"top_cropping": 1}, r"exactly two"),
        (
            image.crop_images,
            {
                "top_cropping": 4,
                "target_height": 3,
                "left_cropping": 0,
                "target_width": 1,
            },
            r"inside the images",
        ),
        (
            image.pad_images,
            {"top_padding": -1, "bottom_padding": 0},
            r"exactly two|>= 0",
        ),
    ],
)
def test_crop_and_pad_images_validate(function, kwargs, message):
    with pytest.raises(ValueError, match=message):
        function(np.zeros((1, 5, 5, 1), "float32"), **kwargs)


# -- colour conversions -------------------------------------------------------------


def numpy_rgb_to_hsv(images):
    """dm_pix's rgb_to_hsv, as Keras's JAX backend."""
    images = np.where(np.abs(images) < np.finfo(np.float32).eps, 0.0, images)
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    value = np.maximum(np.maximum(r, g), b)
    spread = value - np.minimum(np.minimum(r, g), b)
    saturation = np.where(value > 0, spread / np.where(value > 0, value, 1), 0)
    norm = 1.0 / (6.0 * np.where(spread > 0, spread, 1.0))
    hue = np.where(value == g, norm * (b - r) + 2 / 6, norm * (r - g) + 4 / 6)
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(spread > 0, hue, 0.0) + (hue < 0)
    return np.stack([hue, saturation, value], -1)


def numpy_hsv_to_rgb(images):
    h, s, v = images[..., 0], images[..., 1], images[..., 2]
    sector = np.mod(h, 1.0) * 6.0
    dr = np.clip(np.abs(sector - 3) - 1, 0, 1)
    dg = np.clip(2 - np.abs(sector - 2), 0, 1)
    db = np.clip(2 - np.abs(sector - 4), 0, 1)
    return np.stack([v * (1 - s + s * d) for d in (dr, dg, db)], -1)


def test_colour_conversions_follow_keras(rng, backend):
    del backend
    images = rng.uniform(0, 1, size=(2, 5, 6, 3)).astype("float32")
    images[0, 0, 0] = [0.5, 0.5, 0.5]
    x = kg.Input(shape=(5, 6, 3))
    model = kg.Model(
        x, [image.rgb_to_grayscale(x), image.rgb_to_hsv(x), image.hsv_to_rgb(x)]
    )
    gray, hsv, rgb = model.predict(images, verbose=0)
    luma = np.float32([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(gray, images @ luma[:, None], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hsv, numpy_rgb_to_hsv(images), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rgb, numpy_hsv_to_rgb(images), rtol=1e-5, atol=1e-6)
    round_trip = image.hsv_to_rgb(image.rgb_to_hsv(images)).numpy()
    np.testing.assert_allclose(round_trip, images, rtol=1e-5, atol=1e-5)


def test_grayscale_keeps_integers_and_single_channels():
    images = np.full((1, 2, 2, 3), 100, "int32")
    assert image.rgb_to_grayscale(images).numpy().dtype == np.int32
    gray = np.ones((2, 2, 1), "float32")
    assert image.rgb_to_grayscale(gray) is not None
    with pytest.raises(ValueError, match=r"channel size"):
        image.rgb_to_grayscale(np.ones((2, 2, 2), "float32"))
    with pytest.raises(ValueError, match=r"float dtype"):
        image.rgb_to_hsv(images)
