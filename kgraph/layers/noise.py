"""Noise and regularization layers active only in training:
``SpatialDropout1D/2D/3D``, ``GaussianNoise``, ``GaussianDropout``,
``AlphaDropout``; and ``ActivityRegularization``.

Their noise comes from kgraph's counter-based generator, keyed by the
training step and salted per layer, as ``Dropout``'s masks: both backends
draw the same numbers.
"""

from __future__ import annotations

import math
import numbers
import zlib
from typing import Any

from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag
from kgraph.layers.regularization import Dropout
from kgraph.tensor import SymbolicTensor
from kgraph.utils import random as random_utils

SALT_BITS = (1 << 63) - 1
_DATA_FORMATS = ("channels_last", "channels_first")


def _salt(seed: int | None, salt: int | None) -> int:
    """The layer's random stream: from its seed, else kgraph's generator."""
    if salt is None:
        salt = (
            zlib.crc32(str(seed).encode())
            if seed is not None
            else int(random_utils.generator().integers(0, SALT_BITS))
        )
    return int(salt) & SALT_BITS


def _check_rate(layer: str, rate: Any) -> float:
    if (
        isinstance(rate, bool)
        or not isinstance(rate, numbers.Real)
        or not 0.0 <= float(rate) <= 1.0
    ):
        raise ValueError(
            f"Invalid value received for argument `rate` of {layer}. Expected a "
            f"float value between 0 and 1. Received: rate={rate!r}"
        )
    return float(rate)


def _in_training(inputs: Any, training: Any, noisy: Any) -> Any:
    """``noisy`` in training, ``inputs`` otherwise (a graph switch when
    the mode is the graph's)."""
    if training is True:
        return noisy
    return ops.where(training_flag(inputs, training), noisy, inputs)


def _mode(training: Any) -> Any:
    if training is not None and not isinstance(training, SymbolicTensor):
        return bool(training)
    return training


class _NoiseLayer(Layer):
    """Shared by the noise layers: a seed, a salt and the training switch."""

    _passes_masks = True

    def __init__(
        self, seed: int | None = None, salt: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an integer or None. "
                f"Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.noise_salt = _salt(self.seed, salt)

    def _salt_config(self) -> dict[str, Any]:
        # kgraph's own: the stream a reloaded layer goes on drawing from.
        return {} if self.seed is not None else {"salt": self.noise_salt}


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean normal noise of standard deviation ``stddev`` in
    training; passes the inputs through otherwise.

    Args:
        stddev: the noise's standard deviation.
        seed: an optional seed.

    Example:

    >>> GaussianNoise(0.1)([1.0, 2.0]).numpy()  # not training: unchanged
    array([1., 2.], dtype=float32)
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float "
                f"value between 0 and 1. Received: stddev={stddev}"
            )
        self.stddev = stddev

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Adds the noise in training."""
        training = _mode(training)
        if training is False or self.stddev == 0:
            return inputs
        noise = ops.random_normal(random_key(inputs), inputs, salt=self.noise_salt)
        noisy = ops.add(inputs, ops.multiply(noise, float(self.stddev)))
        return _in_training(inputs, training, noisy)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "stddev": self.stddev,
            "seed": self.seed,
            **self._salt_config(),
        }


class GaussianDropout(_NoiseLayer):
    """Multiplies the inputs by normal noise of mean 1 and standard
    deviation ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: the drop probability the noise stands for, in ``[0, 1]``.
        seed: an optional seed.

    Example:

    >>> GaussianDropout(0.2)([1.0, 2.0]).numpy()  # not training: unchanged
    array([1., 2.], dtype=float32)
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("GaussianDropout", rate)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Multiplies by the noise in training."""
        training = _mode(training)
        if training is False or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = ops.random_normal(random_key(inputs), inputs, salt=self.noise_salt)
        noisy = ops.multiply(inputs, ops.add(ops.multiply(noise, stddev), 1.0))
        return _in_training(inputs, training, noisy)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            **self._salt_config(),
        }


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps the mean and variance of self-normalizing (SELU)
    activations: dropped units become ``-scale * alpha`` of SELU, then an
    affine map restores the statistics. Active only in training.

    Args:
        rate: the fraction to drop, in ``[0, 1]``.
        noise_shape: the mask's shape, broadcast over the input (as
            ``Dropout``'s).
        seed: an optional seed.

    Example:

    >>> AlphaDropout(0.2)([1.0, 2.0]).numpy()  # not training: unchanged
    array([1., 2.], dtype=float32)
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(
        self,
        rate: float,
        noise_shape: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Drops and re-normalizes in training."""
        training = _mode(training)
        if training is False or self.rate <= 0:
            return inputs
        like = Dropout._mask_like(self, inputs)  # type: ignore[arg-type]
        draws = ops.random_uniform(random_key(inputs), like, salt=self.noise_salt)
        kept = ops.cast(ops.greater_equal(draws, self.rate), inputs.dtype)
        alpha_p = -self._ALPHA * self._SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(
            ops.multiply(inputs, kept), ops.multiply(ops.subtract(1.0, kept), alpha_p)
        )
        return _in_training(inputs, training, ops.add(ops.multiply(x, a), b))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
            "seed": self.seed,
            **self._salt_config(),
        }


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel."""

    _rank = 3

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        salt: int | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(
            rate, seed=seed, salt=salt, name=name, dtype=dtype, trainable=trainable
        )
        data_format = data_format or "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f"{type(self).__name__}: `data_format` must be one of "
                f"{_DATA_FORMATS}. Received: data_format={data_format!r}"
            )
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self._rank)
        spatial = self._rank - 2
        if data_format == "channels_last":
            self.noise_shape = (None, *([1] * spatial), None)
        else:
            self.noise_shape = (None, None, *([1] * spatial))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        config = {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype,
            "trainable": self.trainable,
        }
        if self._rank > 3:
            config["data_format"] = self.data_format
        if self.seed is None:
            config["salt"] = self.mask_salt
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole 1D feature maps: for inputs
    ``(batch, steps, channels)``, each channel of each sample is dropped
    at every step or at none (rescaled by ``1 / (1 - rate)``); only in
    training.

    Args:
        rate: the fraction of channels to drop, in ``[0, 1)``.
        seed: an optional seed.
        name: the layer's name.
        dtype: the layer's dtype.

    Example:

    >>> import numpy as np
    >>> out = SpatialDropout1D(0.5)(np.ones((1, 3, 4), "float32"), training=True)
    >>> bool(np.all(out.numpy() == out.numpy()[:, :1]))
    True
    """

    _rank = 3

    def __init__(
        self,
        rate: float,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        salt: int | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(
            rate, seed=seed, name=name, dtype=dtype, salt=salt, trainable=trainable
        )


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole 2D feature maps (one draw per sample and channel);
    only in training.

    Args:
        rate: the fraction of channels to drop, in ``[0, 1)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an optional seed.
        name: the layer's name.
        dtype: the layer's dtype.

    Example:

    >>> import numpy as np
    >>> SpatialDropout2D(0.5)(np.ones((1, 2, 2, 3), "float32")).shape
    (1, 2, 2, 3)
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole 3D feature maps (one draw per sample and channel);
    only in training.

    Args:
        rate: the fraction of channels to drop, in ``[0, 1)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an optional seed.
        name: the layer's name.
        dtype: the layer's dtype.

    Example:

    >>> import numpy as np
    >>> SpatialDropout3D(0.5)(np.ones((1, 2, 2, 2, 3), "float32")).shape
    (1, 2, 2, 2, 3)
    """

    _rank = 5


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x**2)``
    (divided by the batch size, as Keras's activity regularizers) to the
    training loss.

    Args:
        l1: the L1 factor.
        l2: the L2 factor.

    Example:

    >>> ActivityRegularization(l2=0.1)([1.0, 2.0]).numpy()
    array([1., 2.], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs: Any) -> Any:
        """Returns the inputs."""
        return inputs

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
