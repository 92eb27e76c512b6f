"""Keras's Fourier transforms (``keras.ops.fft``, ``rfft``, ``stft``...).

kgraph has no complex dtype, so, as in Keras, a complex tensor is a pair
``(real, imag)`` of float tensors. The transforms are products with
discrete Fourier matrices (built in float64, rounded once), composed from
``matmul``: they run eagerly and in models on both backends and are
differentiable. Their cost grows with the square of the transformed length
(no fast algorithm), which suits the short signals of audio frames and
small images. ``istft`` runs eagerly only (NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import elementwise as ew
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded
from kgraph.ops.nn_functions import extract_sequences
from kgraph.ops.tensor import SymbolicTensor


def _float(x: Any) -> Any:
    x = shape_ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


def _pair(x: Any, name: str) -> tuple[Any, Any]:
    """The ``(real, imag)`` tensors of a complex argument, one dtype.

    Raises:
        ValueError: for anything but a pair of tensors of one shape.
    """
    if not isinstance(x, tuple | list) or len(x) != 2:
        raise ValueError(
            f"{name}: input `x` should be a tuple of two tensors - real and "
            f"imaginary. Received: x={x!r}"
        )
    real, imag = ew.promote(_float(x[0]), _float(x[1]))
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError(
            f"{name}: the real and imaginary parts must have the same shape. "
            f"Received: real.shape={real.shape}, imag.shape={imag.shape}"
        )
    if real.ndim < 1 or real.shape[-1] is None:
        raise ValueError(
            f"{name}: the last axis must have a known size. Received: "
            f"shape={real.shape}"
        )
    return real, imag


def _angles(rows: int, cols: int, n: int) -> np.ndarray:
    """``2 pi (r * c mod n) / n``: exact angles of the Fourier matrix."""
    product = np.outer(np.arange(rows), np.arange(cols)) % n
    return 2.0 * np.pi * product / n


def _matrix(values: np.ndarray, dtype: str) -> Any:
    """A constant of the values; the rounding residue of ``sin(pi)`` and
    ``cos(pi / 2)`` becomes an exact 0."""
    values = np.where(np.abs(values) < 1e-14, 0.0, values)
    return shape_ops.as_tensor(values.astype(dtypes.to_numpy(dtype)))


def _dft(real: Any, imag: Any, inverse: bool) -> tuple[Any, Any]:
    """The DFT of ``real + i imag`` along the last axis."""
    n = real.shape[-1]
    angles = _angles(n, n, n)
    scale = 1.0 / n if inverse else 1.0
    cos = _matrix(np.cos(angles) * scale, real.dtype)
    sin = _matrix(np.sin(angles) * scale * (1.0 if inverse else -1.0), real.dtype)
    # (a + ib)(cos + i sin) = a cos - b sin + i (a sin + b cos)
    out_real = ew.subtract(linalg_ops.matmul(real, cos), linalg_ops.matmul(imag, sin))
    out_imag = ew.add(linalg_ops.matmul(real, sin), linalg_ops.matmul(imag, cos))
    return out_real, out_imag


def _swap(pair: tuple[Any, Any]) -> tuple[Any, Any]:
    """Both tensors with their last two axes swapped."""
    return shape_ops.swapaxes(pair[0], -1, -2), shape_ops.swapaxes(pair[1], -1, -2)


@recorded
def fft(x: Any) -> tuple[Any, Any]:
    """The discrete Fourier transform along the last axis.

    Args:
        x: a tuple ``(real, imag)`` of float tensors.

    Returns:
        A tuple ``(real, imag)``.

    Example:

    >>> real, imag = fft(([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]))
    >>> real.numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """
    return _dft(*_pair(x, "fft"), inverse=False)


@recorded
def fft2(x: Any) -> tuple[Any, Any]:
    """The 2-D discrete Fourier transform over the last two axes.

    Example:

    >>> real, imag = fft2(([[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]))
    >>> real.numpy()
    array([[4., 0.],
           [0., 0.]], dtype=float32)
    """
    real, imag = _pair(x, "fft2")
    rows = _dft(real, imag, inverse=False)
    return _swap(_dft(*_swap(rows), inverse=False))


@recorded
def ifft2(x: Any) -> tuple[Any, Any]:
    """The inverse 2-D discrete Fourier transform over the last two axes.

    Example:

    >>> real, imag = ifft2(([[4.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]))
    >>> real.numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    real, imag = _pair(x, "ifft2")
    rows = _dft(real, imag, inverse=True)
    return _swap(_dft(*_swap(rows), inverse=True))


def _fit_length(x: Any, n: int) -> Any:
    """``x`` cut or zero-padded along its last axis to ``n``."""
    size = x.shape[-1]
    if size > n:
        return shape_ops.get_item(x, (Ellipsis, slice(0, n)))
    if size < n:
        widths = [(0, 0)] * (x.ndim - 1) + [(0, n - size)]
        return shape_ops.pad(x, widths)
    return x


@recorded
def rfft(x: Any, fft_length: Any = None) -> tuple[Any, Any]:
    """The discrete Fourier transform of a real signal along the last axis:
    the ``fft_length // 2 + 1`` non-negative frequencies.

    Args:
        x: a float tensor.
        fft_length: the transform's length (default: the last axis's
            size); the signal is cut or zero-padded to it.

    Returns:
        A tuple ``(real, imag)``.

    Example:

    >>> real, imag = rfft([1.0, 1.0, 1.0, 1.0])
    >>> real.numpy()
    array([4., 0., 0.], dtype=float32)
    """
    x = _float(x)
    if x.ndim < 1 or x.shape[-1] is None:
        raise ValueError(
            f"rfft: the last axis must have a known size. Received: x.shape={x.shape}"
        )
    n = int(fft_length or x.shape[-1])
    x = _fit_length(x, n)
    angles = _angles(n, n // 2 + 1, n)
    real = linalg_ops.matmul(x, _matrix(np.cos(angles), x.dtype))
    imag = linalg_ops.matmul(x, _matrix(-np.sin(angles), x.dtype))
    return real, imag


@recorded
def irfft(x: Any, fft_length: Any = None) -> Any:
    """The inverse of ``rfft``: a real signal of ``fft_length`` samples
    (default ``2 * (bins - 1)``) from its non-negative frequencies, as
    ``numpy.fft.irfft`` (the imaginary parts of the zero and Nyquist
    frequencies are ignored).

    Example:

    >>> irfft(([4.0, 0.0, 0.0], [0.0, 0.0, 0.0])).numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """
    real, imag = _pair(x, "irfft")
    n = int(fft_length or 2 * (real.shape[-1] - 1))
    bins = n // 2 + 1
    real, imag = _fit_length(real, bins), _fit_length(imag, bins)
    weights = np.full(bins, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    angles = _angles(bins, n, n)
    cos = _matrix(np.cos(angles) * weights[:, None] / n, real.dtype)
    sin = _matrix(np.sin(angles) * weights[:, None] / n, real.dtype)
    return ew.subtract(linalg_ops.matmul(real, cos), linalg_ops.matmul(imag, sin))


def _window(
    window: Any, sequence_length: int, fft_length: int, name: str
) -> np.ndarray:
    """The analysis window, zero-padded to ``fft_length`` (centered) as Keras.

    Raises:
        ValueError: for an unknown window name or a window of another length.
    """
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    if window is None:
        return np.ones(fft_length)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f"{name}: if a string is passed to `window`, it must be one of "
                f'"hann", "hamming". Received: window={window}'
            )
        # SciPy's get_window: periodic (``fftbins=True``) windows.
        phase = 2.0 * np.pi * np.arange(sequence_length) / sequence_length
        a = 0.5 if window == "hann" else 0.54
        values = a - (1.0 - a) * np.cos(phase)
    else:
        if isinstance(window, SymbolicTensor):
            raise ValueError(f"{name}: the window must be known. Received: {window!r}")
        values = np.asarray(window, dtype=np.float64)
    if values.shape != (sequence_length,):
        raise ValueError(
            f"{name}: the shape of `window` must be equal to [sequence_length]. "
            f"Received: window shape={values.shape}"
        )
    return np.pad(values, (left, right))


def _check_lengths(name: str, sequence_length: int, fft_length: int) -> None:
    if fft_length < sequence_length:
        raise ValueError(
            f"{name}: `fft_length` must equal or larger than `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}"
        )


def _reflect(x: Any, width: int) -> Any:
    """``x`` reflect-padded by ``width`` on both ends of its last axis."""
    if width == 0:
        return x
    if x.shape[-1] is None or x.shape[-1] <= width:
        raise ValueError(
            "stft(center=True) reflects the signal by fft_length // 2 samples, "
            f"so it must be longer than that. Received: x.shape={x.shape}, "
            f"padding={width}"
        )
    left = shape_ops.flip(shape_ops.get_item(x, (Ellipsis, slice(1, width + 1))), -1)
    right = shape_ops.flip(shape_ops.get_item(x, (Ellipsis, slice(-width - 1, -1))), -1)
    return shape_ops.concatenate([left, x, right], axis=-1)


@recorded
def stft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Any = "hann",
    center: bool = True,
) -> tuple[Any, Any]:
    """Short-time Fourier transform along the last axis, as Keras: frames
    of ``fft_length`` samples every ``sequence_stride`` (the signal
    reflect-padded by ``fft_length // 2`` first when ``center``), each
    multiplied by the window (``sequence_length`` long, centered in the
    frame) and transformed by ``rfft``.

    Args:
        x: a float tensor ``(..., samples)``.
        sequence_length: the window's length.
        sequence_stride: the hop between frames.
        fft_length: the frame and transform length.
        window: ``"hann"``, ``"hamming"``, an array or ``None``.
        center: reflect-pad the signal so frames are centered on their time.

    Returns:
        A tuple ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.

    Example:

    >>> real, imag = stft(np.ones(16, "float32"), 8, 4, 8, window=None)
    >>> real.shape
    (5, 5)
    """
    x = _float(x)
    _check_lengths("stft", sequence_length, fft_length)
    window_values = _window(window, sequence_length, fft_length, "stft")
    if center:
        x = _reflect(x, fft_length // 2)
    frames = extract_sequences(x, fft_length, sequence_stride)
    frames = ew.multiply(frames, _matrix(window_values, frames.dtype))
    return rfft(frames, fft_length)


def istft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: Any = None,
    window: Any = "hann",
    center: bool = True,
) -> Any:
    """Inverse short-time Fourier transform, as Keras (eager only): each
    frame's ``irfft`` times the window, overlap-added and divided by the
    overlap-added squared window.

    Args:
        x: a tuple ``(real, imag)``, each ``(..., frames, bins)``.
        sequence_length: the window's length.
        sequence_stride: the hop between frames.
        fft_length: the frame and transform length.
        length: cut the signal to this many samples.
        window: ``"hann"``, ``"hamming"``, an array or ``None``.
        center: drop the ``fft_length // 2`` samples ``stft`` padded with.

    Raises:
        ValueError: for symbolic input, or input of rank < 2.

    Example:

    >>> signal = np.sin(np.arange(32, dtype="float32"))
    >>> spectrum = stft(signal, 8, 2, 8)
    >>> restored = istft(spectrum, 8, 2, 8, length=32).numpy()
    >>> bool(np.allclose(restored[4:-4], signal[4:-4], atol=1e-5))
    True
    """
    if any(isinstance(v, SymbolicTensor) for v in (x[0], x[1])):
        raise ValueError(
            "kgraph.ops.istft runs eagerly only: its overlap-add is computed with "
            "NumPy. Call it on arrays or eager tensors. Received: symbolic input"
        )
    real, imag = (np.asarray(shape_ops.as_tensor(v)) for v in x)
    if real.ndim < 2:
        raise ValueError(
            f"istft: input `x` must have at least 2 dimensions. Received shape: "
            f"{real.shape}"
        )
    dtype = np.result_type(real.dtype, imag.dtype)
    win = _window(window, sequence_length, fft_length, "istft")
    frames = np.fft.irfft(real + 1j * imag, n=fft_length, axis=-1) * win
    count = real.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    signal = np.zeros((*real.shape[:-2], total))
    norm = np.zeros(total)
    for index in range(count):
        start = index * sequence_stride
        signal[..., start : start + fft_length] += frames[..., index, :]
        norm[start : start + fft_length] += win**2
    signal = signal / np.where(norm > 1e-10, norm, 1.0)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return shape_ops.as_tensor(signal[..., start:end].astype(dtype))


__all__ = ["fft", "fft2", "ifft2", "irfft", "istft", "rfft", "stft"]
