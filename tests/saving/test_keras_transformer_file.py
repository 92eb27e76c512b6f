"""A transformer encoder written by Keras loads and predicts as Keras did.

``tests/data/keras_transformer.keras`` was written by Keras 3.15.1 (JAX
backend) with ``tools/keras_fixture_transformer.py``: token and position
embeddings (padding masked), ``MultiHeadAttention`` and
``LayerNormalization`` with residuals, a ``Dense`` feed-forward,
``GlobalAveragePooling1D`` and a softmax ``Dense``, trained a few steps.
``keras_transformer.npz`` holds an input batch and Keras's predictions;
``keras_layers_misc.keras`` the other layers of that family, in a chain.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


@pytest.fixture
def use_backend(backend, monkeypatch):
    monkeypatch.setenv("KGRAPH_BACKEND", backend)
    return backend


def _inputs(data_dir):
    data = np.load(data_dir / "keras_transformer.npz")
    return [data["tokens"], data["positions"]], data["y"]


def test_predictions_match_keras(data_dir, use_backend):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_transformer.keras")
    mha = model.get_layer("mha")
    assert isinstance(mha, kg.layers.MultiHeadAttention)
    assert [w.path for w in mha.weights] == [
        f"mha/{part}/{kind}"
        for part in ("query", "key", "value", "attention_output")
        for kind in ("kernel", "bias")
    ]
    assert model._backend == use_backend
    x, expected = _inputs(data_dir)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, expected, rtol=1e-4, atol=1e-6)


def test_loaded_transformer_trains_and_round_trips(data_dir, tmp_path):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_transformer.keras")
    x, expected = _inputs(data_dir)
    labels = np.argmax(expected, axis=-1)
    before = model.get_layer("mha").get_weights()
    model.fit(x, labels, epochs=1, batch_size=3, verbose=0)
    after = model.get_layer("mha").get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    for name in ("m.kgraph", "m.keras"):
        model.save(tmp_path / name)
        again = kg.models.load_model(tmp_path / name)
        np.testing.assert_allclose(
            again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
        )


def test_other_attention_normalization_and_noise_layers_match_keras(
    data_dir, use_backend
):
    # keras_layers_misc.keras (same tool): SpectralNormalization,
    # GroupNormalization, PReLU, RepeatVector, Permute, the noise layers,
    # RMSNormalization, ELU, Attention, AdditiveAttention, UnitNormalization,
    # GroupQueryAttention and EinsumDense, in a chain.
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_layers_misc.keras")
    data = np.load(data_dir / "keras_layers_misc.npz")
    predicted = model.predict(data["x"], verbose=0)
    np.testing.assert_allclose(predicted, data["y"], rtol=1e-4, atol=1e-6)
