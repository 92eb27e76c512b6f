"""`TextVectorization` and `StringLookup` give Keras's vocabularies and
outputs.

``tests/data/keras_text_layers.json`` holds what Keras 3.15.1 (with
TensorFlow 2.21, which its text layers need) gave for the corpus and
queries below.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph.layers import StringLookup
from kgraph.layers import TextVectorization

KERAS = json.loads(
    (
        Path(__file__).resolve().parents[2] / "data" / "keras_text_layers.json"
    ).read_text()
)
CORPUS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat, a dog; a bird?",
    "the THE the",
]
QUERY = ["the cat ate a bird", "unknown words here", ""]
CASES = {
    "int": {},
    "int_len": {"output_sequence_length": 6, "max_tokens": 8},
    "bigram": {"ngrams": 2, "output_sequence_length": 7},
    "multi": {"output_mode": "multi_hot", "max_tokens": 10},
    "count": {"output_mode": "count"},
    "tfidf": {"output_mode": "tf_idf", "max_tokens": 9, "pad_to_max_tokens": True},
    "char": {"split": "character", "standardize": "lower", "output_sequence_length": 5},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_vectorization_matches_keras(case):
    layer = TextVectorization(**CASES[case])
    layer.adapt(CORPUS)
    assert layer.get_vocabulary() == KERAS[case]["vocab"]
    np.testing.assert_allclose(layer(QUERY), KERAS[case]["y"], rtol=1e-6)
    clone = TextVectorization.from_config(layer.get_config())
    np.testing.assert_allclose(clone(QUERY), KERAS[case]["y"], rtol=1e-6)


def test_string_lookup_matches_keras():
    layer = StringLookup(mask_token="[MASK]")
    layer.adapt(np.array([["a", "b", "a"], ["c", "a", "[MASK]"]]))
    assert layer.get_vocabulary() == KERAS["lookup"]["vocab"]
    np.testing.assert_array_equal(
        layer(np.array([["a", "z", "[MASK]", "c"]])), KERAS["lookup"]["y"]
    )
    one_hot = StringLookup(vocabulary=["x", "y"], output_mode="one_hot")
    np.testing.assert_array_equal(
        one_hot(np.array(["y", "q", "x"])), KERAS["one_hot"]["y"]
    )
    inverse = StringLookup(vocabulary=["x", "y"], invert=True)
    assert inverse(np.array([[0, 1, 2, 7]])).tolist() == [["[UNK]", "x", "y", "[UNK]"]]


def test_vectorized_texts_train_a_model(backend):
    vectorize = TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(CORPUS)
    x = vectorize(CORPUS * 4)
    inputs = kg.Input(shape=(6,), dtype="int64")
    hidden = kg.layers.GlobalAveragePooling1D()(kg.layers.Embedding(20, 4)(inputs))
    model = kg.Model(inputs, kg.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, np.array([1, 0, 1, 0] * 4), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_text_layers_refuse_symbolic_tensors_and_bad_arguments():
    layer = TextVectorization()
    with pytest.raises(TypeError, match="kgraph tensors hold numbers"):
        layer(kg.Input(shape=(1,)))
    with pytest.raises(ValueError, match="Received: output_mode='bag'"):
        TextVectorization(output_mode="bag")
    with pytest.raises(ValueError, match="no vocabulary"):
        StringLookup()(["a"])
    with pytest.raises(ValueError, match="repeated term"):
        StringLookup(vocabulary=["a", "a"])
