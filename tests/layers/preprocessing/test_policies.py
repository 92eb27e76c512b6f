"""``RandAugment`` and ``AugMix``: the drawn choices applied in turn (checked
against the sub-operations run on their own), Keras's sub-layer settings,
identities at inference, both backends, configs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.layers.layer import random_key
from kgraph.layers.preprocessing import policies
from kgraph.ops.random import uniform_bits

BITS = (1 << 63) - 1
KEY = 7
SHAPE = (2, 8, 9, 3)


def draw(layer, index, count):
    value = uniform_bits(KEY, (layer.random_salt + index) & BITS, 1)[0]
    return int(np.floor(value * np.float32(count)))


def run(build, data):
    """Runs ``build(x, key)`` on the interpreter for ``KEY``."""
    x = kg.ops.placeholder(kg.Graph(), "x", data.shape)
    graph = x.graph.subgraph({"y": build(x, random_key(x)).node_id})
    return interpreter.run(graph, {"x": data, "seed": np.int64(KEY)})["y"]


def run_training(layer, data):
    return run(lambda x, key: layer(x, training=True), data)


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, size=SHAPE).astype("float32")


@pytest.mark.parametrize("num_ops", [1, 3])
def test_rand_augment_applies_the_drawn_operations(images, num_ops):
    layer = layers.RandAugment(num_ops=num_ops, factor=0.4, seed=3)
    expected = images
    for step in range(num_ops):
        name = policies.RAND_AUGMENT_OPS[draw(layer, step, 11)]
        augment = layer.augmenters[name]
        expected = run(lambda x, key, augment=augment: augment(x, key), expected)
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-5, atol=1e-3
    )


def test_sub_layers_follow_keras_settings():
    layer = layers.RandAugment(factor=0.5, interpolation="nearest")
    shear = layer.augmenters["random_shear"].__self__
    assert shear.x_factor == (0.0, 0.5) and shear.interpolation == "nearest"
    assert layer.augmenters["random_posterization"].__self__.factor == (1, 4)
    assert layer.augmenters["random_contrast"].__self__.factor == (0.0, 0.5)
    solarize = layer.augmenters["solarization"].__self__
    assert solarize.addition_factor == (0.0, 0.5)
    aug_mix = layers.AugMix(all_ops=False)
    assert tuple(aug_mix.augmenters) == policies.GEOMETRIC_AND_TONE


def test_aug_mix_stays_in_range_and_changes_images(images):
    layer = layers.AugMix(num_chains=2, chain_depth=2, value_range=(0, 255))
    out = run_training(layer, images)
    assert out.shape == SHAPE
    assert out.min() >= 0 and out.max() <= 255
    assert not np.allclose(out, images)


def test_aug_mix_without_steps_blends_the_image_with_itself(images):
    out = run_training(layers.AugMix(chain_depth=0), images)
    np.testing.assert_allclose(out, images, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(
    "layer",
    [layers.RandAugment(), layers.AugMix(num_chains=2, chain_depth=1)],
    ids=["rand_augment", "aug_mix"],
)
def test_identity_at_inference(images, layer):
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    x = kg.Input(shape=SHAPE[1:])
    np.testing.assert_array_equal(
        kg.Model(x, layer(x)).predict(images, verbose=0), images
    )


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandAugment(num_ops=2),
        layers.AugMix(num_chains=2, chain_depth=1, all_ops=False),
    ],
    ids=["rand_augment", "aug_mix"],
)
def test_native_code_draws_the_same_images(images, layer):
    native = pytest.importorskip("kgraph.testing.native")
    x = kg.ops.placeholder(kg.Graph(), "x", SHAPE)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    feeds = {"x": images, "seed": np.int64(KEY)}
    expected = interpreter.run(graph, feeds)["y"]
    got = native.run_graph(native.compile_graph(graph), feeds)["y"]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)


def test_rand_augment_trains_on_both_backends(images, backend):
    x = kg.Input(shape=SHAPE[1:])
    y = layers.Rescaling(1.0 / 255)(layers.RandAugment(num_ops=1)(x))
    model = kg.Model(x, layers.Dense(1)(layers.Flatten()(y)))
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(images, np.ones((2, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    "layer",
    [layers.RandAugment(num_ops=3, factor=0.2), layers.AugMix(all_ops=False)],
    ids=["rand_augment", "aug_mix"],
)
def test_config_round_trip(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert again.random_salt == layer.random_salt


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_save_and_load(images, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    x = kg.Input(shape=SHAPE[1:])
    model = kg.Model(x, layers.RandAugment(seed=1)(x))
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), images)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: layers.RandAugment(num_ops=-1), ValueError, r"num_ops"),
        (lambda: layers.RandAugment(factor=2.0), ValueError, r"factor"),
        (lambda: layers.AugMix(alpha=0), ValueError, r"alpha"),
        (lambda: layers.AugMix(num_chains=0), ValueError, r"num_chains"),
        (
            lambda: layers.AugMix(interpolation="cubic"),
            NotImplementedError,
            r"interpolation",
        ),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()
