"""Keras masks: ``Embedding(mask_zero=True)`` and ``Masking`` make them,
recurrent layers skip masked steps (keeping their states and repeating the
previous output), ``GlobalAveragePooling1D`` averages the unmasked steps
and losses drop them; on variable-length inputs (``Input(shape=(None,))``)
on both backends, against NumPy transcriptions of Keras's semantics."""

from __future__ import annotations

import numpy as np
import pytest
from keras_recurrent import lstm_reference

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")
RTOL, ATOL = 1e-4, 1e-5


def _token_batch(seed=0, padding="pre", maxlen=None):
    rng = np.random.default_rng(seed)
    lengths = [3, 6, 1, 5]
    sequences = [list(rng.integers(1, 12, size=n)) for n in lengths]
    padded = kg.utils.pad_sequences(sequences, maxlen=maxlen, padding=padding)
    return sequences, padded


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("padding", ["pre", "post"])
def test_a_masked_lstm_sees_only_the_real_tokens(backend, padding):
    sequences, padded = _token_batch(padding=padding)
    embedding = layers.Embedding(12, 4, mask_zero=True)
    lstm = layers.LSTM(3)
    model = kg.Sequential([kg.Input((None,), dtype="int32"), embedding, lstm])
    model.compile(loss="mse", backend=backend)
    table = embedding.get_weights()[0].astype("float64")
    weights = [w.astype("float64") for w in lstm.get_weights()]
    expected = np.stack(
        [lstm_reference(table[s][None], *weights)[1][0][0] for s in sequences]
    )
    np.testing.assert_allclose(
        model.predict(padded, verbose=0), expected, rtol=RTOL, atol=ATOL
    )
    # Another padded length reuses the model: a program per length.
    longer = kg.utils.pad_sequences(sequences, maxlen=9, padding=padding)
    np.testing.assert_allclose(
        model.predict(longer, verbose=0), expected, rtol=RTOL, atol=ATOL
    )
    # After training, the trained weights still give Keras's recurrence.
    model.fit(padded, np.ones((4, 3), "float32"), epochs=3, batch_size=2, verbose=0)
    table = embedding.get_weights()[0].astype("float64")
    weights = [w.astype("float64") for w in lstm.get_weights()]
    trained = np.stack(
        [lstm_reference(table[s][None], *weights)[1][0][0] for s in sequences]
    )
    assert not np.allclose(trained, expected)
    np.testing.assert_allclose(
        model.predict(longer, verbose=0), trained, rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_steps_repeat_the_previous_output_and_drop_from_the_loss(backend):
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    x[0, 3:] = 0.0  # padded at the end
    x[1, :2] = 0.0  # padded at the start
    gru = layers.GRU(2, return_sequences=True)
    model = kg.Sequential([kg.Input((5, 3)), layers.Masking(), gru])
    model.compile(loss="mse", backend=backend)
    out = model.predict(x, verbose=0)
    np.testing.assert_array_equal(out[0, 3], out[0, 2])
    np.testing.assert_array_equal(out[0, 4], out[0, 2])
    np.testing.assert_array_equal(out[1, :2], np.zeros((2, 2)))
    # The loss averages the unmasked steps only (Keras's apply_mask).
    target = np.ones((2, 5, 2), "float32")
    valid = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], bool)
    expected = np.mean(((out - target) ** 2).mean(axis=-1)[valid])
    loss = model.evaluate(x, target, verbose=0)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_global_average_pooling_averages_the_unmasked_steps():
    _, padded = _token_batch(padding="post")
    embedding = layers.Embedding(12, 2, mask_zero=True)
    pooled = layers.GlobalAveragePooling1D()(embedding(padded)).numpy()
    vectors = embedding.get_weights()[0][padded]
    real = padded != 0
    expected = (vectors * real[..., None]).sum(1) / real.sum(1, keepdims=True)
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_variable_length_text_classifier_trains(backend):
    rng = np.random.default_rng(2)
    sequences = [list(rng.integers(1, 30, size=rng.integers(2, 9))) for _ in range(64)]
    labels = np.array([float(s[-1] > 15) for s in sequences], "float32")[:, None]
    x = kg.utils.pad_sequences(sequences)
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.Input((None,), dtype="int32"),
            layers.Embedding(30, 8, mask_zero=True),
            layers.Bidirectional(layers.LSTM(8)),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy"],
        backend=backend,
    )
    history = model.fit(x, labels, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x[:3, -4:], verbose=0).shape == (3, 1)


def test_a_mask_of_the_wrong_shape_is_named():
    lstm = layers.LSTM(2, name="enc")
    x = np.zeros((2, 4, 3), "float32")
    with pytest.raises(ValueError, match=r'"enc" \(LSTM\) expects a mask of shape'):
        lstm(x, mask=np.ones((2, 5), bool))
