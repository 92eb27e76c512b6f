"""`STFTSpectrogram` and `MelSpectrogram`: spectrograms of signals,
computed in the graph by convolving with Fourier kernels (so they compile
natively and are differentiable)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from kgraph import backend
from kgraph import initializers
from kgraph import ops
from kgraph.layers.layer import Layer

MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _check_framing(frame_length: int, frame_step: Any, fft_length: Any) -> None:
    if frame_step is not None and not 1 <= frame_step <= frame_length:
        raise ValueError(
            "`frame_step` should be a positive integer not greater than "
            f"`frame_length`. Received frame_step={frame_step}, "
            f"frame_length={frame_length}"
        )
    if fft_length is not None and fft_length < frame_length:
        raise ValueError(
            "`fft_length` should be not less than `frame_length`. "
            f"Received fft_length={fft_length}, frame_length={frame_length}"
        )


class STFTSpectrogram(Layer):
    """The short-time Fourier transform of each channel of a signal.

    Frames of ``frame_length`` samples every ``frame_step`` are multiplied
    by the window and transformed; the ``fft_length // 2 + 1`` frequency
    bins are computed as a strided 1-D convolution with the `STFT`
    initializer's cosine and sine kernels (the weights ``real_kernel`` and
    ``imag_kernel``, trainable as in Keras).

    Args:
        mode: What each bin holds: ``"log"`` (log magnitude), ``"magnitude"``,
            ``"psd"`` (power, interior bins doubled), ``"real"``, ``"imag"``,
            ``"angle"`` or ``"stft"`` (real and imaginary parts stacked).
        frame_length: The samples per frame.
        frame_step: The samples between frames (``frame_length // 2``).
        fft_length: The transform's size (the next power of two).
        window: A window name, values, or ``None``.
        periodic: Whether the window is periodic.
        scaling: The window's normalization: ``"density"``, ``"spectrum"``
            or ``None``.
        padding: ``"valid"`` or ``"same"``.
        expand_dims: Whether the output keeps channels on their own axis,
            ``(batch, frames, bins, channels)``, instead of
            ``(batch, frames, channels * bins)``.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for an unknown mode, scaling or padding, or framing
            lengths that do not fit.

    Example:

    >>> layer = STFTSpectrogram(frame_length=8, frame_step=4, fft_length=8)
    >>> layer(np.ones((1, 32, 1), "float32")).shape
    (1, 7, 5)
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        _check_framing(frame_length, frame_step, fft_length)
        if mode not in MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(MODES)}. "
                f"Received: mode={mode}"
            )
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                "Padding is invalid, it should be 'valid', 'same'. "
                f"Received: padding={padding}"
            )
        if data_format not in (None, "channels_last"):
            raise ValueError(
                "kgraph's STFTSpectrogram takes channels-last signals. "
                f"Received: data_format={data_format}"
            )
        if isinstance(window, str):
            initializers.window(window, 1, periodic)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = "channels_last"
        self.step = frame_step or frame_length // 2
        self.transform_length = fft_length or 2 ** math.ceil(math.log2(frame_length))

    def build(self, input_shape: Any) -> None:
        """Creates the Fourier kernels the mode needs."""
        if len(input_shape) != 3:
            raise ValueError(
                f'Layer "{self.name}" (STFTSpectrogram) takes signals of shape '
                f"(batch, time, channels). Received: input_shape={tuple(input_shape)}"
            )
        shape = (self.frame_length, 1, self.transform_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                kernel = self.add_weight(
                    shape,
                    initializers.STFT(side, self.window, self.scaling, self.periodic),
                    name=f"{side}_kernel",
                )
                setattr(self, f"{side}_kernel", kernel)
        self.built = True

    def _convolve(self, inputs: Any, kernel: Any) -> Any:
        """``(batch, channels, bins, frames)``: every channel transformed."""
        time, channels = inputs.shape[1], inputs.shape[2]
        signals = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        frames = ops.conv(signals, kernel, strides=self.step, padding=self.padding)
        bins = frames.shape[-1]
        return ops.reshape(
            ops.transpose(frames, (0, 2, 1)), (-1, channels, bins, frames.shape[1])
        )

    def _arrange(self, outputs: Any) -> Any:
        """To ``(batch, frames, channels * bins)`` or, with ``expand_dims``,
        ``(batch, frames, bins, channels)``."""
        if self.expand_dims:
            return ops.transpose(outputs, (0, 3, 2, 1))
        _, channels, bins, frames = outputs.shape
        return ops.transpose(
            ops.reshape(outputs, (-1, channels * bins, frames)), (0, 2, 1)
        )

    def call(self, inputs: Any) -> Any:
        """Returns the spectrogram in the layer's mode."""
        if str(inputs.dtype) not in ("float16", "float32", "float64"):
            raise TypeError(
                "Invalid input type. Expected `float16`, `float32` or `float64`. "
                f"Received: input type={inputs.dtype}"
            )
        real = None if self.mode == "imag" else self._convolve(inputs, self.real_kernel)
        imag = None if self.mode == "real" else self._convolve(inputs, self.imag_kernel)
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.square(real) + ops.square(imag)
        if self.mode == "psd":
            interior = ops.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]])
            return self._arrange(power + interior)
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, backend.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, backend.epsilon()))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        window = (
            self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        )
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "expand_dims": self.expand_dims,
            "data_format": self.data_format,
        }


def _reflect(x: Any, width: int) -> Any:
    """``x`` padded by ``width`` on both ends of its last axis, mirrored
    without repeating the edge (NumPy's ``"reflect"``); a signal of
    ``width`` samples or fewer is mirrored again at each end, as NumPy
    and Keras do."""
    length = x.shape[-1]
    if length is not None and length <= width:
        return ops.take(x, _reflected_indices(length, width), axis=-1)
    left = ops.flip(x[..., 1 : width + 1], axis=-1)
    right = ops.flip(x[..., -width - 1 : -1], axis=-1)
    return ops.concatenate([left, x, right], axis=-1)


def _reflected_indices(length: int, width: int) -> np.ndarray:
    """The sample each position of a ``"reflect"``-padded signal copies:
    mirror images repeat with period ``2 * (length - 1)``."""
    positions = np.arange(-width, length + width)
    if length == 1:
        return np.zeros(len(positions), dtype=np.int32)
    period = 2 * (length - 1)
    folded = np.mod(positions, period)
    return np.where(folded < length, folded, period - folded).astype(np.int32)


def hz_to_mel(frequency: Any) -> np.ndarray:
    """Hertz to mels on the HTK scale, ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(frequency, dtype="float64") / 700.0)


def mel_filters(
    bins: int, sampling_rate: int, num_mel_bins: int, min_freq: float, max_freq: float
) -> np.ndarray:
    """Triangular filters on the HTK mel scale, ``(bins, num_mel_bins)``:
    filter ``m`` rises from mel point ``m`` to ``m + 1`` and falls to
    ``m + 2``; the bin frequencies exclude 0 Hz (its weights are zero)."""
    bin_freqs = np.linspace(0.0, sampling_rate / 2.0, bins)[1:]
    edges = np.linspace(hz_to_mel(min_freq), hz_to_mel(max_freq), num_mel_bins + 2)
    mels = hz_to_mel(bin_freqs)[:, None]
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (mels - lower) / (centre - lower)
    falling = (upper - mels) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]]).astype("float32")


class MelSpectrogram(Layer):
    """The mel-scaled power spectrogram of mono signals, optionally in
    decibels, as audio models take it.

    ``(batch, samples)`` becomes ``(batch, num_mel_bins, frames)``: frames
    of ``sequence_length`` samples every ``sequence_stride``, centred
    (reflect-padded by ``fft_length // 2``), windowed, Fourier-transformed
    (`STFTSpectrogram`'s convolution), raised to ``mag_exp``, projected on
    ``num_mel_bins`` triangular mel filters, and with ``power_to_db``
    converted to ``10 log10(max(x, min_power) / max(|ref_power|,
    min_power))`` clipped to ``top_db`` below the batch's maximum.

    Args:
        fft_length: The transform's size.
        sequence_stride: The samples between frames.
        sequence_length: The samples per frame (``fft_length``).
        window: ``"hann"``, ``"hamming"`` or ``None``.
        sampling_rate: The signal's sampling rate in Hz.
        num_mel_bins: The number of mel bands.
        min_freq: The lowest frequency of the filters, in Hz.
        max_freq: The highest (``sampling_rate / 2``).
        power_to_db: Whether to convert to decibels.
        top_db: The decibel range kept below the maximum.
        mag_exp: The power the magnitudes are raised to (2: power).
        min_power: The floor of powers before the logarithm.
        ref_power: The reference power of 0 dB.
        **kwargs: Base layer arguments.

    Example:

    >>> layer = MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=8)
    >>> layer(np.zeros((1, 256), "float32")).shape
    (1, 8, 9)
    """

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: str | None = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        for name, value in (
            ("fft_length", fft_length),
            ("sequence_stride", sequence_stride),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Integral)
                or value < 1
            ):
                raise ValueError(
                    f"MelSpectrogram: `{name}` must be a positive integer. "
                    f"Received: {name}={value!r}"
                )
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or sampling_rate / 2.0
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def build(self, input_shape: Any) -> None:
        """Makes the Fourier kernels and the mel filters (constants)."""
        bins = self.fft_length // 2 + 1
        shape = (self.sequence_length, 1, bins)
        self.real_kernel = initializers.STFT("real", self.window, None, True)(shape)
        self.imag_kernel = initializers.STFT("imag", self.window, None, True)(shape)
        if self.sequence_length < self.fft_length:
            pad = (self.fft_length - self.sequence_length) // 2
            padding = [
                [pad, self.fft_length - self.sequence_length - pad],
                [0, 0],
                [0, 0],
            ]
            self.real_kernel = np.pad(self.real_kernel, padding)
            self.imag_kernel = np.pad(self.imag_kernel, padding)
        self.filters = mel_filters(
            bins, self.sampling_rate, self.num_mel_bins, self.min_freq, self.max_freq
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Returns ``(batch, num_mel_bins, frames)``."""
        half = self.fft_length // 2
        signal = ops.expand_dims(_reflect(inputs, half), -1)
        real = ops.conv(signal, self.real_kernel, strides=self.sequence_stride)
        imag = ops.conv(signal, self.imag_kernel, strides=self.sequence_stride)
        magnitude = ops.sqrt(ops.square(real) + ops.square(imag))
        power = ops.power(magnitude, self.mag_exp) if self.mag_exp != 1.0 else magnitude
        mel = ops.transpose(ops.matmul(power, self.filters), (0, 2, 1))
        if not self.power_to_db:
            return mel
        reference = 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        decibels = 10.0 * ops.log10(ops.maximum(mel, self.min_power)) - reference
        if self.top_db is None:
            return decibels
        # As Keras: the maximum of the whole batch.
        return ops.maximum(decibels, ops.max(decibels) - self.top_db)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
