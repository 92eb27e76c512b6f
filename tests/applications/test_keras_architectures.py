"""Builders without a Keras fixture file still make Keras's networks: the
parameter count and the weighted layers (names and weight shapes, in
order) equal what Keras 3.15.1 builds with the same arguments.

The expected values were computed once with Keras (``weights=None``,
``classes=10``): ``len(weighted)`` and the first 16 hex digits of the
SHA-256 of the lines ``f"{layer.name} {[tuple(w.shape) for w in
layer.weights]}"`` of the weighted layers, joined by newlines.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import kgraph as kg
from kgraph import applications

# builder: (input side, model name, parameters, weighted layers, digest)
KERAS = {
    "MobileNet": (32, "mobilenet_1.00_32", 3239114, 55, "d148424584885fb8"),
    "InceptionResNetV2": (
        75, "inception_resnet_v2", 54352106, 449, "dc66754657b45160",
    ),
    "NASNetMobile": (32, "nasnet_mobile", 4280286, 389, "255bf2f0dfe6d3cf"),
    "EfficientNetV2B0": (32, "efficientnetv2-b0", 5932122, 151, "12de7dd0dd15710d"),
    "EfficientNetV2B3": (32, "efficientnetv2-b3", 12945992, 225, "8cebb0bf118bcab0"),
    "EfficientNetV2S": (32, "efficientnetv2-s", 20344170, 281, "3635ea9b2222a76a"),
    "MobileNetV3Large": (32, "MobileNetV3Large", 4239242, 110, "95028ae59bcd879b"),
}  # fmt: skip
# Compiled once each: the large variants (NASNetLarge, EfficientNetV2M/L)
# only change the numbers of cells and filters these exercise.
PREDICTED = ["MobileNet", "InceptionResNetV2", "NASNetMobile", "EfficientNetV2B0"]


def signature(model: kg.Model) -> tuple[int, str]:
    """How many layers have weights, and a digest of their names and
    weight shapes."""
    lines = [
        f"{layer.name} {[tuple(w.shape) for w in layer.weights]}"
        for layer in model.layers
        if layer.weights
    ]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest


def _build(builder: str) -> kg.Model:
    side = KERAS[builder][0]
    kg.utils.clear_session()
    return getattr(applications, builder)(
        weights=None, input_shape=(side, side, 3), classes=10
    )


@pytest.mark.parametrize("builder", sorted(KERAS))
def test_builder_makes_the_keras_network(builder):
    model = _build(builder)
    _, name, parameters, weighted, digest = KERAS[builder]
    assert model.name == name
    assert model.count_params() == parameters
    assert signature(model) == (weighted, digest)


@pytest.mark.parametrize("builder", PREDICTED)
def test_builder_compiles_and_predicts(builder, monkeypatch):
    monkeypatch.setenv("KGRAPH_BACKEND", "llvm")
    model = _build(builder)
    side = KERAS[builder][0]
    images = np.random.default_rng(0).uniform(0, 255, (1, side, side, 3))
    got = model.predict(images.astype("float32"), verbose=0)
    assert got.shape == (1, 10)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("module", "mode"),
    [
        ("xception", "tf"),
        ("inception_v3", "tf"),
        ("inception_resnet_v2", "tf"),
        ("mobilenet", "tf"),
        ("nasnet", "tf"),
        ("mobilenet_v3", None),
        ("efficientnet_v2", None),
    ],
)
def test_module_preprocessing(module, mode):
    images = np.random.default_rng(0).uniform(0, 255, (1, 2, 2, 3)).astype("float32")
    got = getattr(applications, module).preprocess_input(images)
    want = (
        images
        if mode is None
        else applications.imagenet_utils.preprocess_input(images, mode=mode)
    )
    np.testing.assert_allclose(got, want)


def test_argument_checks():
    with pytest.raises(ValueError, match="downloads nothing"):
        applications.MobileNetV3Small()
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.MobileNetV3Small(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="at least 71x71"):
        applications.Xception(weights=None, input_shape=(70, 70, 3))
    with pytest.raises(ValueError, match="at least 75x75"):
        applications.InceptionResNetV2(weights=None, input_shape=(64, 64, 3))


def test_headless_builders_pool_as_keras():
    kg.utils.clear_session()
    model = applications.InceptionV3(
        weights=None, include_top=False, input_shape=(75, 75, 3), pooling="max"
    )
    assert model.output.shape == (None, 2048)
    assert model.layers[-1].name == "global_max_pooling2d"
    model = applications.NASNetMobile(weights=None, include_top=False, pooling="avg")
    assert model.input.shape == (None, 224, 224, 3)
    assert model.output.shape == (None, 1056)
