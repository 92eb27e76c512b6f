"""The colour layers: Keras's formulas (NumPy transcriptions below) on the
values kgraph's generator draws; identities at inference (except
``AutoContrast``); the same images from the interpreter and native code;
configs and saving."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.ops.random import uniform_bits
from kgraph.testing.test_case import run_layer_test

BITS = (1 << 63) - 1
KEY = 7
SHAPE = (4, 8, 9, 3)


def draws(layer, draw, low, high, count=SHAPE[0]):
    values = uniform_bits(KEY, (layer.random_salt + draw) & BITS, count)
    return values * np.float32(high - low) + np.float32(low)


def per_image(values):
    return np.asarray(values, "float32")[:, None, None, None]


def run_training(layer, data):
    x = kg.ops.placeholder(kg.Graph(), "x", data.shape)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    return interpreter.run(graph, {"x": data, "seed": np.int64(KEY)})["y"]


@pytest.fixture
def images(rng):
    data = rng.uniform(0, 255, size=SHAPE).astype("float32")
    data[0, :, :, 1] = 17.0  # a constant channel
    return data


# -- NumPy transcriptions of Keras's helpers ------------------------------------------


def gray(x):
    return np.tensordot(x, np.float32([0.2989, 0.5870, 0.1140]), axes=(-1, -1))[
        ..., None
    ]


def rgb_to_hsv(x):
    x = np.where(np.abs(x) < np.finfo("float32").eps, 0.0, x).astype("float32")
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = np.maximum(np.maximum(r, g), b)
    spread = v - np.minimum(np.minimum(r, g), b)
    s = np.where(v > 0, spread / np.where(v > 0, v, 1.0), 0.0)
    norm = 1.0 / (6.0 * np.where(spread > 0, spread, 1.0))
    h = np.where(v == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    h = np.where(v == r, norm * (g - b), h)
    h = np.where(spread > 0, h, 0.0) + (h < 0.0)
    return np.stack([h, s, v], -1).astype("float32")


def hsv_to_rgb(x):
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    dh = np.mod(h, 1.0) * 6.0
    dr = np.clip(np.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = np.clip(2.0 - np.abs(dh - 2.0), 0.0, 1.0)
    db = np.clip(2.0 - np.abs(dh - 4.0), 0.0, 1.0)
    return np.stack([v * (1 - s + s * d) for d in (dr, dg, db)], -1)


def depthwise_same(x, kernel):
    kh, kw = kernel.shape
    padded = np.pad(x, [(0, 0), (kh // 2,) * 2, (kw // 2,) * 2, (0, 0)])
    out = np.zeros_like(x)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * padded[:, i : i + x.shape[1], j : j + x.shape[2]]
    return out


def gaussian(size, sigma):
    x = np.arange(size, dtype="float32") - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


# -- the formulas ------------------------------------------------------------------


def test_solarization(images):
    layer = layers.Solarization((0.1, 0.3), (0.2, 0.9))
    add = per_image(draws(layer, 0, 0.1, 0.3 * 255))
    threshold = per_image(draws(layer, 1, 0.2, 0.9 * 255))
    r = np.clip(images + add, 0, 255)
    expected = np.where(r < threshold, r, 255 - r)
    np.testing.assert_allclose(run_training(layer, images), expected, rtol=1e-6)


def test_solarization_by_default_inverts_in_value_range(images):
    out = run_training(layers.Solarization(value_range=(0, 1)), images / 255)
    np.testing.assert_allclose(out, 1 - images / 255, rtol=1e-5, atol=1e-6)


def test_random_invert(images):
    layer = layers.RandomInvert(0.8, value_range=(0, 300))
    chosen = per_image(draws(layer, 1, 0, 1) < draws(layer, 0, 0, 0.8))
    expected = np.where(chosen, 300 - images, images)
    np.testing.assert_allclose(run_training(layer, images), expected)


@pytest.mark.parametrize("factor", [0.6, 1.0])
def test_random_grayscale(images, factor):
    layer = layers.RandomGrayscale(factor)
    chosen = per_image(draws(layer, 0, 0, 1) < factor)
    expected = np.where(chosen, gray(images), images)
    if factor == 1.0:
        assert chosen.all()
    np.testing.assert_allclose(run_training(layer, images), expected, rtol=1e-5)


def test_random_posterization(images):
    layer = layers.RandomPosterization((2, 7), value_range=(0, 1))
    bits = per_image(np.floor(draws(layer, 0, 2, 7)))
    step = 2.0 ** (8 - bits)
    expected = np.floor(images.astype("uint8") / step) * step / 255
    np.testing.assert_allclose(run_training(layer, images / 255), expected, atol=1e-5)


def auto_contrast(x):
    low = x.min(axis=(1, 2), keepdims=True)
    high = x.max(axis=(1, 2), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 255.0 / (high - low)
        out = np.clip(x * scale - low * scale, 0, 255)
    return np.where(np.isnan(out), x, out)


def test_auto_contrast_in_training_and_inference(images):
    layer = layers.AutoContrast()
    expected = auto_contrast(images)
    np.testing.assert_allclose(layer(images).numpy(), expected, rtol=1e-4, atol=1e-3)
    x = kg.Input(shape=SHAPE[1:])
    out = kg.Model(x, layer(x)).predict(images, verbose=0)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(out[0, ..., 1], images[0, ..., 1])


def test_random_color_degeneration(images):
    layer = layers.RandomColorDegeneration(0.5)
    amount = per_image(draws(layer, 0, -0.5, 0.5))
    expected = np.clip(images + amount * (gray(images) - images), 0, 255)
    np.testing.assert_allclose(run_training(layer, images), expected, atol=1e-3)


def test_random_saturation(images):
    layer = layers.RandomSaturation(0.6, value_range=(0, 1))
    f = draws(layer, 0, -0.6, 0.6)
    scale = (f / (1 - f + 1e-7))[:, None, None]
    hsv = rgb_to_hsv(images)
    hsv[..., 1] = np.clip(hsv[..., 1] * scale, 0, 1)
    expected = hsv_to_rgb(hsv)
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-5, atol=1e-3
    )


def test_random_hue(images):
    layer = layers.RandomHue(0.5)
    sign = np.where(draws(layer, 0, 0, 1) > 0.5, -1.0, 1.0)
    shift = (sign * draws(layer, 1, 0, 0.5) * 0.5)[:, None, None]
    hsv = rgb_to_hsv(images / 255)
    h = hsv[..., 0] + shift
    h = np.where(h > 1, h - 1, h)
    hsv[..., 0] = np.where(h < 0, h + 1, h)
    expected = np.clip(hsv_to_rgb(hsv), 0, 1) * 255
    np.testing.assert_allclose(run_training(layer, images), expected, atol=1e-3)


def test_random_color_jitter_applies_its_steps_in_order(images):
    layer = layers.RandomColorJitter(
        value_range=(0, 255), brightness_factor=0.2, hue_factor=0.3
    )
    brightness, hue = layer.steps
    expected = run_training(hue, run_training(brightness, images))
    np.testing.assert_allclose(run_training(layer, images), expected, atol=1e-4)


def test_random_sharpness(images):
    layer = layers.RandomSharpness(0.7)
    amount = per_image(draws(layer, 0, 0, 0.7) * 2)
    a, b = 1 / 13, 5 / 13
    smooth = depthwise_same(images, np.float32([[a, a, a], [a, b, a], [a, a, a]]))
    expected = np.clip(images + (1 - amount) * (smooth - images), 0, 255)
    np.testing.assert_allclose(run_training(layer, images), expected, atol=1e-3)


def test_random_gaussian_blur(images):
    layer = layers.RandomGaussianBlur(1.0, kernel_size=(3, 5), sigma=(0.3, 0.9))
    chosen = per_image(draws(layer, 1, 0, 1) < draws(layer, 0, 0, 1))
    sigma_x = draws(layer, 2, 0.3, 0.9, 1)[0] + 1e-6
    sigma_y = draws(layer, 3, 0.3, 0.9, 1)[0] + 1e-6
    kernel = np.outer(gaussian(5, sigma_y), gaussian(3, sigma_x))
    expected = np.clip(np.where(chosen, depthwise_same(images, kernel), images), 0, 255)
    np.testing.assert_allclose(run_training(layer, images), expected, atol=1e-3)


def equalize(x, bins=256):
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        channel = x[..., c]
        index = np.clip((channel * (bins - 1) / 255).astype("int32"), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            out[..., c] = channel
            continue
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        table = np.clip(np.round((cdf - cdf_min) * 255 / (cdf[-1] - cdf_min)), 0, 255)
        lookup = np.clip(channel / 255 * (bins - 1), 0, bins - 1).astype("int32")
        out[..., c] = table[lookup]
    return out


@pytest.mark.parametrize("bins", [256, 16])
def test_equalization_over_the_batch(images, bins):
    images = np.round(images)
    images[..., 2] = 40.0  # one occupied bin: kept
    out = run_training(layers.Equalization(bins=bins), images)
    np.testing.assert_allclose(out, equalize(images, bins))


def test_equalization_value_range(images):
    out = run_training(layers.Equalization(value_range=(0, 1)), images / 255)
    np.testing.assert_allclose(out, equalize(images) / 255, rtol=1e-5, atol=1e-5)


# -- inference, backends, configs ---------------------------------------------------


def all_layers():
    return [
        layers.Solarization(0.2, 0.5),
        layers.RandomInvert(),
        layers.RandomGrayscale(),
        layers.RandomPosterization(5),
        layers.RandomColorDegeneration(0.4),
        layers.RandomSaturation(0.5),
        layers.RandomHue(0.4),
        layers.RandomColorJitter(
            brightness_factor=0.1,
            contrast_factor=0.2,
            saturation_factor=0.3,
            hue_factor=0.1,
        ),
        layers.RandomSharpness(0.5),
        layers.RandomGaussianBlur(kernel_size=5),
        layers.Equalization(),
        layers.AutoContrast(),
    ]


@pytest.mark.parametrize("layer", all_layers()[:-1], ids=lambda layer: layer.name)
def test_identity_at_inference(images, layer):
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    x = kg.Input(shape=SHAPE[1:])
    np.testing.assert_array_equal(
        kg.Model(x, layer(x)).predict(images, verbose=0), images
    )


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_native_code_draws_the_same_images(images, layer):
    native = pytest.importorskip("kgraph.testing.native")
    x = kg.ops.placeholder(kg.Graph(), "x", SHAPE)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    feeds = {"x": images, "seed": np.int64(KEY)}
    expected = interpreter.run(graph, feeds)["y"]
    got = native.run_graph(native.compile_graph(graph), feeds)["y"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(
    "layer", all_layers()[:4] + all_layers()[8:], ids=lambda layer: layer.name
)
def test_outputs_stay_in_value_range(images, layer):
    out = run_training(layer, images)
    assert out.min() >= -1e-3 and out.max() <= 255 + 1e-3


def test_color_layers_train_on_both_backends(images, backend):
    x = kg.Input(shape=SHAPE[1:])
    y = layers.RandomHue(0.2, seed=1)(x)
    y = layers.RandomSaturation(0.3)(y)
    y = layers.RandomGaussianBlur(0.5)(y)
    y = layers.AutoContrast()(y)
    y = layers.Rescaling(1.0 / 255)(y)
    model = kg.Model(x, layers.Dense(1)(layers.Flatten()(y)))
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(images, np.ones((4, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (layers.Solarization, {"addition_factor": 0.2}),
        (layers.RandomInvert, {}),
        (layers.RandomGrayscale, {"factor": 1.0}),
        (layers.RandomPosterization, {"factor": 4}),
        (layers.AutoContrast, {}),
        (layers.RandomColorDegeneration, {"factor": 0.5}),
        (layers.RandomSaturation, {"factor": 0.5}),
        (layers.RandomHue, {"factor": 0.5}),
        (layers.RandomColorJitter, {"brightness_factor": 0.2}),
        (layers.RandomSharpness, {"factor": 0.5}),
        (layers.RandomGaussianBlur, {}),
        (layers.Equalization, {}),
    ],
)
def test_standard_checks(cls, kwargs):
    with kg.ops.builder.training_scope(False):
        run_layer_test(cls, kwargs, input_shape=SHAPE, expected_output_shape=SHAPE)


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_config_round_trip(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    if hasattr(layer, "random_salt"):
        assert again.random_salt == layer.random_salt


def test_configs_hold_keras_values():
    assert layers.Solarization(0.5).get_config()["addition_factor"] == (0, 0.5)
    assert layers.RandomPosterization(4).factor == (1, 4)
    assert layers.RandomSaturation(0.5).factor == (-0.5, 0.5)
    assert layers.RandomHue(0.5).factor == (0, 0.5)
    assert layers.RandomGaussianBlur().get_config()["kernel_size"] == (3, 3)
    assert "seed" not in layers.Equalization().get_config()


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_color_models_save_and_load(images, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    x = kg.Input(shape=SHAPE[1:])
    y = layers.RandomHue(0.3)(layers.AutoContrast()(x))
    model = kg.Model(x, layers.Equalization()(y))
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.Solarization(1.5), r"addition_factor"),
        (lambda: layers.RandomGrayscale(2.0), r"between 0 and 1"),
        (lambda: layers.RandomPosterization(9), r"\[1.0, 8.0\]"),
        (lambda: layers.AutoContrast(value_range=3), r"value_range"),
        (lambda: layers.RandomGaussianBlur(kernel_size=4), r"odd"),
        (lambda: layers.Equalization(bins=0), r"positive integer"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_hsv_layers_need_rgb():
    with pytest.raises(ValueError, match=r"3 channels"):
        layers.RandomHue(0.2)(kg.Input(shape=(4, 4, 2)), training=True)
    with pytest.raises(ValueError, match=r"1 \(grayscale\) or 3"):
        layers.RandomGrayscale()(kg.Input(shape=(4, 4, 2)), training=True)
