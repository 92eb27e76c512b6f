"""Keras's Fourier transforms (``kgraph/ops/fft_functions.py``) on
``(real, imag)`` pairs, against NumPy's FFT and a NumPy transcription of
Keras's ``stft``/``istft``, eagerly and inside a model on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import ops

RNG = np.random.default_rng(3)
REAL = RNG.normal(size=(2, 3, 8)).astype("float32")
IMAG = RNG.normal(size=(2, 3, 8)).astype("float32")
SIGNAL = RNG.normal(size=(2, 40)).astype("float32")
COMPLEX = REAL.astype("float64") + 1j * IMAG


def assert_pair(got, expected, atol=1e-5):
    np.testing.assert_allclose(got[0].numpy(), expected.real, atol=atol)
    np.testing.assert_allclose(got[1].numpy(), expected.imag, atol=atol)


def test_fft_fft2_and_ifft2_match_numpy():
    assert_pair(ops.fft((REAL, IMAG)), np.fft.fft(COMPLEX))
    assert_pair(ops.fft2((REAL, IMAG)), np.fft.fft2(COMPLEX))
    assert_pair(ops.ifft2((REAL, IMAG)), np.fft.ifft2(COMPLEX))


@pytest.mark.parametrize("fft_length", [None, 12, 64])
def test_rfft_cuts_or_pads_to_the_length(fft_length):
    expected = np.fft.rfft(SIGNAL.astype("float64"), n=fft_length)
    assert_pair(ops.rfft(SIGNAL, fft_length), expected)


@pytest.mark.parametrize("fft_length", [None, 9, 8])
def test_irfft_inverts_rfft_as_numpy(fft_length):
    half = (REAL[..., :5], IMAG[..., :5])
    expected = np.fft.irfft(COMPLEX[..., :5], n=fft_length)
    np.testing.assert_allclose(ops.irfft(half, fft_length).numpy(), expected, atol=1e-6)


def test_complex_arguments_must_be_pairs():
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.fft(REAL)
    with pytest.raises(ValueError, match="same shape"):
        ops.fft((REAL, IMAG[..., :4]))


def np_window(window, sequence_length, fft_length):
    """SciPy's periodic window, zero-padded to the frame as Keras does."""
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    if window is None:
        return np.ones(fft_length)
    n = np.arange(sequence_length)
    a = 0.5 if window == "hann" else 0.54
    return np.pad(a - (1 - a) * np.cos(2 * np.pi * n / sequence_length), (left, right))


def np_stft(x, sequence_length, stride, fft_length, window="hann", center=True):
    win = np_window(window, sequence_length, fft_length)
    if center:
        half = fft_length // 2
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    count = (x.shape[-1] - fft_length) // stride + 1
    frames = np.stack(
        [x[..., i * stride : i * stride + fft_length] for i in range(count)], -2
    )
    return np.fft.rfft(frames * win, n=fft_length)


def np_istft(spectrum, sequence_length, stride, fft_length, length=None, center=True):
    win = np_window("hann", sequence_length, fft_length)
    frames = np.fft.irfft(spectrum, n=fft_length) * win
    total = fft_length + stride * (frames.shape[-2] - 1)
    signal, norm = np.zeros((*frames.shape[:-2], total)), np.zeros(total)
    for i in range(frames.shape[-2]):
        signal[..., i * stride : i * stride + fft_length] += frames[..., i, :]
        norm[i * stride : i * stride + fft_length] += win**2
    signal /= np.where(norm > 1e-10, norm, 1.0)
    start = fft_length // 2 if center else 0
    end = start + length if length else (total - start if center else total)
    return signal[..., start:end]


@pytest.mark.parametrize(
    ("sequence_length", "stride", "fft_length", "window", "center"),
    [(10, 4, 16, "hann", True), (16, 5, 16, "hamming", False), (8, 3, 8, None, True)],
)
def test_stft_follows_keras(sequence_length, stride, fft_length, window, center):
    got = ops.stft(SIGNAL, sequence_length, stride, fft_length, window, center)
    expected = np_stft(
        SIGNAL.astype("float64"), sequence_length, stride, fft_length, window, center
    )
    assert_pair(got, expected)


def test_istft_overlap_adds_back_the_signal():
    spectrum = ops.stft(SIGNAL, 10, 4, 16)
    complex_spectrum = spectrum[0].numpy() + 1j * spectrum[1].numpy()
    for length in (None, 30):
        got = ops.istft(spectrum, 10, 4, 16, length=length).numpy()
        np.testing.assert_allclose(
            got, np_istft(complex_spectrum, 10, 4, 16, length), atol=1e-5
        )
    restored = ops.istft(spectrum, 10, 4, 16).numpy()
    np.testing.assert_allclose(restored[:, 8:-8], SIGNAL[:, 8:-8], atol=1e-4)
    with pytest.raises(ValueError, match="eagerly only"):
        ops.istft((kg.Input((5, 9)), kg.Input((5, 9))), 10, 4, 16)


def test_transforms_run_in_a_model(backend):
    real, imag = kg.Input((3, 8)), kg.Input((3, 8))
    signal = kg.Input((40,))
    outputs = [
        *ops.fft((real, imag)),
        *ops.fft2((real, imag)),
        ops.irfft(ops.rfft(signal)),
        *ops.stft(signal, 10, 4, 16),
    ]
    model = kg.Model([real, imag, signal], outputs)
    model.compile(loss="mse", backend=backend)
    got = model.predict([REAL, IMAG, SIGNAL], verbose=0)
    spectrum, planar = np.fft.fft(COMPLEX), np.fft.fft2(COMPLEX)
    expected = [spectrum.real, spectrum.imag, planar.real, planar.imag, SIGNAL]
    short = np_stft(SIGNAL.astype("float64"), 10, 4, 16)
    expected += [short.real, short.imag]
    for value, reference in zip(got, expected, strict=True):
        np.testing.assert_allclose(value, reference, atol=2e-5)


def test_a_model_with_transforms_of_pairs_saves_and_reloads(tmp_path):
    real, imag = kg.Input((3, 8)), kg.Input((3, 8))
    model = kg.Model([real, imag], list(ops.fft((real, imag))))
    before = model.predict([REAL, IMAG], verbose=0)
    model.save(tmp_path / "fft.kgraph")
    loaded = kg.models.load_model(tmp_path / "fft.kgraph")
    for got, expected in zip(
        loaded.predict([REAL, IMAG], verbose=0), before, strict=True
    ):
        np.testing.assert_array_equal(got, expected)


def assert_gradient_matches_finite_differences(fn, x):
    """The graph gradient of ``sum(fn(x) * weights)`` (float64, interpreter)
    against central finite differences of the eager function."""
    from kgraph.backends import interpreter
    from kgraph.ir.graph import Graph
    from kgraph.ops import sources
    from kgraph.ops.vjp import gradients
    from kgraph.testing import numerics

    weights = np.random.default_rng(6).uniform(0.5, 1.5, np.asarray(fn(x)).shape)
    graph = Graph(name="gradient")
    placeholder = sources.placeholder(graph, "x", x.shape, "float64")
    total = ops.sum(ops.multiply(fn(placeholder), weights))
    (grad,) = gradients(graph, total.node_id, [placeholder.node_id])
    graph.set_output("g", grad)
    found = interpreter.run(graph, {"x": x})["g"]

    def loss(point):
        return float(np.sum(np.asarray(fn(point[0])) * weights))

    expected = numerics.numeric_gradient(loss, [x], 0, step=1e-6)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.fft((x, x * 0.5))[1],
        lambda x: ops.rfft(x, 10)[0],
        lambda x: ops.irfft((x[..., :5], x[..., 5:]), 8),
        lambda x: ops.stft(x, 4, 2, 4)[1],
    ],
    ids=["fft", "rfft", "irfft", "stft"],
)
def test_transforms_have_exact_gradients(fn):
    x = np.random.default_rng(7).normal(size=(2, 10))
    assert_gradient_matches_finite_differences(fn, x)
