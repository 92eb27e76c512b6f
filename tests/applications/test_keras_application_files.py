"""Keras Applications saved by Keras load into kgraph and predict the same.

``tests/data/applications/<name>.keras`` were written by Keras 3.15.1 (JAX
backend) with ``tools/keras_fixture_applications.py``: the application built
with ``weights=None``, ``classes=10`` and no classifier activation, its
weights set to a deterministic pattern, and Keras's logits for a fixed input
batch stored next to it in ``<name>.npz``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kgraph as kg

DATA = Path(__file__).resolve().parent.parent / "data" / "applications"
MODELS = [
    "mobilenet_v2",
    "resnet50",
    "efficientnet_b0",
    "densenet121",
    "convnext_tiny",
    "mobilenet_v3_small",
    "xception",
    "inception_v3",
]
# Relative to the largest logit: float32 sums over thousands of terms in a
# different order than XLA's.
RELATIVE = 1e-4
# InceptionV3's 94 batch-normalized convolutions amplify those rounding
# differences from mixed2 to mixed10 (measured against Keras: 1e-5 there,
# 7.5e-4 at the logits on the native backend, 2.2e-4 on the reference);
# weights in a wrong order give differences of order 1.
LOOSER = {"inception_v3": 2e-3}


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """The largest difference relative to the largest expected value."""
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("name", MODELS)
def test_keras_application_file_predicts_as_keras(name, backend, monkeypatch):
    pytest.importorskip("h5py")
    monkeypatch.setenv("KGRAPH_BACKEND", backend)
    kg.utils.clear_session()
    model = kg.models.load_model(DATA / f"{name}.keras")
    data = np.load(DATA / f"{name}.npz")
    got = model.predict(data["x"], batch_size=2, verbose=0)
    assert got.shape == data["y"].shape
    assert relative_error(got, data["y"]) <= LOOSER.get(name, RELATIVE)
