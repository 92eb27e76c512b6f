"""``preprocess_input`` in its three modes and ``decode_predictions``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kgraph as kg
from kgraph.applications import imagenet_utils


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")


def test_caffe_mode_flips_channels_and_centres(images):
    got = imagenet_utils.preprocess_input(images, mode="caffe")
    want = images[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tf_and_torch_modes_scale(images):
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(images, mode="tf"),
        images / 127.5 - 1,
        rtol=1e-5,
    )
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(images, mode="torch"),
        (images / 255.0 - mean) / std,
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("mode", imagenet_utils.MODES)
def test_symbolic_preprocessing_equals_eager(images, mode):
    inputs = kg.Input(shape=(4, 4, 3))
    model = kg.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    np.testing.assert_allclose(
        model.predict(images, verbose=0),
        imagenet_utils.preprocess_input(images, mode=mode),
        rtol=1e-5,
        atol=1e-4,
    )


def test_bad_mode_and_layout_are_refused(images):
    with pytest.raises(ValueError, match="Received: mode=bgr"):
        imagenet_utils.preprocess_input(images, mode="bgr")
    with pytest.raises(ValueError, match="channels_first"):
        imagenet_utils.preprocess_input(images, data_format="channels_first")


def test_decode_predictions_from_a_keras_class_index(tmp_path):
    index = {"0": ["n0", "cat"], "1": ["n1", "dog"], "2": ["n2", "fox"]}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    preds = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    decoded = imagenet_utils.decode_predictions(preds, top=2, class_names=path)
    assert decoded == [
        [("n2", "fox", 0.7), ("n1", "dog", 0.2)],
        [("n0", "cat", 0.6), ("n1", "dog", 0.3)],
    ]


def test_decode_predictions_from_lines_and_errors(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("cat\ndog\n")
    assert imagenet_utils.decode_predictions(np.array([[0.2, 0.8]]), 1, path) == [
        [("1", "dog", 0.8)]
    ]
    with pytest.raises(ValueError, match="downloads nothing"):
        imagenet_utils.decode_predictions(np.array([[0.2, 0.8]]))
    with pytest.raises(ValueError, match=r"shape=\(1, 3\)"):
        imagenet_utils.decode_predictions(np.zeros((1, 3)), class_names=["a", "b"])
