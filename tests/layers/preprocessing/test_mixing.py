"""``MixUp``, ``CutMix`` and ``RandomErasing``: Keras's formulas (NumPy
transcriptions below, with a NumPy transcription of kgraph's Beta sampler)
on the values kgraph's generator draws; the Beta draws' distribution;
identities at inference; both backends; configs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.layers.preprocessing import mixing
from kgraph.ops.random import normal_bits
from kgraph.ops.random import uniform_bits
from kgraph.testing.test_case import run_layer_test

BITS = (1 << 63) - 1
KEY = 7
SHAPE = (5, 8, 9, 3)


def salt(layer, draw):
    return (layer.random_salt + draw) & BITS


def draws(layer, draw, low, high, count=SHAPE[0]):
    values = uniform_bits(KEY, salt(layer, draw), count)
    return values * np.float32(high - low) + np.float32(low)


def column(values):
    return np.asarray(values, "float32")[:, None, None, None]


def run_training(layer, data):
    x = kg.ops.placeholder(kg.Graph(), "x", data.shape)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    return interpreter.run(graph, {"x": data, "seed": np.int64(KEY)})["y"]


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, size=SHAPE).astype("float32")


def log_gamma(layer, alpha, draw, count):
    """Marsaglia-Tsang for ``alpha + 1``, boosted, as ``mixing`` draws it."""
    d = np.float32(alpha) + 1 - 1 / 3
    c = 1 / np.sqrt(9 * d)
    result = np.full(count, d, "float32")
    for attempt in reversed(range(mixing.GAMMA_ATTEMPTS)):
        z = normal_bits(KEY, salt(layer, draw + 2 * attempt), count)
        u = uniform_bits(KEY, salt(layer, draw + 2 * attempt + 1), count)
        v = (c * z + 1) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (
                np.log(np.maximum(u, 1e-30))
                < 0.5 * z**2 + d * (1 - v + np.log(np.maximum(v, 1e-30)))
            )
        result = np.where(ok, d * v, result)
    boost = 1 - uniform_bits(KEY, salt(layer, draw + 2 * mixing.GAMMA_ATTEMPTS), count)
    return np.log(result) + np.log(boost) / alpha


def beta(layer, alpha, draw, count=SHAPE[0]):
    first = log_gamma(layer, alpha, draw, count)
    second = log_gamma(layer, alpha, draw + 2 * mixing.GAMMA_ATTEMPTS + 1, count)
    return 1 / (1 + np.exp(second - first))


def box_mask(x0, x1, y0, y1, height, width):
    grid_y, grid_x = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    grid_x, grid_y = grid_x[None, :, :, None], grid_y[None, :, :, None]
    x0, x1, y0, y1 = (column(v) for v in (x0, x1, y0, y1))
    return (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)


def test_mix_up_blends_with_a_permutation(images):
    layer = layers.MixUp(alpha=0.4)
    order = np.argsort(draws(layer, 0, 0, 1), kind="stable")
    weight = column(beta(layer, 0.4, 1))
    expected = weight * images + (1 - weight) * images[order]
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-4, atol=1e-3
    )


def test_cut_mix_pastes_boxes_of_a_permutation(images):
    layer = layers.CutMix((0.3, 0.8))
    alpha = draws(layer, 0, 0.3, 0.8, 1)[0] + np.float32(1e-6)
    ratio = np.sqrt(1 - beta(layer, alpha, 10))
    width_box, height_box = ratio * 9, ratio * 8
    x0 = draws(layer, 1, 0, 1) * (9 - width_box)
    y0 = draws(layer, 2, 0, 1) * (8 - height_box)
    order = np.argsort(draws(layer, 3, 0, 1), kind="stable")
    mask = box_mask(x0, x0 + width_box, y0, y0 + height_box, 8, 9)
    expected = np.where(mask, images[order], images)
    out = run_training(layer, images)
    # A pixel on a box edge may flip with float rounding: compare the rest.
    assert np.mean(out == expected) > 0.98


@pytest.mark.parametrize("fill_value", [None, 40.0, [1.0, 300.0, -5.0]])
def test_random_erasing_fills_random_boxes(images, fill_value):
    layer = layers.RandomErasing(0.7, scale=(0.1, 0.6), fill_value=fill_value)
    width_box = np.sqrt(draws(layer, 0, 0.1, 0.6)) * 9
    height_box = np.sqrt(draws(layer, 1, 0.1, 0.6)) * 8
    x0 = draws(layer, 2, 0, 1) * (9 - width_box)
    y0 = draws(layer, 3, 0, 1) * (8 - height_box)
    chosen = (draws(layer, 5, 0, 1) < draws(layer, 4, 0, 0.7))[:, None, None, None]
    if fill_value is None:
        noise = normal_bits(KEY, salt(layer, 6), images.size).reshape(SHAPE)
        fill = np.clip(noise * 255, 0, 255)
    else:
        fill = np.clip(np.broadcast_to(np.float32(fill_value), SHAPE), 0, 255)
    mask = box_mask(x0, x0 + width_box, y0, y0 + height_box, 8, 9)
    expected = np.where(mask & chosen, fill, images)
    out = run_training(layer, images)
    assert np.mean(out == expected) > 0.98
    assert out.min() >= 0 and out.max() <= 255


@pytest.mark.parametrize("alpha", [0.2, 1.0, 3.0])
def test_beta_draws_follow_the_distribution(alpha):
    layer = layers.MixUp(alpha)
    like = np.zeros((20000, 1, 1, 1), "float32")
    values = np.asarray(mixing.beta_sample(layer, np.int64(3), like, alpha, 1))
    values = values.ravel()
    assert np.all((values >= 0) & (values <= 1))
    assert abs(values.mean() - 0.5) < 0.02
    assert abs(values.var() - 1 / (4 * (2 * alpha + 1))) < 0.01


def test_tiny_alphas_stay_finite():
    layer = layers.CutMix()
    like = np.zeros((1000, 1, 1, 1), "float32")
    values = np.asarray(mixing.beta_sample(layer, np.int64(3), like, 1e-6, 1))
    assert np.all(np.isfinite(values))
    assert np.all((values == 0) | (values == 1) | ((values > 0) & (values < 1)))


def test_single_images_pass_through(images):
    for layer in (layers.MixUp(), layers.CutMix()):
        np.testing.assert_array_equal(run_training(layer, images[0]), images[0])


def all_layers():
    return [
        layers.MixUp(),
        layers.CutMix(),
        layers.RandomErasing(),
        layers.RandomErasing(fill_value=3.0),
    ]


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
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


def test_mixing_layers_train_on_both_backends(images, backend):
    x = kg.Input(shape=SHAPE[1:])
    y = layers.CutMix(seed=2)(layers.MixUp()(x))
    y = layers.RandomErasing(fill_value=0.0)(y)
    y = layers.Rescaling(1.0 / 255)(y)
    model = kg.Model(x, layers.Dense(1)(layers.Flatten()(y)))
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(images, np.ones((5, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (layers.MixUp, {"alpha": 0.3}),
        (layers.CutMix, {"factor": 0.5}),
        (layers.RandomErasing, {"fill_value": [1, 2, 3]}),
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
    assert again.random_salt == layer.random_salt


def test_configs_hold_keras_values():
    assert layers.MixUp().get_config()["alpha"] == 0.2
    assert layers.CutMix().get_config()["factor"] == (0.0, 1.0)
    config = layers.RandomErasing().get_config()
    assert config["scale"] == (0.02, 0.33) and config["fill_value"] is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.MixUp(alpha=0), r"positive"),
        (lambda: layers.CutMix(2.0), r"factor"),
        (lambda: layers.RandomErasing(scale=1.5), r"scale"),
        (lambda: layers.RandomErasing(fill_value=[1, 2]), r"fill_value"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_dict_calls_mix_labels_like_images(images):
    labels = np.eye(5, dtype="float32")[[0, 1, 2, 3, 4]]
    layer = layers.MixUp(alpha=0.5, seed=4)
    out = layer({"images": images, "labels": labels, "ids": np.arange(5)})
    mixed, mixed_labels = out["images"].numpy(), out["labels"].numpy()
    assert set(out) == {"images", "labels", "ids"}
    # Each row's label weights are the image's own weight and its partner's.
    own = mixed_labels[np.arange(5), np.arange(5)]
    assert np.allclose(mixed_labels.sum(1), 1.0, atol=1e-5)
    partner = np.argmax(mixed_labels - np.eye(5) * own[:, None], axis=1)
    expected = (
        own[:, None, None, None] * images
        + (1 - own[:, None, None, None]) * (images[partner])
    )
    same = partner == np.arange(5)
    expected[same] = images[same]
    np.testing.assert_allclose(mixed, expected, rtol=1e-4, atol=1e-2)


def test_cut_mix_label_weights_are_the_kept_area(images):
    labels = np.eye(5, dtype="float32")
    out = layers.CutMix(seed=1)({"images": images, "labels": labels})
    mixed, mixed_labels = out["images"].numpy(), out["labels"].numpy()
    own = mixed_labels[np.arange(5), np.arange(5)]
    kept = (mixed == images).all(-1).mean(axis=(1, 2))
    # The box's continuous area against its pixel count: close, not equal.
    assert np.all(np.abs(own - kept) < 0.25)


def test_dict_calls_at_inference_pass_through(images):
    labels = np.eye(5, dtype="float32")
    out = layers.MixUp()({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(out["images"].numpy(), images)
    np.testing.assert_array_equal(out["labels"].numpy(), labels)


def test_dict_calls_need_images():
    with pytest.raises(ValueError, match=r'"images" entry'):
        layers.MixUp()({"labels": np.ones((2, 3))})
