"""Keras's colour augmentation and colour preprocessing layers, channels
last: ``Solarization``, ``RandomInvert``, ``RandomGrayscale``,
``RandomPosterization``, ``AutoContrast``, ``RandomColorDegeneration``,
``RandomSaturation``, ``RandomHue``, ``RandomColorJitter``,
``RandomSharpness``, ``RandomGaussianBlur`` and ``Equalization``.

The random layers build on ``RandomImageLayer``: draws come from kgraph's
counter-based generator (the interpreter and native code agree), and at
inference the images pass through (as floats). Given the draws, each layer
is Keras's formula. ``AutoContrast`` also applies at inference, as in Keras.
Outputs are floats of the layer's dtype (Keras rounds back to an integer
input dtype; kgraph does not).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from kgraph import ops
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.augmentation import SALT_BITS
from kgraph.layers.preprocessing.augmentation import RandomBrightness
from kgraph.layers.preprocessing.augmentation import RandomContrast
from kgraph.layers.preprocessing.augmentation import RandomImageLayer
from kgraph.layers.preprocessing.augmentation import factor_range
from kgraph.layers.preprocessing.image import check_image_rank
from kgraph.ops import image as image_ops

# Keras's ``backend.epsilon()``.
EPSILON = 1e-7


def value_range_of(layer: str, value_range: Any, sort: bool = True) -> list:
    """Keras's ``value_range`` check: a list or tuple of two numbers,
    sorted unless ``sort`` is false.

    Raises:
        ValueError: for anything else.
    """
    if (
        not isinstance(value_range, list | tuple)
        or len(value_range) != 2
        or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range
        )
    ):
        raise ValueError(
            f"{layer}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}"
        )
    return sorted(value_range) if sort else list(value_range)


def to_range(images: Any, source: Sequence[float], target: Sequence[float]) -> Any:
    """Keras's ``_transform_value_range``: maps ``source`` linearly onto
    ``target`` (nothing when they are equal)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    unit = ops.divide(
        ops.subtract(images, float(source[0])), float(source[1] - source[0])
    )
    return ops.add(ops.multiply(unit, float(target[1] - target[0])), float(target[0]))


def rgb_to_grayscale(layer: Layer, images: Any) -> Any:
    """Keras's ``rgb_to_grayscale``: one channel of luma (a one-channel
    image is returned as it is).

    Raises:
        ValueError: when the images have neither 1 nor 3 channels.
    """
    channels = images.shape[-1]
    if channels == 1:
        return images
    if channels != 3:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) expects images with '
            f"1 (grayscale) or 3 (RGB) channels. Received: input shape "
            f"{tuple(images.shape)}"
        )
    return image_ops.rgb_to_grayscale(images)


def _channel(images: Any, index: int) -> Any:
    return ops.get_item(images, (Ellipsis, slice(index, index + 1)))


def shifted(images: Any, dy: int, dx: int) -> Any:
    """The images moved so that ``out[i, j] = in[i + dy, j + dx]``, zero
    outside (a "same"-padded convolution's window)."""
    height, width = images.shape[-3], images.shape[-2]
    pad = [(0, 0)] * (images.ndim - 3) + [(abs(dy),) * 2, (abs(dx),) * 2, (0, 0)]
    padded = ops.pad(images, pad)
    rows = slice(abs(dy) + dy, abs(dy) + dy + height)
    cols = slice(abs(dx) + dx, abs(dx) + dx + width)
    return ops.get_item(padded, (Ellipsis, rows, cols, slice(None)))


def filter_same(images: Any, kernel: Sequence[Sequence[Any]]) -> Any:
    """A depthwise correlation with zero "same" padding: ``kernel[i][j]``
    (numbers or scalar tensors) weighs the pixel ``(i - kh // 2, j - kw //
    2)`` away."""
    kh, kw = len(kernel), len(kernel[0])
    total = None
    for i in range(kh):
        for j in range(kw):
            term = ops.multiply(shifted(images, i - kh // 2, j - kw // 2), kernel[i][j])
            total = term if total is None else ops.add(total, term)
    return total


def scalar_uniform(
    layer: RandomImageLayer, key: Any, images: Any, draw: int, low: float, high: float
) -> Any:
    """One uniform value in ``[low, high)`` for the whole batch, shaped
    ``(1,)``."""
    like = ops.reshape(
        ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1))),
        (-1,),
    )
    like = ops.get_item(like, slice(0, 1))
    salt = (layer.random_salt + draw) & SALT_BITS
    values = ops.random_uniform(key, like, salt=salt, dtype=images.dtype)
    return ops.add(ops.multiply(values, high - low), low)


class Solarization(RandomImageLayer):
    """Adds a random amount to each image and inverts the pixels above a
    random threshold, in training, as Keras's ``Solarization``. In the
    ``(0, 255)`` scale: ``r = clip(x + a, 0, 255)``, then ``r`` where ``r <
    t`` and ``255 - r`` elsewhere, with ``a`` drawn from
    ``[addition_factor[0], addition_factor[1] * 255)`` and ``t`` from
    ``[threshold_factor[0], threshold_factor[1] * 255)`` per image (Keras
    scales only the upper bounds). With the default zero factors every pixel
    is inverted.

    Args:
        addition_factor: a number ``f`` in ``[0, 1]`` (``(0, f)``) or a pair.
        threshold_factor: a number ``f`` in ``[0, 1]`` (``(0, f)``) or a pair.
        value_range: the ``(low, high)`` of the images.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> Solarization()(np.array([[[[10.0]]]]), training=True).numpy().ravel()
    array([245.], dtype=float32)
    """

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = factor_range(
            "Solarization", "addition_factor", addition_factor, (0.0, 1.0)
        )
        self.threshold_factor = factor_range(
            "Solarization", "threshold_factor", threshold_factor, (0.0, 1.0)
        )
        self.value_range = value_range_of("Solarization", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Solarizes with the drawn additions and thresholds."""
        (a_low, a_high), (t_low, t_high) = self.addition_factor, self.threshold_factor
        additions = self.uniform(key, images, 0, a_low, a_high * 255.0)
        thresholds = self.uniform(key, images, 1, t_low, t_high * 255.0)
        x = to_range(images, self.value_range, (0, 255))
        x = ops.clip(ops.add(x, additions), 0.0, 255.0)
        x = ops.where(ops.less(x, thresholds), x, ops.subtract(255.0, x))
        return to_range(x, (0, 255), self.value_range)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
        }


class RandomInvert(RandomImageLayer):
    """Inverts images (``value_range[1] - x``) at random in training, as
    Keras's ``RandomInvert``: an image is inverted when a uniform draw is
    below its probability, itself drawn from ``factor``'s range.

    Args:
        factor: a probability ``p`` in ``[0, 1]`` (``(0, p)``) or a pair.
        value_range: the ``(low, high)`` of the images (not sorted, as Keras).
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomInvert(0.0)(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomInvert", "factor", factor, (0.0, 1.0))
        self.value_range = value_range_of("RandomInvert", value_range, sort=False)

    def is_identity(self) -> bool:
        """A zero probability never inverts."""
        return self.factor == (0.0, 0.0)

    def augment(self, images: Any, key: Any) -> Any:
        """Inverts the images whose draw falls below their probability."""
        probability = self.uniform(key, images, 0, *self.factor)
        threshold = self.uniform(key, images, 1, 0.0, 1.0)
        inverted = ops.subtract(float(self.value_range[1]), images)
        return ops.where(ops.less(threshold, probability), inverted, images)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class RandomGrayscale(RandomImageLayer):
    """Turns images to grayscale (kept with their channel count) with
    probability ``factor`` in training, as Keras's ``RandomGrayscale``:
    the luma ``0.2989 R + 0.5870 G + 0.1140 B`` in every channel.

    Args:
        factor: the probability, in ``[0, 1]``.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Raises:
        ValueError: when ``factor`` is outside ``[0, 1]``, or (when called)
            the images have neither 1 nor 3 channels.

    Example:

    >>> import numpy as np
    >>> RandomGrayscale(1.0)(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if (
            not isinstance(factor, numbers.Real)
            or isinstance(factor, bool)
            or not 0 <= factor <= 1
        ):
            raise ValueError(
                "RandomGrayscale: `factor` should be between 0 and 1. "
                f"Received: factor={factor!r}"
            )
        self.factor = factor

    def is_identity(self) -> bool:
        """A zero probability never changes an image."""
        return self.factor == 0

    def augment(self, images: Any, key: Any) -> Any:
        """Grays the images whose draw is below ``factor``."""
        gray = rgb_to_grayscale(self, images)
        chosen = ops.less(self.uniform(key, images, 0, 0.0, 1.0), float(self.factor))
        return ops.where(chosen, ops.add(gray, ops.multiply(images, 0.0)), images)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "factor": self.factor}


class RandomPosterization(RandomImageLayer):
    """Keeps only the top ``b`` bits of each 8-bit colour value in training,
    as Keras's ``RandomPosterization``: ``b`` is an integer drawn per image
    from ``[factor[0], factor[1])`` (Keras's ``randint``; just ``factor[0]``
    when the two are equal). In the ``(0, 255)`` scale a value ``v`` becomes
    ``floor(v / 2**s) * 2**s`` with ``s = 8 - b``; values are first clipped
    to ``[0, 255]`` and truncated, where Keras casts to ``uint8``.

    Args:
        factor: a number of bits ``f`` in ``[1, 8]`` (``(1, f)``) or a pair.
        value_range: the ``(low, high)`` of the images.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = RandomPosterization((4, 4))
    >>> layer(np.full((1, 1, 1, 1), 37.0), training=True).numpy().ravel()
    array([32.], dtype=float32)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        low, high = factor_range("RandomPosterization", "factor", factor, (1.0, 8.0))
        self.factor = (int(low), int(high))
        self.value_range = value_range_of("RandomPosterization", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Posterizes with the drawn bit counts."""
        low, high = self.factor
        if low == high:
            bits = ops.add(self.uniform(key, images, 0, 0.0, 0.0), float(low))
        else:
            bits = ops.floor(self.uniform(key, images, 0, float(low), float(high)))
        step = ops.power(2.0, ops.subtract(8.0, bits))
        x = to_range(images, self.value_range, (0, 255))
        x = ops.floor(ops.clip(x, 0.0, 255.0))
        x = ops.multiply(ops.floor(ops.divide(x, step)), step)
        return to_range(x, (0, 255), self.value_range)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class AutoContrast(Layer):
    """Stretches each channel of each image to the full ``value_range``, in
    training and inference, as Keras's ``AutoContrast``: in the ``(0,
    255)`` scale ``(x - low) * 255 / (high - low)`` with the channel's
    minimum and maximum, clipped; a constant channel is left as it is.

    Args:
        value_range: the ``(low, high)`` of the images.
        **kwargs: base layer arguments (and ``data_format``: ``None`` or
            ``"channels_last"``, as Keras's base layer takes it).

    Example:

    >>> import numpy as np
    >>> image = np.array([[[[10.0], [20.0]]]])
    >>> AutoContrast()(image).numpy().ravel()
    array([  0., 255.], dtype=float32)
    """

    # Keras's base layer takes ``data_format`` through ``**kwargs``.
    keras_config_keys = ("data_format",)

    def __init__(self, value_range: Sequence[float] = (0, 255), **kwargs: Any) -> None:
        data_format = kwargs.pop("data_format", None)
        super().__init__(**kwargs)
        self.value_range = value_range_of("AutoContrast", value_range)
        self.data_format = standardize_data_format(data_format, "AutoContrast")

    def call(self, inputs: Any) -> Any:
        """Returns the stretched images."""
        images = ops.as_tensor(inputs)
        check_image_rank(self, images.shape)
        if images.dtype != self.dtype:
            images = ops.cast(images, self.dtype)
        x = to_range(images, self.value_range, (0, 255))
        low = ops.min(x, axis=(-3, -2), keepdims=True)
        high = ops.max(x, axis=(-3, -2), keepdims=True)
        spread = ops.subtract(high, low)
        varies = ops.greater(spread, 0.0)
        scale = ops.divide(255.0, ops.where(varies, spread, 1.0))
        stretched = ops.clip(ops.multiply(ops.subtract(x, low), scale), 0.0, 255.0)
        stretched = to_range(stretched, (0, 255), self.value_range)
        return ops.where(varies, stretched, images)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "data_format": self.data_format,
        }


class RandomColorDegeneration(RandomImageLayer):
    """Blends each image towards its grayscale version by a random amount in
    training, as Keras's ``RandomColorDegeneration``: ``x + f * (gray -
    x)``, clipped to ``value_range``, with ``f`` drawn per image.

    Args:
        factor: ``f`` in ``[-1, 1]`` (``(-f, f)``, Keras's base bounds) or
            a pair.
        value_range: the ``(low, high)`` of the images.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomColorDegeneration(0.5)(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(
            "RandomColorDegeneration", "factor", factor, (-1.0, 1.0)
        )
        self.value_range = value_range_of("RandomColorDegeneration", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Blends towards gray by the drawn amounts and clips."""
        amount = self.uniform(key, images, 0, *self.factor)
        gray = rgb_to_grayscale(self, images)
        blended = ops.add(images, ops.multiply(amount, ops.subtract(gray, images)))
        return ops.clip(blended, *(float(v) for v in self.value_range))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class RandomSaturation(RandomImageLayer):
    """Scales each image's HSV saturation by a random amount in training, as
    Keras's ``RandomSaturation``: ``s * f / (1 - f + 1e-7)``, clipped to
    ``value_range``, with ``f`` drawn per image (``f = 0.5`` keeps the
    image, ``0`` grays it, ``1`` saturates fully). As in Keras the HSV
    conversion works on the raw values and the saturation is clipped to
    ``value_range``, so outputs may leave ``value_range`` when it is wider
    than ``[0, 1]``.

    Args:
        factor: ``f`` in ``[-1, 1]`` (``(-f, f)``, Keras's base bounds) or
            a pair.
        value_range: the ``(low, high)`` the saturation is clipped to.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomSaturation(0.5)(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomSaturation", "factor", factor, (-1.0, 1.0))
        self.value_range = value_range_of("RandomSaturation", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Rescales the saturation by the drawn amounts."""
        check_rgb(self, images)
        drawn = self.uniform(key, images, 0, *self.factor)
        scale = ops.divide(drawn, ops.add(ops.subtract(1.0, drawn), EPSILON))
        hsv = image_ops.rgb_to_hsv(images)
        saturation = ops.clip(
            ops.multiply(_channel(hsv, 1), scale),
            *(float(v) for v in self.value_range),
        )
        hsv = ops.concatenate([_channel(hsv, 0), saturation, _channel(hsv, 2)], -1)
        return image_ops.hsv_to_rgb(hsv)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


def check_rgb(layer: Layer, images: Any) -> None:
    """HSV layers need three channels.

    Raises:
        ValueError: otherwise.
    """
    if images.shape[-1] != 3:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) expects RGB images '
            f"(3 channels). Received: input shape {tuple(images.shape)}"
        )


class RandomHue(RandomImageLayer):
    """Rotates each image's hue by a random amount in training, as Keras's
    ``RandomHue``: in the ``(0, 1)`` scale the hue moves by ``±f / 2`` (the
    sign drawn with even odds, ``f`` from ``factor``'s range) and wraps;
    the result is clipped to ``[0, 1]`` and mapped back to
    ``value_range``.

    Args:
        factor: ``f`` in ``[0, 1]`` (``(0, f)``) or a pair.
        value_range: the ``(low, high)`` of the images (not sorted, as Keras).
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomHue(0.5)(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomHue", "factor", factor, (0.0, 1.0))
        self.value_range = value_range_of("RandomHue", value_range, sort=False)

    def augment(self, images: Any, key: Any) -> Any:
        """Moves the hue by the drawn amounts."""
        check_rgb(self, images)
        invert = ops.greater(self.uniform(key, images, 0, 0.0, 1.0), 0.5)
        amount = self.uniform(key, images, 1, *self.factor)
        shift = ops.multiply(ops.where(invert, -0.5, 0.5), amount)
        hsv = image_ops.rgb_to_hsv(to_range(images, self.value_range, (0, 1)))
        hue = ops.add(_channel(hsv, 0), shift)
        hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
        hue = ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)
        hsv = ops.concatenate([hue, _channel(hsv, 1), _channel(hsv, 2)], -1)
        rgb = ops.clip(image_ops.hsv_to_rgb(hsv), 0.0, 1.0)
        return to_range(rgb, (0, 1), self.value_range)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class RandomColorJitter(RandomImageLayer):
    """Applies ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation``
    and ``RandomHue`` in turn in training (those whose factor is given), as
    Keras's ``RandomColorJitter``; each draws from its own stream.

    Args:
        value_range: the ``(low, high)`` of the images.
        brightness_factor: ``RandomBrightness``'s factor, or ``None``.
        contrast_factor: ``RandomContrast``'s factor, or ``None``.
        saturation_factor: ``RandomSaturation``'s factor, or ``None``.
        hue_factor: ``RandomHue``'s factor, or ``None``.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = RandomColorJitter(brightness_factor=0.2, hue_factor=0.1)
    >>> layer(np.ones((1, 2, 2, 3)), training=True).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range_of("RandomColorJitter", value_range, False)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        makers = (
            (brightness_factor, RandomBrightness),
            (contrast_factor, RandomContrast),
            (saturation_factor, RandomSaturation),
            (hue_factor, RandomHue),
        )
        self.steps = [
            cls(
                factor,
                value_range=self.value_range,
                salt=(self.random_salt + 16 * (index + 1)) & SALT_BITS,
                name=f"{self.name}_{cls.__name__}",
            )
            for index, (factor, cls) in enumerate(makers)
            if factor is not None
        ]

    def is_identity(self) -> bool:
        """Without factors nothing changes."""
        return not self.steps

    def augment(self, images: Any, key: Any) -> Any:
        """Applies the configured steps."""
        for step in self.steps:
            images = step.augment(images, key)
        return images

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
        }


class RandomSharpness(RandomImageLayer):
    """Sharpens or blurs each image by a random amount in training, as
    Keras's ``RandomSharpness``: with ``s`` the image smoothed by the 3x3
    kernel ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` (zero padding),
    ``x + (1 - 2f) * (s - x)`` clipped to ``value_range``, ``f`` drawn per
    image (``f = 0.5`` keeps the image).

    Args:
        factor: ``f`` in ``[0, 1]`` (``(0, f)``) or a pair.
        value_range: the ``(low, high)`` of the images.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomSharpness(0.5)(np.ones((1, 3, 3, 3)), training=True).shape
    (1, 3, 3, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomSharpness", "factor", factor, (0.0, 1.0))
        self.value_range = value_range_of("RandomSharpness", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Blends with the smoothed image by the drawn amounts and clips."""
        amount = ops.multiply(self.uniform(key, images, 0, *self.factor), 2.0)
        edge, centre = 1.0 / 13.0, 5.0 / 13.0
        kernel = [[edge, edge, edge], [edge, centre, edge], [edge, edge, edge]]
        smoothed = filter_same(images, kernel)
        blend = ops.multiply(ops.subtract(1.0, amount), ops.subtract(smoothed, images))
        return ops.clip(ops.add(images, blend), *(float(v) for v in self.value_range))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


def _kernel_size(value: Any) -> tuple[int, int]:
    message = (
        "RandomGaussianBlur: `kernel_size` must be an odd number or a list of "
        f"two odd numbers. Received: kernel_size={value!r}"
    )
    sizes = list(value) if isinstance(value, list | tuple) else [value, value]
    if len(sizes) != 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s % 2 == 1
        for s in sizes
    ):
        raise ValueError(message)
    return int(sizes[0]), int(sizes[1])


def gaussian_weights(size: int, sigma: Any) -> list[Any]:
    """Keras's normalized 1-D Gaussian kernel of ``size`` taps, for a scalar
    (tensor) ``sigma``."""
    centre = (size - 1) / 2.0
    raw = [
        ops.exp(ops.multiply(ops.square(ops.divide(i - centre, sigma)), -0.5))
        for i in range(size)
    ]
    total = raw[0]
    for value in raw[1:]:
        total = ops.add(total, value)
    return [ops.divide(value, total) for value in raw]


class RandomGaussianBlur(RandomImageLayer):
    """Blurs images with a Gaussian kernel at random in training, as Keras's
    ``RandomGaussianBlur``: an image is blurred when a uniform draw is
    below its probability (drawn from ``factor``'s range); the kernel's
    horizontal and vertical sigmas are drawn once for the batch from
    ``sigma``'s range (plus ``1e-6``); zero "same" padding; the result is
    clipped to ``value_range``.

    Args:
        factor: a probability ``p`` in ``[0, 1]`` (``(0, p)``) or a pair.
        kernel_size: an odd size, or ``(width, height)`` odd sizes.
        sigma: ``s`` in ``[0, 1]`` (``(0, s)``) or a pair.
        value_range: the ``(low, high)`` of the images.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomGaussianBlur()(np.ones((1, 4, 4, 3)), training=True).shape
    (1, 4, 4, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomGaussianBlur", "factor", factor, (0.0, 1.0))
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = factor_range("RandomGaussianBlur", "sigma", sigma, (0.0, 1.0))
        self.value_range = value_range_of("RandomGaussianBlur", value_range, False)

    def is_identity(self) -> bool:
        """A zero probability never blurs."""
        return self.factor == (0.0, 0.0)

    def augment(self, images: Any, key: Any) -> Any:
        """Blurs the chosen images with the drawn sigmas and clips."""
        probability = self.uniform(key, images, 0, *self.factor)
        threshold = self.uniform(key, images, 1, 0.0, 1.0)
        sigma_x = ops.add(scalar_uniform(self, key, images, 2, *self.sigma), 1e-6)
        sigma_y = ops.add(scalar_uniform(self, key, images, 3, *self.sigma), 1e-6)
        along_x = gaussian_weights(self.kernel_size[0], sigma_x)
        along_y = gaussian_weights(self.kernel_size[1], sigma_y)
        blurred = filter_same(images, [along_x])
        blurred = filter_same(blurred, [[w] for w in along_y])
        blurred = ops.where(ops.less(threshold, probability), blurred, images)
        low, high = self.value_range
        return ops.clip(blurred, float(low), float(high))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
        }


class Equalization(RandomImageLayer):
    """Equalizes the histogram of each channel in training, as Keras's
    ``Equalization`` (which, like the other augmentation layers, passes
    images through at inference). As in Keras, a channel's histogram is
    taken over the whole batch: values in the ``(0, 255)`` scale fall in
    ``bins`` bins, and each value is mapped through the rounded, rescaled
    cumulative histogram; a channel with at most one occupied bin is kept.

    Args:
        value_range: the ``(low, high)`` of the images.
        bins: the number of histogram bins.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> image = np.array([[[[0.0], [10.0], [10.0], [200.0]]]])
    >>> Equalization()(image, training=True).numpy().ravel()
    array([  0., 170., 170., 255.], dtype=float32)
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("seed", None)
        super().__init__(seed=0, data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(
                "Equalization: `bins` must be a positive integer. "
                f"Received: bins={bins!r}"
            )
        self.bins = int(bins)
        self.value_range = value_range_of("Equalization", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Equalizes every channel (the key is unused)."""
        x = to_range(images, self.value_range, (0, 255))
        channels = [
            self._equalize(ops.get_item(x, (Ellipsis, c)))
            for c in range(images.shape[-1])
        ]
        return to_range(ops.stack(channels, axis=-1), (0, 255), self.value_range)

    def _equalize(self, channel: Any) -> Any:
        bins = self.bins
        scaled = ops.divide(ops.multiply(channel, float(bins - 1)), 255.0)
        index = ops.cast(ops.clip(ops.cast(scaled, "int32"), 0, bins - 1), "int32")
        row = ops.reshape(index, (1, -1))
        ones = ops.add(ops.multiply(ops.cast(row, "float32"), 0.0), 1.0)
        histogram = ops.scatter_add_along_axis(ones, row, axis=1, size=bins)
        histogram = ops.reshape(histogram, (bins,))
        cdf = ops.cumsum(histogram)
        lowest = ops.min(index)
        cdf_min = ops.sum(ops.cast(ops.equal(index, lowest), "float32"))
        denominator = ops.subtract(ops.get_item(cdf, -1), cdf_min)
        denominator = ops.where(ops.equal(denominator, 0.0), 1.0, denominator)
        table = ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denominator)
        table = ops.clip(ops.round(table), 0.0, 255.0)
        lookup = ops.multiply(ops.divide(channel, 255.0), float(bins - 1))
        lookup = ops.cast(ops.clip(lookup, 0.0, float(bins - 1)), "int32")
        mapped = ops.cast(ops.take(table, lookup), channel.dtype)
        occupied = ops.sum(ops.cast(ops.greater(histogram, 0.0), "float32"))
        return ops.where(ops.less_equal(occupied, 1.0), channel, mapped)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        config = super().get_config()
        config.pop("seed", None)
        return {**config, "value_range": self.value_range, "bins": self.bins}


__all__ = [
    "AutoContrast",
    "Equalization",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomSaturation",
    "RandomSharpness",
    "Solarization",
]
