"""Random image augmentation, active only in training (Keras's
``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``,
``RandomShear``, ``RandomContrast``, ``RandomBrightness`` and
``RandomCrop``), channels last.

Each layer draws from kgraph's counter-based generator (``ops.random``),
keyed by the training step as ``Dropout`` is and salted per layer, so the
NumPy interpreter and native code draw the same values. Given the draws,
each transformation is Keras's formula; the geometric ones resample with
``kgraph.ops.image.affine_transform``. At inference the layers pass images
through (as floats), except ``RandomCrop``, which then crops the centre to
the target aspect ratio and resizes. As in Keras, a layer called eagerly on
arrays without ``training`` (and outside a model call) augments.
"""

from __future__ import annotations

import math
import numbers
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag
from kgraph.layers.preprocessing.image import check_image_rank
from kgraph.layers.preprocessing.image import check_size
from kgraph.layers.preprocessing.image import image_output_shape
from kgraph.ops import builder
from kgraph.ops import image as image_ops
from kgraph.tensor import KerasTensor
from kgraph.tensor import SymbolicTensor
from kgraph.tree import flatten
from kgraph.utils import random as random_utils

SALT_BITS = (1 << 63) - 1
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def factor_range(
    layer: str, name: str, factor: Any, bounds: tuple[float, float]
) -> tuple[float, float]:
    """Keras's ``_set_factor``: a number ``f`` means ``(max(-f, low), f)``
    for ``f`` in ``bounds``; a pair is sorted.

    Raises:
        ValueError: for anything else, or values outside ``bounds``.
    """
    message = (
        f"{layer}: the `{name}` argument should be a number (or a list of two "
        f"numbers) in the range [{bounds[0]}, {bounds[1]}]. Received: "
        f"{name}={factor!r}"
    )
    if isinstance(factor, list | tuple):
        if len(factor) != 2 or not all(_is_number(f) for f in factor):
            raise ValueError(message)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        low, high = sorted(float(f) for f in factor)
        return low, high
    if not _is_number(factor) or not bounds[0] <= factor <= bounds[1]:
        raise ValueError(message)
    size = abs(float(factor))
    return max(-size, bounds[0]), size


class RandomImageLayer(Layer):
    """The base of the augmentation layers: the training switch, the seed
    and salt of the random stream, and per-image uniform draws.

    As Keras's augmentation layers (whose ``call`` defaults to
    ``training=True``), a layer called eagerly on arrays without
    ``training`` and outside any model call augments; inside a model the
    model's mode decides (``predict`` and ``evaluate``: inference).

    Args:
        seed: an optional seed, mixed into the layer's salt.
        data_format: ``None`` or ``"channels_last"``.
        salt: kgraph's own: the random stream (saved so a reloaded layer
            draws the same values); derived from ``seed`` when given.
        **kwargs: base layer arguments.
    """

    # kgraph's own config key, dropped when a .keras file is written.
    kgraph_config_keys = ("salt",)

    def __init__(
        self,
        seed: int | None = None,
        data_format: str | None = None,
        salt: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"{name}: `seed` must be an integer or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.data_format = standardize_data_format(data_format, name)
        if salt is None:
            salt = (
                zlib.crc32(f"{name}:{self.seed}".encode())
                if self.seed is not None
                else int(random_utils.generator().integers(0, SALT_BITS))
            )
        self.random_salt = int(salt) & SALT_BITS

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # As in Keras, whose augmentation layers default to ``training=True``:
        # called eagerly on arrays outside any model call and without
        # ``training``, they augment.
        eager = not any(
            isinstance(t, KerasTensor | SymbolicTensor) for t in flatten(inputs)
        )
        if eager and "training" not in kwargs and builder.current_training() is None:
            kwargs["training"] = True
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Augments in training; :meth:`inference` otherwise."""
        x = ops.as_tensor(inputs)
        check_image_rank(self, x.shape)
        if x.dtype != self.dtype:
            x = ops.cast(x, self.dtype)
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        if training is False or self.is_identity():
            return self.inference(x)
        augmented = self.augment(x, random_key(x))
        if training is True:
            return augmented
        return ops.where(training_flag(x, training), augmented, self.inference(x))

    def is_identity(self) -> bool:
        """Whether training changes nothing (a zero factor)."""
        return False

    def inference(self, images: Any) -> Any:
        """The images at inference: unchanged."""
        return images

    def augment(self, images: Any, key: Any) -> Any:
        """The images augmented with draws from ``key``."""
        raise NotImplementedError

    def uniform(self, key: Any, images: Any, draw: int, low: float, high: float) -> Any:
        """One uniform value in ``[low, high)`` per image, shaped ``(batch, 1,
        1, 1)`` (``(1, 1, 1)`` for one image); ``draw`` tells apart the
        layer's streams."""
        like = ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1)))
        salt = (self.random_salt + draw) & SALT_BITS
        values = ops.random_uniform(key, like, salt=salt, dtype=images.dtype)
        return ops.add(ops.multiply(values, high - low), low)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys, and kgraph's
        ``salt`` when there is no seed)."""
        config = {
            **super().get_config(),
            "seed": self.seed,
            "data_format": self.data_format,
        }
        if self.seed is None:
            config["salt"] = self.random_salt
        return config


def _per_image(values: Any, images: Any) -> Any:
    """``(batch, 1, 1, 1)`` draws as one column of ``(batch, 1)``."""
    return ops.reshape(values, (-1, 1))


def transform_images(layer: Any, images: Any, transform: Any) -> Any:
    """Resamples with the layer's interpolation and fill."""
    single = images.ndim == 3
    if single:
        images = ops.expand_dims(images, 0)
    result = image_ops.affine_transform(
        images,
        transform,
        interpolation=layer.interpolation,
        fill_mode=layer.fill_mode,
        fill_value=layer.fill_value,
    )
    return ops.squeeze(result, 0) if single else result


def check_fill(layer: str, fill_mode: str, interpolation: str) -> None:
    if fill_mode not in FILL_MODES:
        raise NotImplementedError(
            f"{layer}: unknown `fill_mode` {fill_mode!r}. Expected one of "
            f"{FILL_MODES}. Received: fill_mode={fill_mode!r}"
        )
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: unknown `interpolation` {interpolation!r}. Expected one of "
            f"{INTERPOLATIONS}. Received: interpolation={interpolation!r}"
        )


class RandomFlip(RandomImageLayer):
    """Flips each image with probability 1/2 in training, as Keras's
    ``RandomFlip``: one draw per image decides, so
    ``"horizontal_and_vertical"`` flips both ways or not at all.

    Args:
        mode: ``"horizontal"`` (left-right), ``"vertical"`` (up-down) or
            ``"horizontal_and_vertical"``.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> image = np.array([[[[1.0], [2.0]]]])
    >>> RandomFlip("horizontal")(image, training=False).numpy().ravel().tolist()
    [1.0, 2.0]
    """

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(
        self,
        mode: str = "horizontal_and_vertical",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self.MODES:
            raise ValueError(
                f"RandomFlip: `mode` must be one of {self.MODES}. Received: "
                f"mode={mode!r}"
            )
        self.mode = mode

    def augment(self, images: Any, key: Any) -> Any:
        """Flips the images whose draw is at most 1/2."""
        flips = ops.less_equal(self.uniform(key, images, 0, 0.0, 1.0), 0.5)
        result = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            result = ops.where(flips, ops.flip(result, axis=-2), result)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            result = ops.where(flips, ops.flip(result, axis=-3), result)
        return result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "mode": self.mode}


class RandomRotation(RandomImageLayer):
    """Rotates each image about its centre by a random angle in training, as
    Keras's ``RandomRotation``: the angle is drawn uniformly from
    ``factor * 360`` degrees.

    Args:
        factor: a fraction of a full turn ``f`` (angles in ``[-f, f]``
            turns) or a pair ``(low, high)``, within ``[-1, 1]``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an optional seed.
        fill_value: the value outside the image for ``"constant"``.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> RandomRotation(0.1)(np.ones((1, 4, 4, 1))).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomRotation", "factor", factor, (-1.0, 1.0))
        check_fill("RandomRotation", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def is_identity(self) -> bool:
        """A zero factor never rotates."""
        return self.factor == (0.0, 0.0)

    def augment(self, images: Any, key: Any) -> Any:
        """Rotates by the drawn angles."""
        low, high = self.factor[0] * 360.0, self.factor[1] * 360.0
        degrees = _per_image(self.uniform(key, images, 0, low, high), images)
        angle = ops.multiply(degrees, np.float32(math.pi / 180.0))
        height, width = images.shape[-3], images.shape[-2]
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        cos, sin = ops.cos(angle), ops.sin(angle)
        a0, a1 = cos, ops.negative(sin)
        a2 = ops.subtract(ops.subtract(cx, ops.multiply(a0, cx)), ops.multiply(a1, cy))
        b0, b1 = sin, cos
        b2 = ops.subtract(ops.subtract(cy, ops.multiply(b0, cx)), ops.multiply(b1, cy))
        zero = ops.multiply(a0, 0.0)
        transform = ops.concatenate([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)
        return transform_images(self, images, transform)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
        }


def _zoom_or_shift_range(
    layer: str, name: str, factor: Any, closed_low: bool
) -> tuple[float, float]:
    """Keras's factor checks for ``RandomZoom`` (``(-1, 1]``) and
    ``RandomTranslation`` (``[-1, 1]``)."""

    def fits(value: Any) -> bool:
        low_ok = value >= -1.0 if closed_low else value > -1.0
        return _is_number(value) and low_ok and value <= 1.0

    message = (
        f"{layer}: the `{name}` argument should be a number (or a list of two "
        f"numbers) in the range {'[' if closed_low else '('}-1.0, 1.0]. "
        f"Received: {name}={factor!r}"
    )
    if isinstance(factor, list | tuple):
        if len(factor) != 2 or not all(fits(f) for f in factor):
            raise ValueError(message)
        low, high = sorted(float(f) for f in factor)
        return low, high
    if not fits(factor):
        raise ValueError(message)
    return -abs(float(factor)), abs(float(factor))


class RandomZoom(RandomImageLayer):
    """Zooms each image in or out about its centre in training, as Keras's
    ``RandomZoom``: the sampled area is ``1 + u`` times the image along each
    axis, ``u`` drawn from the factor's range (positive values zoom out).

    Args:
        height_factor: ``f`` (``[-f, f]``) or ``(low, high)``, in ``(-1, 1]``.
        width_factor: the same for the width; ``None`` keeps the aspect
            ratio (the height's draw is used).
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an optional seed.
        fill_value: the value outside the image for ``"constant"``.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> RandomZoom(0.2)(np.ones((1, 4, 4, 1))).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_range = _zoom_or_shift_range(
            "RandomZoom", "height_factor", height_factor, closed_low=False
        )
        self.width_factor = width_factor
        self.width_range = (
            None
            if width_factor is None
            else _zoom_or_shift_range(
                "RandomZoom", "width_factor", width_factor, closed_low=False
            )
        )
        check_fill("RandomZoom", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def augment(self, images: Any, key: Any) -> Any:
        """Zooms by the drawn factors."""
        low, high = self.height_range
        zoom_h = _per_image(self.uniform(key, images, 0, 1.0 + low, 1.0 + high), images)
        if self.width_range is None:
            zoom_w = zoom_h
        else:
            low, high = self.width_range
            zoom_w = _per_image(
                self.uniform(key, images, 1, 1.0 + low, 1.0 + high), images
            )
        height, width = images.shape[-3], images.shape[-2]
        x_offset = ops.multiply(ops.subtract(1.0, zoom_w), (width - 1.0) / 2.0)
        y_offset = ops.multiply(ops.subtract(1.0, zoom_h), (height - 1.0) / 2.0)
        zero = ops.multiply(zoom_h, 0.0)
        transform = ops.concatenate(
            [zoom_w, zero, x_offset, zero, zoom_h, y_offset, zero, zero], axis=1
        )
        return transform_images(self, images, transform)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomTranslation(RandomImageLayer):
    """Shifts each image by a random fraction of its size in training, as
    Keras's ``RandomTranslation``.

    Args:
        height_factor: ``f`` (shifts in ``[-f, f]`` of the height) or
            ``(low, high)``, in ``[-1, 1]``; positive values shift down.
        width_factor: the same for the width; positive values shift right.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an optional seed.
        fill_value: the value outside the image for ``"constant"``.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> RandomTranslation(0.1, 0.1)(np.ones((1, 4, 4, 1))).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = _zoom_or_shift_range(
            "RandomTranslation", "height_factor", height_factor, closed_low=True
        )
        self.width_range = _zoom_or_shift_range(
            "RandomTranslation", "width_factor", width_factor, closed_low=True
        )
        check_fill("RandomTranslation", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def augment(self, images: Any, key: Any) -> Any:
        """Shifts by the drawn fractions of the height and width."""
        height, width = images.shape[-3], images.shape[-2]
        shift_y = ops.multiply(
            _per_image(self.uniform(key, images, 0, *self.height_range), images),
            float(height),
        )
        shift_x = ops.multiply(
            _per_image(self.uniform(key, images, 1, *self.width_range), images),
            float(width),
        )
        zero = ops.multiply(shift_x, 0.0)
        one = ops.add(zero, 1.0)
        shifts = [ops.negative(shift_x), ops.negative(shift_y)]
        transform = ops.concatenate(
            [one, zero, shifts[0], zero, one, shifts[1], zero, zero], axis=1
        )
        return transform_images(self, images, transform)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomShear(RandomImageLayer):
    """Shears each image by random factors in training, as Keras's
    ``RandomShear``: output ``(x, y)`` reads the input at
    ``(x + s_x y, s_y x + y)``, with ``s_x`` and ``s_y`` drawn from the
    factors' ranges and both negated for half of the images.

    Args:
        x_factor: ``f`` (``[-f, f]``) or ``(low, high)``, in ``[0, 1]``.
        y_factor: the same for the vertical shear.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the value outside the image for ``"constant"``.
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> RandomShear(0.2)(np.ones((1, 4, 4, 1)), training=False).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _shear_range("x_factor", x_factor)
        self.y_factor = _shear_range("y_factor", y_factor)
        # The config keeps the arguments as given: Keras's constructor refuses
        # the negative ranges its own get_config writes for a number.
        self._factor_arguments = (_plain_factor(x_factor), _plain_factor(y_factor))
        check_fill("RandomShear", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def augment(self, images: Any, key: Any) -> Any:
        """Shears by the drawn factors."""
        flip = _per_image(self.uniform(key, images, 0, 0.0, 1.0), images)
        sign = ops.where(ops.greater(flip, 0.5), -1.0, 1.0)
        shear_y = _per_image(self.uniform(key, images, 1, *self.y_factor), images)
        shear_x = _per_image(self.uniform(key, images, 2, *self.x_factor), images)
        shear_x, shear_y = ops.multiply(shear_x, sign), ops.multiply(shear_y, sign)
        zero = ops.multiply(shear_x, 0.0)
        one = ops.add(zero, 1.0)
        transform = ops.concatenate(
            [one, shear_x, zero, shear_y, one, zero, zero, zero], axis=1
        )
        return transform_images(self, images, transform)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "x_factor": self._factor_arguments[0],
            "y_factor": self._factor_arguments[1],
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def _plain_factor(factor: Any) -> Any:
    """A factor argument as plain numbers (a float or a list of two)."""
    if isinstance(factor, list | tuple):
        return [float(f) for f in factor]
    return float(factor)


def _shear_range(name: str, factor: Any) -> tuple[float, float]:
    """Keras's shear factor: a number in ``[0, 1]`` or a pair (within
    ``[-1, 1]``, so the ranges ``get_config`` holds load again)."""
    message = (
        "RandomShear: the `factor` argument should be a number (or a list of two "
        f"numbers) in the range [0, 1.0]. Received: {name}={factor!r}"
    )
    items = factor if isinstance(factor, list | tuple) else [factor]
    low = -1.0 if len(items) == 2 else 0.0
    if len(items) not in (1, 2) or not all(
        _is_number(f) and low <= f <= 1.0 for f in items
    ):
        raise ValueError(message)
    if len(items) == 2:
        low, high = sorted(float(f) for f in items)
        return low, high
    return -abs(float(factor)), abs(float(factor))


def _value_range(layer: str, value_range: Any) -> tuple[float, float]:
    if (
        not isinstance(value_range, list | tuple)
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
    ):
        raise ValueError(
            f"{layer}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}"
        )
    return value_range[0], value_range[1]


class RandomContrast(RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random
    factor in training, then clips to ``value_range``, as Keras's
    ``RandomContrast``: ``(x - mean) * c + mean`` with ``c`` drawn from
    ``[1 - low, 1 + high]`` of the factor's range (Keras bounds it to
    ``[0, 1]``, so a number ``f`` gives ``c`` in ``[1, 1 + f]``).

    Args:
        factor: a number in ``[0, 1]`` or a pair.
        value_range: the ``(low, high)`` the outputs are clipped to
            (``(0, 255)``).
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> RandomContrast(0.2)(np.ones((1, 2, 2, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range("RandomContrast", "factor", factor, (0.0, 1.0))
        self.value_range = _value_range("RandomContrast", value_range)

    def augment(self, images: Any, key: Any) -> Any:
        """Rescales the contrast by the drawn factors and clips."""
        low, high = self.factor
        contrast = self.uniform(key, images, 0, 1.0 - low, 1.0 + high)
        mean = ops.mean(images, axis=-3, keepdims=True)
        mean = ops.mean(mean, axis=-2, keepdims=True)
        outputs = ops.add(ops.multiply(ops.subtract(images, mean), contrast), mean)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class RandomBrightness(RandomImageLayer):
    """Adds a random brightness offset to each image in training, then clips
    to ``value_range``, as Keras's ``RandomBrightness``: the offset is
    ``u * (high - low)`` of the value range, ``u`` drawn from the factor's
    range.

    Args:
        factor: ``f`` (``[-f, f]``) or a pair, within ``[-1, 1]``.
        value_range: the ``(low, high)`` of the images (``(0, 255)``).
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> RandomBrightness(0.2)(np.ones((1, 2, 2, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range("RandomBrightness", "factor", factor, (-1.0, 1.0))
        self.value_range = sorted(_value_range("RandomBrightness", value_range))

    def augment(self, images: Any, key: Any) -> Any:
        """Adds the drawn offsets and clips."""
        low, high = self.value_range
        delta = self.uniform(key, images, 0, *self.factor)
        delta = ops.multiply(delta, float(high - low))
        return ops.clip(ops.add(images, delta), low, high)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }


class RandomCrop(RandomImageLayer):
    """Crops a random ``(height, width)`` window in training (one offset for
    the batch, as Keras); at inference, and in training when an image is not
    larger than the target on both axes, crops the centre to the target
    aspect ratio and resizes (Keras's documented inference behaviour).

    Args:
        height: the output height.
        width: the output width.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        name: the layer's name.
        **kwargs: base layer arguments.

    Example:

    >>> RandomCrop(2, 2)(np.ones((1, 4, 4, 1))).shape
    (1, 2, 2, 1)
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = check_size("RandomCrop", "height", height)
        self.width = check_size("RandomCrop", "width", width)

    def inference(self, images: Any) -> Any:
        """The centre crop at the target aspect ratio, resized."""
        self._check_known(images)
        return image_ops.resize(
            images, (self.height, self.width), crop_to_aspect_ratio=True
        )

    def augment(self, images: Any, key: Any) -> Any:
        """A window at a random offset (the same for every image)."""
        in_height, in_width = self._check_known(images)
        if in_height <= self.height or in_width <= self.width:
            return self.inference(images)
        like = ops.reshape(
            ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1))),
            (-1,),
        )
        like = ops.get_item(like, slice(0, 1))
        result = images
        for draw, (axis, size, target) in enumerate(
            ((-3, in_height, self.height), (-2, in_width, self.width))
        ):
            salt = (self.random_salt + draw) & SALT_BITS
            offset = ops.multiply(
                ops.random_uniform(key, like, salt=salt), float(size - target + 1)
            )
            indices = ops.add(
                ops.cast(offset, "int32"), np.arange(target, dtype=np.int32)
            )
            result = ops.take(result, ops.minimum(indices, size - 1), axis=axis)
        return result

    def _check_known(self, images: Any) -> tuple[int, int]:
        height, width = images.shape[-3], images.shape[-2]
        if height is None or width is None:
            raise ValueError(
                f'Layer "{self.name}" (RandomCrop) requires the input to have a '
                f"fully defined height and width. Received: images.shape="
                f"{tuple(images.shape)}"
            )
        return height, width

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with the target height and width."""
        return image_output_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "height": self.height, "width": self.width}
