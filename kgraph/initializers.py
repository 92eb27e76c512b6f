"""Weight initializers (``kgraph.initializers``), as in ``keras.initializers``.

Initializers run on the host with NumPy: ``initializer(shape, dtype)``
returns a ``numpy.ndarray`` that becomes a variable's first value.

Randomness: an initializer created with an integer ``seed`` draws from its
own generator, reseeded on every call, so it gives the same values every
time (as in Keras). Without a seed it draws from one module-level
``numpy.random.Generator``; ``set_seed(s)`` reseeds it, which makes a whole
program's initialization reproducible.

Example:

>>> set_seed(0)
>>> GlorotUniform()((784, 10)).shape
(784, 10)
>>> bool((RandomNormal(seed=1)((3,)) == RandomNormal(seed=1)((3,))).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import objects

_GENERATOR = np.random.default_rng()

# The standard deviation of a standard normal truncated to [-2, 2]: dividing
# by it gives a truncated normal the intended standard deviation.
_TRUNCATED_STDDEV = 0.87962566103423978


def set_seed(seed: int | None) -> None:
    """Reseeds the generator that unseeded initializers draw from.

    Args:
        seed: an integer, or ``None`` for fresh OS entropy.

    Example:

    >>> set_seed(42); a = RandomUniform()((2,))
    >>> set_seed(42); b = RandomUniform()((2,))
    >>> bool((a == b).all())
    True
    """
    global _GENERATOR
    _GENERATOR = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """Returns the module-level generator unseeded initializers draw from."""
    return _GENERATOR


def _numpy_dtype(dtype: Any) -> np.dtype:
    return dtypes.to_numpy(dtypes.canonical("float32" if dtype is None else dtype))


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    result = _numpy_dtype(dtype)
    if result.kind != "f":
        raise ValueError(
            f"{name} only generates floating-point values. Received: dtype={dtype!r}"
        )
    return result


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    return tuple(int(d) for d in shape)


class Initializer(objects.Configurable):
    """Base class of initializers: ``__call__(shape, dtype)`` -> an array.

    Subclasses implement ``__call__`` and ``get_config``.

    Example:

    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype="float32"):
    ...         return np.full(shape, 2.0, dtype=dtype)
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns an array of ``shape`` and ``dtype``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype)."
        )

    def clone(self) -> Initializer:
        """Returns a new initializer with the same configuration."""
        return type(self).from_config(self.get_config())


class Zeros(Initializer):
    """Generates zeros.

    Example:

    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns zeros of ``shape`` and ``dtype``."""
        return np.zeros(_shape(shape), dtype=_numpy_dtype(dtype))


class Ones(Initializer):
    """Generates ones.

    Example:

    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns ones of ``shape`` and ``dtype``."""
        return np.ones(_shape(shape), dtype=_numpy_dtype(dtype))


class Constant(Initializer):
    """Generates a constant value (a scalar, or an array broadcast to the shape).

    Args:
        value: the value.

    Example:

    >>> Constant(3.0)((2,))
    array([3., 3.], dtype=float32)
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns ``value`` broadcast to ``shape``."""
        value = np.asarray(self.value, dtype=_numpy_dtype(dtype))
        return np.broadcast_to(value, _shape(shape)).copy()

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"value"}``."""
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class Identity(Initializer):
    """Generates ``gain`` times the identity matrix (2-D shapes only).

    Args:
        gain: the multiplicative factor.

    Raises:
        ValueError: for a shape that is not 2-D.

    Example:

    >>> Identity()((2, 2))
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns ``gain * eye(*shape)``."""
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = _numpy_dtype(dtype)
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"gain"}``."""
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base class of random initializers: the seed handling.

    Args:
        seed: an integer (the same values on every call) or ``None`` (draw
            from the module-level generator, see ``set_seed``).

    Raises:
        ValueError: for a seed that is neither an int nor ``None``.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int | np.integer)
        ):
            raise ValueError(
                f"`seed` argument should be an integer or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> np.random.Generator:
        if self.seed is None:
            return _GENERATOR
        return np.random.default_rng(self.seed)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"seed"}``."""
        return {"seed": self.seed}


def _truncated_normal(
    rng: np.random.Generator, shape: tuple[int, ...], mean: float, stddev: float
) -> np.ndarray:
    """Draws N(mean, stddev), redrawing values more than 2 stddev away."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: see ``RandomInitializer``.

    Example:

    >>> RandomNormal(seed=0)((2, 2)).dtype
    dtype('float32')
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None
    ):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns normal samples of ``shape``."""
        dtype = _float_dtype("RandomNormal", dtype)
        values = self._generator().normal(self.mean, self.stddev, _shape(shape))
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"mean", "stddev", "seed"}``."""
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Draws from a normal distribution truncated to ``mean ± 2 * stddev``.

    Values more than two standard deviations from the mean are redrawn.

    Args:
        mean: the mean.
        stddev: the standard deviation before truncation.
        seed: see ``RandomInitializer``.

    Example:

    >>> bool((np.abs(TruncatedNormal(seed=0)((1000,))) <= 0.1).all())
    True
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None
    ):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns truncated normal samples of ``shape``."""
        dtype = _float_dtype("TruncatedNormal", dtype)
        values = _truncated_normal(
            self._generator(), _shape(shape), self.mean, self.stddev
        )
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"mean", "stddev", "seed"}``."""
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Draws from a uniform distribution on ``[minval, maxval)``.

    Args:
        minval: the lower bound (inclusive).
        maxval: the upper bound (exclusive).
        seed: see ``RandomInitializer``.

    Example:

    >>> bool((np.abs(RandomUniform(seed=0)((1000,))) <= 0.05).all())
    True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns uniform samples of ``shape``."""
        dtype = _float_dtype("RandomUniform", dtype)
        values = self._generator().uniform(self.minval, self.maxval, _shape(shape))
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"minval", "maxval", "seed"}``."""
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Computes ``(fan_in, fan_out)`` of a weight shape, as Keras does.

    Rank 0: 1 and 1. Rank 1: ``shape[0]`` for both. Rank 2: ``shape[0]``
    and ``shape[1]``. Higher ranks (convolution kernels ``(..., in, out)``):
    the receptive field ``prod(shape[:-2])`` times ``shape[-2]`` and
    ``shape[-1]``. Explicit ``input_axes`` and ``output_axes`` override.

    Args:
        shape: the weight shape.
        input_axes: optional axes of the input units.
        output_axes: optional axes of the output units.

    Returns:
        ``(fan_in, fan_out)``.

    Example:

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = math.prod(shape[a] for a in input_axes)
        fan_out = math.prod(shape[a] for a in output_axes)
        return int(fan_in), int(fan_out)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(RandomInitializer):
    """Adapts its scale to the weight's shape.

    With ``n`` the fan-in, the fan-out or their mean (``mode``):
    ``"truncated_normal"`` draws a normal truncated at two standard
    deviations whose standard deviation after truncation is
    ``sqrt(scale / n)`` (Keras divides by 0.87962566103423978);
    ``"untruncated_normal"`` a plain normal with that standard deviation;
    ``"uniform"`` a uniform on ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: the positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias),
            ``"untruncated_normal"`` or ``"uniform"``.
        seed: see ``RandomInitializer``.
        input_axes: optional axes of the input units, for the fans.
        output_axes: optional axes of the output units, for the fans.

    Raises:
        ValueError: for a non-positive scale, or an unknown mode or
            distribution.

    Example:

    >>> VarianceScaling(scale=2.0, seed=0)((64, 32)).shape
    (64, 32)
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}"
            )
        mode = mode.lower()
        if mode not in self._MODES:
            raise ValueError(
                f"Invalid `mode` argument: {mode}. Please use one of "
                f"{list(self._MODES)}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. Please use one of "
                f"{list(self._DISTRIBUTIONS)}"
            )
        super().__init__(seed)
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes

    def _variance(self, shape: tuple[int, ...]) -> float:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            return self.scale / max(1.0, fan_in)
        if self.mode == "fan_out":
            return self.scale / max(1.0, fan_out)
        return self.scale / max(1.0, (fan_in + fan_out) / 2.0)

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns samples of ``shape`` with the scaled variance."""
        dtype = _float_dtype(type(self).__name__, dtype)
        shape = _shape(shape)
        variance = self._variance(shape)
        rng = self._generator()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            values = _truncated_normal(rng, shape, 0.0, stddev)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


_PRESET_ARGS = """    Args:
        seed: see ``RandomInitializer``.
        input_axes: optional axes of the input units.
        output_axes: optional axes of the output units.
"""


class _PresetVarianceScaling(VarianceScaling):
    """A ``VarianceScaling`` whose scale, mode and distribution are fixed.

    Each preset's docstring gets the Args section they share.
    """

    _PRESET: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "Args:" not in cls.__doc__:
            cls.__doc__ = cls.__doc__.rstrip() + "\n\n" + _PRESET_ARGS

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._PRESET
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"seed", "input_axes", "output_axes"}``."""
        return {
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_PresetVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-limit, limit)``,
    ``limit = sqrt(6 / (fan_in + fan_out))``. Keras's default kernel
    initializer.
    """

    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_PresetVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with
    ``stddev = sqrt(2 / (fan_in + fan_out))``.
    """

    _PRESET = (1.0, "fan_avg", "truncated_normal")


class LecunNormal(_PresetVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)``."""

    _PRESET = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_PresetVarianceScaling):
    """LeCun uniform: ``U(-limit, limit)``, ``limit = sqrt(3 / fan_in)``."""

    _PRESET = (1.0, "fan_in", "uniform")


class HeNormal(_PresetVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``."""

    _PRESET = (2.0, "fan_in", "truncated_normal")


class HeUniform(_PresetVarianceScaling):
    """He uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``."""

    _PRESET = (2.0, "fan_in", "uniform")


class Orthogonal(RandomInitializer):
    """Generates a (semi-)orthogonal matrix, as Keras does.

    The QR decomposition of a normal matrix of shape
    ``(max(rows, cols), min(rows, cols))`` gives Q; its columns are signed by
    ``sign(diag(R))`` so Q is uniformly distributed, and it is transposed
    when there are fewer rows than columns. For rank > 2 the rows are
    ``prod(shape[:-1])``. The result is ``gain * Q`` reshaped to ``shape``.

    Args:
        gain: the multiplicative factor.
        seed: see ``RandomInitializer``.

    Raises:
        ValueError: for a shape of rank < 2.

    Example:

    >>> q = Orthogonal(seed=0)((4, 4))
    >>> bool(np.allclose(q @ q.T, np.eye(4), atol=1e-5))
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns a (semi-)orthogonal array of ``shape``."""
        dtype = _float_dtype("Orthogonal", dtype)
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = self._generator().standard_normal(flat)
        q, r = np.linalg.qr(a)
        signs = np.sign(np.diag(r))
        q = q * np.where(signs == 0, 1.0, signs)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"gain", "seed"}``."""
        return {"gain": self.gain, **super().get_config()}


_WINDOWS = {
    "hann": np.hanning,
    "hanning": np.hanning,
    "hamming": np.hamming,
    "blackman": np.blackman,
    "bartlett": np.bartlett,
    "boxcar": np.ones,
}


def window(name: Any, length: int, periodic: bool) -> np.ndarray:
    """A window function's values, as ``scipy.signal.get_window(name,
    length, fftbins=periodic)`` gives them: ``"hann"``, ``"hamming"``,
    ``"blackman"``, ``"bartlett"`` and ``"boxcar"`` are computed here; other
    names need SciPy.

    Raises:
        ValueError: for a name neither known here nor to SciPy.
    """
    make = _WINDOWS.get(name)
    if make is not None:
        values = make(length + 1)[:-1] if periodic else make(length)
        return np.asarray(values, dtype="float64")
    try:
        from scipy import signal
    except ImportError:
        raise ValueError(
            f"Unknown window {name!r}: kgraph computes {sorted(_WINDOWS)}; other "
            f"windows need SciPy (pip install scipy). Received: window={name!r}"
        ) from None
    return np.asarray(signal.get_window(name, length, periodic), dtype="float64")


class STFT(Initializer):
    """Kernels of a convolution computing a short-time Fourier transform:
    the real (cosine) or imaginary (sine) parts of the DFT's first
    ``F // 2 + 1`` frequencies, windowed.

    The shape is ``(frame_length, 1, fft_length // 2 + 1)``; entry
    ``(t, 0, f)`` is ``cos(-2 pi t f / fft_length)`` (or ``sin``) times the
    window's ``t``-th value, divided by the window's L2 norm
    (``scaling="density"``) or L1 norm (``"spectrum"``).

    Args:
        side: ``"real"`` or ``"imag"``.
        window: A window name (``"hann"``, ``"hamming"``, ...), the window's
            values, or ``None`` for none.
        scaling: ``"density"``, ``"spectrum"`` or ``None``.
        periodic: Whether the window is periodic (for spectral analysis)
            rather than symmetric.

    Raises:
        ValueError: for another ``side`` or ``scaling``, or a window whose
            length is not the frame length.

    Example:

    >>> STFT("real", window=None)((4, 1, 3))[:, 0, :].round(6)
    array([[ 1.,  1.,  1.],
           [ 1.,  0., -1.],
           [ 1., -1.,  1.],
           [ 1., -0., -1.]], dtype=float32)
    """

    def __init__(
        self,
        side: str = "real",
        window: Any = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        if side not in ("real", "imag"):
            raise ValueError(
                f"side should be 'real' or 'imag'. Received: side={side!r}"
            )
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received: scaling={scaling!r}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """Returns the kernel of ``shape = (frame_length, 1, bins)``."""
        frame_length, _, bins = _shape(shape)
        fft_length = (bins - 1) * 2
        time = np.arange(frame_length, dtype="float64").reshape(-1, 1, 1)
        freq = np.arange(bins, dtype="float64").reshape(1, 1, -1) / fft_length
        angle = -2.0 * time * freq * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            values = (
                window(self.window, frame_length, self.periodic)
                if isinstance(self.window, str)
                else np.asarray(self.window, dtype="float64")
            )
            if values.shape != (frame_length,):
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. "
                    f"Received: window shape={values.shape}"
                )
            values = values.reshape(-1, 1, 1)
            scale = 1.0
            if self.scaling == "density":
                scale = float(np.sqrt(np.sum(values**2)))
            elif self.scaling == "spectrum":
                scale = float(np.sum(np.abs(values)))
            kernel = kernel * values / scale
        return kernel.astype(_float_dtype("STFT", dtype))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        window = self.window
        if isinstance(window, np.ndarray):
            window = window.tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


_CLASS_LIST: tuple[type[Initializer], ...] = (
    Initializer,
    Constant,
    Identity,
    Ones,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
_CLASSES: dict[str, type[Initializer]] = objects.name_table(
    _CLASS_LIST[1:],
    {
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "STFT": STFT,
        "STFTInitializer": STFT,
        "stft": STFT,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    },
)

constant = Constant
identity = Identity
ones = Ones
zeros = Zeros
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
STFTInitializer = STFT
stft = STFT


FAMILY = objects.ObjectFamily("initializer", Initializer, _CLASSES)
"""The initializers' ``ObjectFamily``: names and aliases to classes."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> type(get("he_normal")).__name__
'HeNormal'""",
        "serialize": """>>> serialize(Zeros())
{'class_name': 'Zeros', 'config': {}}""",
    },
)


__all__ = [
    "STFT",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "generator",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "set_seed",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
