"""ConvLSTM1D/2D/3D: the standard checks on both backends, Keras's weights,
numbers against a NumPy transcription of Keras's cell, states, direction,
masks, dropout across backends, a Keras-written model, save/load, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conv_reference import loop_conv

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")
DATA = Path(__file__).resolve().parents[1] / "data"


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_conv_lstm(x, kernel, recurrent, bias, layer, mask=None):
    """Keras's ConvLSTM cell by loops: per step, the input convolution
    (strides, padding, dilation) plus the recurrent one ("same", stride 1),
    gates i, f, c, o. Returns the outputs per step and the final h, c."""
    steps = range(x.shape[1])
    if layer.go_backwards:
        steps = reversed(steps)
    h = c = None
    outputs = []
    n = layer.filters
    for t in steps:
        z = loop_conv(
            x[:, t], kernel, layer.strides, layer.padding, layer.dilation_rate
        )
        z = z + bias
        if h is None:
            h = np.zeros((*z.shape[:-1], n))
            c = np.zeros_like(h)
        rank = len(layer.strides)
        z = z + loop_conv(h, recurrent, (1,) * rank, "same", (1,) * rank)
        i, f = sigmoid(z[..., :n]), sigmoid(z[..., n : 2 * n])
        new_c = f * c + i * np.tanh(z[..., 2 * n : 3 * n])
        new_h = sigmoid(z[..., 3 * n :]) * np.tanh(new_c)
        if mask is not None:
            keep = mask[:, t].reshape((-1,) + (1,) * (h.ndim - 1))
            new_h, new_c = np.where(keep, new_h, h), np.where(keep, new_c, c)
        h, c = new_h, new_c
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 3}, (2, 3, 6, 2), (2, 4, 2)),
        (
            layers.ConvLSTM2D,
            {
                "filters": 2,
                "kernel_size": 2,
                "padding": "same",
                "return_sequences": True,
            },
            (2, 3, 4, 4, 1),
            (2, 3, 4, 4, 2),
        ),
        (
            layers.ConvLSTM3D,
            {"filters": 1, "kernel_size": 2, "strides": 2},
            (2, 2, 4, 4, 2, 1),
            (2, 2, 2, 1, 1),
        ),
    ],
)
def test_standard_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3,
        backends=BACKENDS,
    )


def test_weights_are_keras_cell_weights():
    layer = layers.ConvLSTM2D(4, (3, 2))
    layer(kg.Input((5, 7, 6, 3)))
    assert [(v.path, tuple(v.shape)) for v in layer.weights] == [
        ("conv_lstm2d/conv_lstm_cell/kernel", (3, 2, 3, 16)),
        ("conv_lstm2d/conv_lstm_cell/recurrent_kernel", (3, 2, 4, 16)),
        ("conv_lstm2d/conv_lstm_cell/bias", (16,)),
    ]
    # unit_forget_bias: the forget gate's bias starts at one.
    np.testing.assert_array_equal(layer.bias.numpy()[4:8], np.ones(4))
    assert layer.filters == 4 and layer.kernel_size == (3, 2)


CASES = [
    (
        layers.ConvLSTM2D,
        {"filters": 3, "kernel_size": 3, "padding": "same"},
        (2, 4, 5, 5, 2),
    ),
    (
        layers.ConvLSTM2D,
        {"filters": 2, "kernel_size": 2, "strides": 2, "go_backwards": True},
        (2, 3, 6, 5, 3),
    ),
    (
        layers.ConvLSTM1D,
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
        (2, 5, 9, 2),
    ),
    (
        layers.ConvLSTM3D,
        {"filters": 2, "kernel_size": 2, "padding": "same"},
        (1, 3, 3, 4, 3, 1),
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_numbers_match_the_transcription(cls, kwargs, shape, backend, rng):
    layer = cls(return_sequences=True, return_state=True, **kwargs)
    inputs = kg.Input(shape[1:])
    model = kg.Model(inputs, layer(inputs))
    weights = [
        rng.normal(scale=0.5, size=v.shape).astype("float32") for v in layer.weights
    ]
    layer.set_weights(weights)
    x = rng.normal(size=shape).astype("float32")
    expected = reference_conv_lstm(x, *weights, layer)
    model.compile(backend=backend)
    got = model.predict(x, batch_size=shape[0], verbose=0)
    for have, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_steps_keep_the_states(backend, rng):
    x = rng.normal(size=(3, 4, 5, 2)).astype("float32")
    mask = np.ones((3, 4), bool)
    mask[0, 2:] = False
    mask[1, 1] = False
    inputs = kg.Input((4, 5, 2))
    flags = kg.Input((4,), dtype="bool")
    layer = layers.ConvLSTM1D(2, 2, return_sequences=True)
    model = kg.Model([inputs, flags], layer(inputs, mask=flags))
    weights = [
        rng.normal(scale=0.5, size=v.shape).astype("float32") for v in layer.weights
    ]
    layer.set_weights(weights)
    expected, _, _ = reference_conv_lstm(x, *weights, layer, mask=mask)
    np.testing.assert_allclose(
        layer(x, mask=mask).numpy(), expected, rtol=1e-4, atol=1e-5
    )
    model.compile(backend=backend)
    got = model.predict([x, mask], verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_dropout_trains_the_same_on_both_backends(rng):
    x = rng.normal(size=(4, 3, 5, 5, 2)).astype("float32")
    y = rng.normal(size=(4, 1)).astype("float32")
    results = []
    for backend in BACKENDS:
        kg.utils.clear_session()
        kg.utils.set_random_seed(7)
        model = kg.Sequential(
            [
                kg.Input((3, 5, 5, 2)),
                layers.ConvLSTM2D(
                    2, 3, padding="same", dropout=0.3, recurrent_dropout=0.2, seed=1
                ),
                layers.Flatten(),
                layers.Dense(1),
            ]
        )
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        history = model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    (loss_a, weights_a), (loss_b, weights_b) = results
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-4)
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_keras_written_model_predicts_the_same(backend):
    pytest.importorskip("h5py")
    fixture = np.load(DATA / "keras_conv_lstm.npz")
    model = kg.models.load_model(DATA / "keras_conv_lstm.keras")
    assert [type(layer).__name__ for layer in model.layers[1:4]] == [
        "ConvLSTM2D",
        "ConvLSTM2D",
        "Reshape",
    ]
    model.compile(backend=backend)
    predicted = model.predict(fixture["x"], verbose=0)
    np.testing.assert_allclose(predicted, fixture["y"], rtol=1e-4, atol=1e-5)


def test_config_round_trip_and_save_load(tmp_path, rng):
    layer = layers.ConvLSTM2D(
        2, 3, padding="same", return_state=True, dropout=0.1, seed=4
    )
    config = layer.get_config()
    assert config["filters"] == 2 and config["recurrent_activation"] == "sigmoid"
    assert config["return_state"] is True and "cell" not in config
    assert layers.ConvLSTM2D.from_config(config).get_config() == config
    inputs = kg.Input((3, 4, 4, 1))
    model = kg.Model(inputs, layers.ConvLSTM2D(2, 2, padding="same")(inputs))
    x = rng.normal(size=(2, 3, 4, 4, 1)).astype("float32")
    expected = model.predict(x, verbose=0)
    for suffix in (".kgraph", ".keras"):
        if suffix == ".keras":
            pytest.importorskip("h5py")
        model.save(tmp_path / f"m{suffix}")
        loaded = kg.saving.load_model(tmp_path / f"m{suffix}")
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"stateful convolutional LSTMs are not"):
        layers.ConvLSTM2D(2, 3, stateful=True)
    with pytest.raises(ValueError, match=r"needs static spatial sizes"):
        layers.ConvLSTM2D(2, 3)(kg.Input((4, None, 5, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=4"):
        layers.ConvLSTM2D(2, 3)(kg.Input((4, 5, 1)))
    with pytest.raises(ValueError, match=r"`strides > 1` is not compatible"):
        layers.ConvLSTM1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"supports only data_format='channels_last'"):
        layers.ConvLSTM2D(2, 3, data_format="channels_first")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unknown_number_of_steps(backend, rng):
    # The input convolution then runs inside the loop, step by step.
    inputs = kg.Input((None, 5, 5, 2))
    layer = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    model = kg.Model(inputs, layer(inputs))
    weights = [
        rng.normal(scale=0.5, size=v.shape).astype("float32") for v in layer.weights
    ]
    layer.set_weights(weights)
    x = rng.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    expected, _, _ = reference_conv_lstm(x, *weights, layer)
    model.compile(backend=backend)
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
