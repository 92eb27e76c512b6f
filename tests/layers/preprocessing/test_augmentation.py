"""The augmentation layers: identities at inference; in training, Keras's
formulas (NumPy transcriptions below) applied to the values kgraph's
counter-based generator draws; the same images from the interpreter and
native code for one key; configs, seeds and saving."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.ops import builder
from kgraph.ops.random import uniform_bits
from kgraph.testing import image_reference as reference
from kgraph.testing.test_case import run_layer_test

BITS = (1 << 63) - 1
KEY = 7
SHAPE = (3, 8, 9, 2)


def draws(layer, draw, count, low, high):
    """What ``layer.uniform(..., draw, low, high)`` gives for ``KEY``."""
    values = uniform_bits(KEY, (layer.random_salt + draw) & BITS, count)
    return values * np.float32(high - low) + np.float32(low)


def training_graph(layer, shape=SHAPE):
    x = kg.ops.placeholder(kg.Graph(), "x", shape)
    y = layer(x, training=True)
    return x.graph.subgraph({"y": y.node_id})


def run_training(layer, data):
    """The layer in training mode on the interpreter, keyed by ``KEY``."""
    graph = training_graph(layer, data.shape)
    return interpreter.run(graph, {"x": data, "seed": np.int64(KEY)})["y"]


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, size=SHAPE).astype("float32")


def all_layers():
    return [
        layers.RandomFlip(),
        layers.RandomRotation(0.2),
        layers.RandomZoom(0.3, 0.2),
        layers.RandomTranslation(0.2, 0.3, fill_mode="wrap", interpolation="nearest"),
        layers.RandomContrast(0.5),
        layers.RandomBrightness(0.3),
        layers.RandomCrop(5, 6),
        layers.RandomShear(0.3, (0.1, 0.4), fill_mode="constant"),
    ]


# -- the standard checks ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "output_shape"),
    [
        (layers.RandomFlip, {"seed": 1}, SHAPE),
        (layers.RandomRotation, {"factor": 0.1}, SHAPE),
        (layers.RandomZoom, {"height_factor": 0.1}, SHAPE),
        (layers.RandomTranslation, {"height_factor": 0.1, "width_factor": 0.1}, SHAPE),
        (layers.RandomContrast, {"factor": 0.2}, SHAPE),
        (layers.RandomBrightness, {"factor": 0.2}, SHAPE),
        (layers.RandomCrop, {"height": 4, "width": 5}, (3, 4, 5, 2)),
        (layers.RandomShear, {"x_factor": 0.2}, SHAPE),
    ],
)
def test_augmentation_standard_checks(cls, kwargs, output_shape):
    # The standard checks compare an eager call with ``predict``: eager calls
    # run in inference mode here (alone, these layers augment, as in Keras).
    with builder.training_scope(False):
        run_layer_test(
            cls, kwargs, input_shape=SHAPE, expected_output_shape=output_shape
        )


# -- inference: identities ----------------------------------------------------------


@pytest.mark.parametrize(
    "layer",
    [layer for layer in all_layers() if not isinstance(layer, layers.RandomCrop)],
    ids=lambda layer: layer.name,
)
def test_augmentation_is_the_identity_at_inference(images, layer):
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    x = kg.Input(shape=SHAPE[1:])
    np.testing.assert_array_equal(
        kg.Model(x, layer(x)).predict(images, verbose=0), images
    )


def test_augmentation_makes_floats_at_inference():
    out = layers.RandomFlip()(np.ones((1, 2, 2, 1), "int32")).numpy()
    assert out.dtype == np.float32


def test_random_crop_at_inference_crops_the_centre_and_resizes(images):
    expected = reference.resize(images[:, :, 0:8], 5, 5)
    np.testing.assert_allclose(
        layers.RandomCrop(5, 5)(images, training=False).numpy(),
        expected,
        rtol=1e-5,
        atol=1e-3,
    )


def test_an_eager_call_without_training_augments_as_in_keras(images):
    layer = layers.RandomBrightness(0.5, value_range=(-1000, 2000))
    out = layer(images).numpy()
    assert not np.array_equal(out, images)
    delta = (out - images)[:, :1, :1, :1]
    np.testing.assert_allclose(out, images + delta, rtol=1e-5)
    assert np.all(np.abs(delta) <= 1500.0)


def test_inside_a_model_call_the_model_decides(images):
    x = kg.Input(shape=SHAPE[1:])
    model = kg.Model(x, layers.RandomFlip()(x))
    np.testing.assert_array_equal(np.asarray(model(images)), images)


def test_augmentation_follows_the_graph_training_input(images):
    x = kg.ops.placeholder(kg.Graph(), "x", SHAPE)
    layer = layers.RandomBrightness(0.5)
    graph = x.graph.subgraph({"y": layer(x).node_id})
    feeds = {"x": images, "seed": np.int64(KEY)}
    off = interpreter.run(graph, {**feeds, "training": np.bool_(False)})["y"]
    on = interpreter.run(graph, {**feeds, "training": np.bool_(True)})["y"]
    np.testing.assert_array_equal(off, images)
    np.testing.assert_array_equal(on, run_training(layer, images))


# -- training: Keras's formulas on kgraph's draws -------------------------------------


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_flips_images_whose_draw_is_at_most_half(images, mode):
    layer = layers.RandomFlip(mode)
    flips = (draws(layer, 0, 3, 0.0, 1.0) <= 0.5)[:, None, None, None]
    expected = images
    if mode != "vertical":
        expected = np.where(flips, expected[:, :, ::-1], expected)
    if mode != "horizontal":
        expected = np.where(flips, expected[:, ::-1], expected)
    np.testing.assert_array_equal(run_training(layer, images), expected)


def _rotation_matrix(degrees, height, width):
    angle = degrees * np.float32(np.pi / 180.0)
    cx, cy = np.float32(0.5 * (width - 1)), np.float32(0.5 * (height - 1))
    a0, a1, b0, b1 = np.cos(angle), -np.sin(angle), np.sin(angle), np.cos(angle)
    a2 = cx - a0 * cx - a1 * cy
    b2 = cy - b0 * cx - b1 * cy
    zero = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant"])
def test_random_rotation_rotates_by_the_drawn_angles(images, fill_mode):
    layer = layers.RandomRotation((-0.3, 0.1), fill_mode=fill_mode, fill_value=9.0)
    assert layer.factor == (-0.3, 0.1)
    degrees = draws(layer, 0, 3, -0.3 * 360.0, 0.1 * 360.0)
    transforms = _rotation_matrix(degrees, 8, 9)
    expected = reference.affine_transform(
        images, transforms, fill_mode=fill_mode, fill_value=9.0
    )
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-4, atol=2e-3
    )


@pytest.mark.parametrize("width_factor", [None, (-0.5, 0.2)])
def test_random_zoom_scales_about_the_centre(images, width_factor):
    layer = layers.RandomZoom((-0.4, 0.3), width_factor, interpolation="nearest")
    zoom_h = draws(layer, 0, 3, 0.6, 1.3)
    zoom_w = zoom_h if width_factor is None else draws(layer, 1, 3, 0.5, 1.2)
    zero = np.zeros(3, "float32")
    transforms = np.stack(
        [
            zoom_w,
            zero,
            (1 - zoom_w) * 4.0,
            zero,
            zoom_h,
            (1 - zoom_h) * 3.5,
            zero,
            zero,
        ],
        axis=1,
    )
    expected = reference.affine_transform(
        images, transforms, interpolation="nearest", fill_mode="reflect"
    )
    np.testing.assert_allclose(run_training(layer, images), expected, rtol=1e-6)


def test_random_translation_shifts_by_fractions_of_the_size(images):
    layer = layers.RandomTranslation(0.25, (-0.5, 0.1), fill_mode="nearest")
    shift_y = draws(layer, 0, 3, -0.25, 0.25) * np.float32(8)
    shift_x = draws(layer, 1, 3, -0.5, 0.1) * np.float32(9)
    one, zero = np.ones(3, "float32"), np.zeros(3, "float32")
    transforms = np.stack([one, zero, -shift_x, zero, one, -shift_y, zero, zero], 1)
    expected = reference.affine_transform(images, transforms, fill_mode="nearest")
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-4, atol=1e-3
    )


def test_random_shear_shears_by_the_drawn_factors(images):
    layer = layers.RandomShear((0.1, 0.3), 0.2, interpolation="nearest")
    sign = np.where(draws(layer, 0, 3, 0.0, 1.0) > 0.5, -1.0, 1.0).astype("float32")
    shear_y = draws(layer, 1, 3, -0.2, 0.2) * sign
    shear_x = draws(layer, 2, 3, 0.1, 0.3) * sign
    one, zero = np.ones(3, "float32"), np.zeros(3, "float32")
    transforms = np.stack([one, shear_x, zero, shear_y, one, zero, zero, zero], 1)
    expected = reference.affine_transform(
        images, transforms, interpolation="nearest", fill_mode="reflect"
    )
    np.testing.assert_allclose(run_training(layer, images), expected, rtol=1e-6)
    assert layer.x_factor == (0.1, 0.3) and layer.y_factor == (-0.2, 0.2)
    config = layer.get_config()  # the arguments, which Keras's constructor takes
    assert config["x_factor"] == [0.1, 0.3] and config["y_factor"] == 0.2
    with pytest.raises(ValueError, match=r"\[0, 1.0\]"):
        layers.RandomShear(-0.5)


def test_random_contrast_scales_deviations_from_the_mean(images):
    layer = layers.RandomContrast(0.6)
    assert layer.factor == (0.0, 0.6)  # Keras bounds the range below at 0
    factor = draws(layer, 0, 3, 1.0, 1.6)[:, None, None, None]
    mean = images.mean(axis=1, keepdims=True).mean(axis=2, keepdims=True)
    expected = np.clip((images - mean) * factor + mean, 0, 255)
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-5, atol=1e-3
    )


def test_random_brightness_adds_a_fraction_of_the_range(images):
    layer = layers.RandomBrightness((-0.2, 0.4), value_range=(0, 100))
    delta = draws(layer, 0, 3, -0.2, 0.4)[:, None, None, None] * np.float32(100)
    expected = np.clip(images + delta, 0, 100)
    np.testing.assert_allclose(run_training(layer, images), expected, rtol=1e-6)


def test_random_crop_takes_one_random_window_for_the_batch(images):
    layer = layers.RandomCrop(5, 6)
    top = int(draws(layer, 0, 1, 0.0, 1.0)[0] * np.float32(4))
    left = int(draws(layer, 1, 1, 0.0, 1.0)[0] * np.float32(4))
    expected = images[:, top : top + 5, left : left + 6]
    np.testing.assert_array_equal(run_training(layer, images), expected)


def test_random_crop_of_a_small_image_in_training_resizes(images):
    out = run_training(layers.RandomCrop(8, 12), images)
    expected = reference.resize(images[:, 1:7], 8, 12)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


def test_single_images_are_augmented_too(rng):
    image = rng.uniform(0, 255, size=(8, 9, 2)).astype("float32")
    layer = layers.RandomTranslation(0.3, 0.3, fill_mode="constant")
    out = run_training(layer, image)
    assert out.shape == image.shape and not np.array_equal(out, image)


# -- both backends, keys and seeds -------------------------------------------------


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_native_code_draws_the_same_augmentation(images, layer):
    native = pytest.importorskip("kgraph.testing.native")
    graph = training_graph(layer)
    feeds = {"x": images, "seed": np.int64(KEY)}
    expected = interpreter.run(graph, feeds)["y"]
    got = native.run_graph(native.compile_graph(graph), feeds)["y"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


def test_other_keys_give_other_augmentations(images):
    graph = training_graph(layers.RandomRotation(0.3))
    first = interpreter.run(graph, {"x": images, "seed": np.int64(1)})["y"]
    again = interpreter.run(graph, {"x": images, "seed": np.int64(1)})["y"]
    other = interpreter.run(graph, {"x": images, "seed": np.int64(2)})["y"]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_seeds_fix_the_stream():
    assert (
        layers.RandomFlip(seed=3).random_salt == layers.RandomFlip(seed=3).random_salt
    )
    assert (
        layers.RandomFlip(seed=3).random_salt != layers.RandomFlip(seed=4).random_salt
    )
    assert layers.RandomFlip().random_salt != layers.RandomFlip().random_salt


def test_augmentation_trains_on_both_backends(images, backend):
    x = kg.Input(shape=SHAPE[1:])
    y = layers.RandomFlip("horizontal")(x)
    y = layers.RandomRotation(0.1)(y)
    y = layers.RandomZoom(0.1)(y)
    y = layers.RandomContrast(0.2)(y)
    y = layers.Rescaling(1.0 / 255)(y)
    y = layers.Dense(1)(layers.Flatten()(y))
    model = kg.Model(x, y)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(images, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# -- configs and saving --------------------------------------------------------------


def test_configs_hold_keras_keys():
    config = layers.RandomRotation(0.1).get_config()
    assert config["factor"] == (-0.1, 0.1)
    assert config["fill_mode"] == "reflect" and config["interpolation"] == "bilinear"
    assert layers.RandomContrast(0.2).get_config()["factor"] == (0.0, 0.2)
    assert layers.RandomBrightness(0.2).get_config()["value_range"] == [0, 255]
    zoom = layers.RandomZoom(0.1).get_config()
    assert zoom["height_factor"] == 0.1 and zoom["width_factor"] is None
    assert "salt" not in layers.RandomFlip(seed=5).get_config()


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_config_round_trip_keeps_the_stream(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert again.random_salt == layer.random_salt


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_augmentation_models_save_and_load(images, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    x = kg.Input(shape=SHAPE[1:])
    y = layers.RandomRotation(0.2, fill_mode="constant")(layers.RandomFlip()(x))
    y = layers.RandomCrop(4, 4)(y)
    model = kg.Model(x, y)
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )
    if suffix == ".kgraph":
        assert loaded.layers[1].random_salt == model.layers[1].random_salt


# -- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: layers.RandomFlip("diagonal"), ValueError, r"`mode` must be"),
        (lambda: layers.RandomRotation(1.5), ValueError, r"\[-1.0, 1.0\]"),
        (
            lambda: layers.RandomRotation(0.1, fill_mode="edge"),
            NotImplementedError,
            "fill",
        ),
        (lambda: layers.RandomZoom(-1.0), ValueError, r"\(-1.0, 1.0\]"),
        (lambda: layers.RandomTranslation(0.1, 2.0), ValueError, r"width_factor"),
        (lambda: layers.RandomContrast(-0.5), ValueError, r"\[0.0, 1.0\]"),
        (
            lambda: layers.RandomBrightness(0.1, value_range=5),
            ValueError,
            r"value_range",
        ),
        (lambda: layers.RandomCrop(0, 3), ValueError, r"positive integer"),
        (lambda: layers.RandomFlip(seed=1.5), ValueError, r"`seed` must be an integer"),
    ],
)
def test_augmentation_rejects_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_augmentation_rejects_inputs_that_are_not_images():
    with pytest.raises(ValueError, match=r"rank 3"):
        layers.RandomFlip()(kg.Input(shape=(4,)))


def test_fit_with_augmentation_is_the_same_on_both_backends(images):
    def train(backend):
        kg.utils.set_random_seed(7)
        x = kg.Input(shape=SHAPE[1:])
        y = layers.RandomFlip("horizontal")(x)
        y = layers.RandomRotation(0.1)(y)
        y = layers.RandomZoom(0.2)(y)
        y = layers.RandomContrast(0.3)(y)
        y = layers.Rescaling(1.0 / 255)(y)
        y = layers.Dense(1)(layers.Flatten()(y))
        model = kg.Model(x, y)
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        targets = np.ones((3, 1), "float32")
        history = model.fit(
            images, targets, epochs=2, batch_size=2, shuffle=False, verbose=0
        )
        return history.history["loss"], model.get_weights()[0]

    native_loss, native_kernel = train("llvm")
    numpy_loss, numpy_kernel = train("numpy")
    np.testing.assert_allclose(native_loss, numpy_loss, rtol=1e-5)
    np.testing.assert_allclose(native_kernel, numpy_kernel, rtol=1e-5, atol=1e-6)
