"""`ReversibleEmbedding`: forward an `Embedding`, reverse a projection on
the (tied or separate) vocabulary embeddings."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph.layers import ReversibleEmbedding


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reverse_projects_on_the_embeddings(tie_weights):
    layer = ReversibleEmbedding(7, 3, tie_weights=tie_weights, logit_soft_cap=2.0)
    ids = np.array([[1, 4, 0]])
    vectors = layer(ids).numpy()
    np.testing.assert_array_equal(vectors, layer.embeddings.numpy()[ids])
    kernel = (
        layer.embeddings.numpy().T if tie_weights else layer.reverse_embeddings.numpy()
    )
    want = np.tanh(vectors @ kernel / 2.0) * 2.0
    np.testing.assert_allclose(layer(vectors, reverse=True).numpy(), want, rtol=1e-6)
    assert len(layer.weights) == (1 if tie_weights else 2)


def test_a_tied_language_model_trains_on_both_backends(backend):
    inputs = kg.Input(shape=(5,), dtype="int32")
    embedding = ReversibleEmbedding(12, 4, mask_zero=True)
    hidden = kg.layers.Dense(4, activation="tanh")(embedding(inputs))
    model = kg.Model(inputs, embedding(hidden, reverse=True))
    model.compile(
        optimizer="adam", loss=kg.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    tokens = np.random.default_rng(0).integers(1, 12, size=(32, 5))
    history = model.fit(tokens, tokens, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(tokens[:2], verbose=0).shape == (2, 5, 12)


def test_config_round_trip_and_errors():
    layer = ReversibleEmbedding(9, 2, tie_weights=False, logit_soft_cap=30.0)
    clone = ReversibleEmbedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    layer(np.array([[1]]))
    with pytest.raises(ValueError, match="reverses vectors of size 2"):
        layer(np.ones((1, 3), "float32"), reverse=True)
