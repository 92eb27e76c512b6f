"""`STFTSpectrogram` and `MelSpectrogram` against Keras's numbers and a
NumPy FFT.

``tests/data/keras_spectrograms.npz`` holds inputs and what Keras 3.15.1
(JAX backend) computed for them with the layer arguments used below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph.layers import MelSpectrogram
from kgraph.layers import STFTSpectrogram

DATA = np.load(
    Path(__file__).resolve().parent.parent / "data" / "keras_spectrograms.npz"
)
# float32 sums of a few hundred products; the log of near-epsilon magnitudes.
RTOL = 2e-5


def _relative(got, want):
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


@pytest.mark.parametrize(
    ("key", "layer"),
    [
        ("mel", lambda: MelSpectrogram(64, 16, num_mel_bins=10, sampling_rate=8000)),
        (
            "mel_nodb",
            lambda: MelSpectrogram(
                64,
                16,
                48,
                num_mel_bins=10,
                sampling_rate=8000,
                power_to_db=False,
                mag_exp=1.0,
            ),
        ),
    ],
)
def test_mel_spectrogram_matches_keras(key, layer):
    assert _relative(layer()(DATA["x"]).numpy(), DATA[key]) < RTOL


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        (
            "stft_log_False",
            {"mode": "log", "frame_length": 16, "frame_step": 8, "fft_length": 32},
        ),
        (
            "stft_psd_True",
            {
                "mode": "psd",
                "frame_length": 16,
                "frame_step": 8,
                "fft_length": 32,
                "expand_dims": True,
            },
        ),
        (
            "stft_stft_False",
            {"mode": "stft", "frame_length": 16, "frame_step": 8, "fft_length": 32},
        ),
        (
            "stft_same",
            {
                "frame_length": 16,
                "padding": "same",
                "window": "hamming",
                "periodic": True,
                "scaling": "spectrum",
            },
        ),
    ],
)
def test_stft_spectrogram_matches_keras(key, kwargs):
    assert _relative(STFTSpectrogram(**kwargs)(DATA["xs"]).numpy(), DATA[key]) < RTOL


def test_stft_magnitude_is_numpy_rfft_of_windowed_frames():
    signal = DATA["xs"][:1, :, :1]
    got = STFTSpectrogram(
        mode="magnitude", frame_length=16, frame_step=8, fft_length=16
    )(signal)
    window = np.hanning(16)
    frames = np.stack([signal[0, i : i + 16, 0] for i in range(0, 100 - 15, 8)])
    want = np.abs(np.fft.rfft(frames * window, axis=-1)) / np.sqrt(np.sum(window**2))
    np.testing.assert_allclose(got.numpy()[0], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer", [STFTSpectrogram, MelSpectrogram])
def test_spectrograms_compile_train_and_round_trip(layer, backend):
    if layer is STFTSpectrogram:
        spectrogram = layer(mode="log", frame_length=16, frame_step=8)
        inputs = kg.Input(shape=(64, 2))
        x = np.random.default_rng(0).normal(size=(8, 64, 2)).astype("float32")
    else:
        spectrogram = layer(fft_length=32, sequence_stride=8, num_mel_bins=6)
        inputs = kg.Input(shape=(64,))
        x = np.random.default_rng(0).normal(size=(8, 64)).astype("float32")
    features = kg.layers.Flatten()(spectrogram(inputs))
    model = kg.Model(inputs, kg.layers.Dense(1)(features))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, np.ones((8, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(
        model.predict(x, verbose=0), np.asarray(model(x)), rtol=1e-4, atol=1e-4
    )
    clone = type(spectrogram).from_config(spectrogram.get_config())
    assert clone.get_config() == spectrogram.get_config()


def test_spectrogram_arguments_are_checked():
    with pytest.raises(ValueError, match="Received: mode=loud"):
        STFTSpectrogram(mode="loud")
    with pytest.raises(ValueError, match="frame_step=20"):
        STFTSpectrogram(frame_length=16, frame_step=20)
    with pytest.raises(ValueError, match="Received: sequence_stride=0"):
        MelSpectrogram(sequence_stride=0)
