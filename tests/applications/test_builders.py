"""kgraph's application builders make the networks Keras makes: the same
layer names and weight shapes in the same order, so the weights of a model
Keras saved give the predictions Keras made (fixtures: see
``test_keras_application_files.py``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import applications

DATA = Path(__file__).resolve().parent.parent / "data" / "applications"
BUILDERS = {
    "mobilenet_v2": (applications.MobileNetV2, 96),
    "resnet50": (applications.ResNet50, 32),
    "densenet121": (applications.DenseNet121, 32),
    "efficientnet_b0": (applications.EfficientNetB0, 32),
    "convnext_tiny": (applications.ConvNeXtTiny, 32),
    "mobilenet_v3_small": (applications.MobileNetV3Small, 32),
    "xception": (applications.Xception, 71),
    "inception_v3": (applications.InceptionV3, 75),
}
RELATIVE = 1e-4
# Deep networks amplify float32 rounding (see test_keras_application_files).
LOOSER = {"inception_v3": 2e-3}


def _weighted(model):
    return [
        (layer.name, [tuple(w.shape) for w in layer.weights])
        for layer in model.layers
        if layer.weights
    ]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_matches_the_keras_file(name, monkeypatch):
    pytest.importorskip("h5py")
    monkeypatch.setenv("KGRAPH_BACKEND", "llvm")
    builder, side = BUILDERS[name]
    kg.utils.clear_session()
    saved = kg.models.load_model(DATA / f"{name}.keras")
    kg.utils.clear_session()
    built = builder(
        weights=None,
        input_shape=(side, side, 3),
        classes=10,
        classifier_activation=None,
    )
    assert built.name == saved.name
    assert _weighted(built) == _weighted(saved)
    built.set_weights(saved.get_weights())
    data = np.load(DATA / f"{name}.npz")
    got = built.predict(data["x"], batch_size=2, verbose=0)
    error = np.max(np.abs(got - data["y"])) / np.max(np.abs(data["y"]))
    assert error <= LOOSER.get(name, RELATIVE)


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "xception", "inception_v3"])
def test_builder_loads_a_keras_weights_file(name, tmp_path):
    pytest.importorskip("h5py")
    builder, side = BUILDERS[name]
    with zipfile.ZipFile(DATA / f"{name}.keras") as archive:
        path = Path(archive.extract("model.weights.h5", tmp_path))
    kg.utils.clear_session()
    want = kg.models.load_model(DATA / f"{name}.keras").get_weights()
    kg.utils.clear_session()
    built = builder(
        weights=str(path), input_shape=(side, side, 3), classes=10,
        classifier_activation=None,
    )  # fmt: skip
    got = built.get_weights()
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_builders_refuse_downloads_and_missing_files(tmp_path):
    with pytest.raises(
        ValueError, match=r"downloads nothing.*Received: weights='imagenet'"
    ):
        applications.ResNet50()
    with pytest.raises(ValueError, match=r"Received: weights=.*nowhere"):
        applications.VGG16(weights=str(tmp_path / "nowhere.weights.h5"))


def test_input_shape_is_checked():
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.ResNet50(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="pooling"):
        applications.DenseNet121(weights=None, include_top=False, pooling="median")


def test_headless_model_with_pooling_gives_features():
    model = applications.VGG16(
        weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg"
    )
    assert model.output.shape == (None, 512)
    assert [layer.name for layer in model.layers][-2:] == [
        "block5_pool",
        "global_average_pooling2d",
    ]
