"""Bidirectional and TimeDistributed against Keras's formulas (NumPy
transcriptions, weights in Keras's layout), on both backends, and the
sequence models the keras.io examples build with them."""

from __future__ import annotations

import numpy as np
import pytest
from keras_recurrent import gru_reference
from keras_recurrent import lstm_reference

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")
RTOL, ATOL = 1e-4, 1e-5


def _data(shape=(4, 6, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.weights]
    )


def _merge(mode, forward, backward):
    return {
        "concat": lambda: np.concatenate([forward, backward], axis=-1),
        "sum": lambda: forward + backward,
        "ave": lambda: (forward + backward) / 2,
        "mul": lambda: forward * backward,
    }[mode]()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["concat", "sum", "ave", "mul"])
def test_bidirectional_lstm_sequences_match_keras(backend, mode):
    x = _data()
    wrapper = layers.Bidirectional(
        layers.LSTM(3, return_sequences=True), merge_mode=mode
    )
    model = kg.Sequential([kg.Input((6, 3)), wrapper])
    _randomize(wrapper)
    weights = [w.astype("float64") for w in wrapper.get_weights()]
    forward, _ = lstm_reference(x.astype("float64"), *weights[:3])
    backward, _ = lstm_reference(x.astype("float64"), *weights[3:], go_backwards=True)
    expected = _merge(mode, forward, backward[:, ::-1])
    model.compile(optimizer="adam", loss="mse", backend=backend)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=RTOL, atol=ATOL
    )
    # Trained (both directions), the weights still give Keras's formulas.
    model.fit(x, np.ones_like(expected), epochs=2, batch_size=2, verbose=0)
    weights = [w.astype("float64") for w in wrapper.get_weights()]
    forward, _ = lstm_reference(x.astype("float64"), *weights[:3])
    backward, _ = lstm_reference(x.astype("float64"), *weights[3:], go_backwards=True)
    trained = _merge(mode, forward, backward[:, ::-1])
    assert not np.allclose(trained, expected)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), trained, rtol=RTOL, atol=ATOL
    )


def test_bidirectional_states_and_merge_none():
    x = _data()
    wrapper = layers.Bidirectional(
        layers.GRU(2, return_state=True), merge_mode=None, name="bi"
    )
    forward_out, backward_out, h_forward, h_backward = wrapper(x)
    weights = [w.astype("float64") for w in wrapper.get_weights()]
    ref_forward, (ref_h,) = gru_reference(x.astype("float64"), *weights[:3])
    np.testing.assert_allclose(forward_out.numpy(), ref_forward[:, -1], rtol=RTOL)
    np.testing.assert_allclose(h_forward.numpy(), ref_h, rtol=RTOL)
    np.testing.assert_allclose(backward_out.numpy(), h_backward.numpy())
    assert [w.path.split("/")[0] for w in wrapper.weights] == ["forward_gru"] * 3 + [
        "backward_gru"
    ] * 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_distributed_dense_after_stacked_lstms_matches_keras(backend):
    x = _data()
    first = layers.LSTM(4, return_sequences=True)
    second = layers.LSTM(3, return_sequences=True)
    head = layers.TimeDistributed(layers.Dense(2))
    model = kg.Sequential([kg.Input((6, 3)), first, second, head])
    for layer in (first, second, head):
        _randomize(layer, seed=len(layer.weights))
    w1 = [w.astype("float64") for w in first.get_weights()]
    w2 = [w.astype("float64") for w in second.get_weights()]
    kernel, bias = (w.astype("float64") for w in head.get_weights())
    hidden, _ = lstm_reference(x.astype("float64"), *w1)
    hidden, _ = lstm_reference(hidden, *w2)
    expected = hidden @ kernel + bias
    model.compile(optimizer="adam", loss="mse", backend=backend)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=RTOL, atol=ATOL
    )
    history = model.fit(x, np.zeros((4, 6, 2), "float32"), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_time_distributed_errors_and_shapes():
    wrapper = layers.TimeDistributed(layers.Dense(5), name="td")
    assert wrapper.compute_output_shape((None, 7, 3)) == (None, 7, 5)
    with pytest.raises(
        ValueError, match=r'"td" \(TimeDistributed\) expects inputs of rank 3'
    ):
        wrapper(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="wraps a layer"):
        layers.TimeDistributed(lambda x: x)


def test_bidirectional_errors():
    with pytest.raises(ValueError, match="invalid merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="wraps a recurrent layer"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match="same return_sequences"):
        layers.Bidirectional(
            layers.LSTM(2), backward_layer=layers.LSTM(2, return_sequences=True)
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bidirectional_classifier_trains_saves_and_loads(backend, tmp_path):
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 20, size=(32, 7))
    labels = (tokens[:, 0] > 10).astype("float32")[:, None]
    model = kg.Sequential(
        [
            kg.Input((7,), dtype="int32"),
            layers.Embedding(20, 4),
            layers.Bidirectional(layers.LSTM(4)),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", backend=backend)
    history = model.fit(tokens, labels, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "bi.kgraph"
    model.save(path)
    loaded = kg.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(tokens, verbose=0), model.predict(tokens, verbose=0), rtol=1e-6
    )
