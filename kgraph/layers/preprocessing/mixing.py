"""Keras's ``MixUp``, ``CutMix`` and ``RandomErasing``, channels last.

``MixUp`` and ``CutMix`` mix each image of a batch with another image of
the same batch (a random permutation: ``argsort`` of uniform draws). As in
Keras, labels are mixed too (with the images' weights and permutation) only
when the layer is called on a dict holding ``"images"`` and ``"labels"``
(say, eagerly in a data pipeline); called on a plain tensor it mixes images
only. Inside a kgraph model only image tensors flow through layers, so
there the targets are not mixed: mix them in the data pipeline (a dict
call) if training needs mixed labels.

The Beta draws use Marsaglia and Tsang's Gamma sampler on kgraph's
counter-based normal and uniform streams, with a fixed number of attempts
(the first accepted wins), in log space, so the interpreter and native code
agree.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag
from kgraph.layers.preprocessing.augmentation import SALT_BITS
from kgraph.layers.preprocessing.augmentation import RandomImageLayer
from kgraph.layers.preprocessing.augmentation import factor_range
from kgraph.layers.preprocessing.color import scalar_uniform
from kgraph.layers.preprocessing.color import value_range_of
from kgraph.layers.preprocessing.image import check_image_rank
from kgraph.ops import image as image_ops
from kgraph.tensor import SymbolicTensor

# Marsaglia-Tsang accepts more than 95% of candidates for shape >= 1: eight
# attempts all fail with probability below 1e-10.
GAMMA_ATTEMPTS = 8
_TINY = 1e-30


def _draw(layer: RandomImageLayer, key: Any, like: Any, draw: int, normal: bool) -> Any:
    salt = (layer.random_salt + draw) & SALT_BITS
    sampler = ops.random_normal if normal else ops.random_uniform
    return sampler(key, like, salt=salt, dtype=like.dtype)


def log_gamma_sample(
    layer: RandomImageLayer, key: Any, like: Any, alpha: Any, draw: int
) -> Any:
    """The log of a ``Gamma(alpha, 1)`` draw per element of ``like``.

    Marsaglia and Tsang's method for ``alpha + 1`` (streams ``draw`` to
    ``draw + 2 * GAMMA_ATTEMPTS``), boosted by ``log(u) / alpha``; when every
    attempt is rejected the mode ``d`` of the proposal is used.
    """
    d = ops.subtract(ops.add(alpha, 1.0), 1.0 / 3.0)
    c = ops.divide(1.0, ops.sqrt(ops.multiply(d, 9.0)))
    result = ops.add(ops.multiply(like, 0.0), d)
    for attempt in reversed(range(GAMMA_ATTEMPTS)):
        z = _draw(layer, key, like, draw + 2 * attempt, normal=True)
        u = _draw(layer, key, like, draw + 2 * attempt + 1, normal=False)
        v = ops.power(ops.add(ops.multiply(c, z), 1.0), 3.0)
        log_v = ops.log(ops.maximum(v, _TINY))
        bound = ops.add(
            ops.multiply(ops.square(z), 0.5),
            ops.multiply(d, ops.add(ops.subtract(1.0, v), log_v)),
        )
        accepted = ops.logical_and(
            ops.greater(v, 0.0), ops.less(ops.log(ops.maximum(u, _TINY)), bound)
        )
        result = ops.where(accepted, ops.multiply(d, v), result)
    boost = ops.subtract(1.0, _draw(layer, key, like, draw + 2 * GAMMA_ATTEMPTS, False))
    return ops.add(ops.log(result), ops.divide(ops.log(boost), alpha))


def beta_sample(
    layer: RandomImageLayer, key: Any, like: Any, alpha: Any, draw: int
) -> Any:
    """A symmetric ``Beta(alpha, alpha)`` draw per element of ``like``:
    ``G1 / (G1 + G2)`` computed as ``sigmoid(log G1 - log G2)``."""
    first = log_gamma_sample(layer, key, like, alpha, draw)
    second = log_gamma_sample(layer, key, like, alpha, draw + 2 * GAMMA_ATTEMPTS + 1)
    return ops.sigmoid(ops.subtract(first, second))


def permutation(layer: RandomImageLayer, key: Any, images: Any, draw: int) -> Any:
    """A random permutation of the batch: the order of uniform draws."""
    values = ops.reshape(layer.uniform(key, images, draw, 0.0, 1.0), (-1,))
    return ops.argsort(values)


def box_masks(images: Any, starts: tuple[Any, Any], lengths: tuple[Any, Any]) -> Any:
    """Keras's boxes: pixels with ``x0 <= x < x0 + w`` and ``y0 <= y < y0 +
    h``, as booleans shaped ``(batch, height, width, 1)``; ``starts`` and
    ``lengths`` are ``(x, y)`` per image, shaped ``(batch, 1, 1, 1)``."""
    like = ops.get_item(images, (Ellipsis, slice(0, 1)))
    grid_y = ops.cast(image_ops.iota(like, axis=-3), images.dtype)
    grid_x = ops.cast(image_ops.iota(like, axis=-2), images.dtype)
    inside = None
    for grid, start, length in (
        (grid_x, starts[0], lengths[0]),
        (grid_y, starts[1], lengths[1]),
    ):
        end = ops.add(start, length)
        span = ops.logical_and(ops.greater_equal(grid, start), ops.less(grid, end))
        inside = span if inside is None else ops.logical_and(inside, span)
    return inside


class _LabelMixing(RandomImageLayer):
    """Keras's dict calls: ``{"images": ..., "labels": ...}`` mixes the
    labels with the images' weights and permutation (other entries pass
    through); a plain tensor is images only."""

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Mixes images, and labels when given a dict holding them."""
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        if "images" not in inputs:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects a dict with '
                f'an "images" entry. Received: keys {sorted(inputs)}'
            )
        images = ops.as_tensor(inputs["images"])
        check_image_rank(self, images.shape)
        if images.dtype != self.dtype:
            images = ops.cast(images, self.dtype)
        labels = inputs.get("labels")
        if labels is not None:
            labels = ops.as_tensor(labels)
            if not dtypes.is_float(labels.dtype):
                labels = ops.cast(labels, self.dtype)
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        result = {**inputs, "images": images}
        if labels is not None:
            result["labels"] = labels
        if training is False or images.ndim == 3:
            return result
        mixed, order, weight = self.mix(images, random_key(images))
        new = {"images": mixed}
        if labels is not None:
            weight = ops.reshape(weight, (-1,) + (1,) * (labels.ndim - 1))
            partners = ops.take(labels, order, axis=0)
            new["labels"] = ops.add(
                ops.multiply(weight, labels),
                ops.multiply(ops.subtract(1.0, weight), partners),
            )
        if training is not True:
            flag = training_flag(images, training)
            new = {k: ops.where(flag, v, result[k]) for k, v in new.items()}
        return {**result, **new}

    def mix(self, images: Any, key: Any) -> tuple[Any, Any, Any]:
        """The mixed images, the permutation and the images' own weights."""
        raise NotImplementedError


class MixUp(_LabelMixing):
    """Blends each image with another image of the batch in training, as
    Keras's ``MixUp``: ``w * x + (1 - w) * x[p]`` with ``p`` a random
    permutation and ``w ~ Beta(alpha, alpha)`` per image. Called on a dict
    ``{"images", "labels"}`` it mixes the labels with the same weights (see
    the module's notes); a single image is returned unchanged.

    Args:
        alpha: the Beta distribution's parameter (positive).
        data_format: ``None`` or ``"channels_last"``.
        seed: an optional seed.
        **kwargs: base layer arguments.

    Example:

    >>> MixUp()(np.ones((2, 3, 3, 1)), training=True).shape
    (2, 3, 3, 1)
    """

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if (
            isinstance(alpha, bool)
            or not isinstance(alpha, numbers.Real)
            or not alpha > 0
        ):
            raise ValueError(
                f"MixUp: `alpha` must be a positive number. Received: alpha={alpha!r}"
            )
        self.alpha = alpha

    def augment(self, images: Any, key: Any) -> Any:
        """Blends with the permuted batch by the drawn weights."""
        return self.mix(images, key)[0]

    def mix(self, images: Any, key: Any) -> tuple[Any, Any, Any]:
        """The mixed images, the permutation and each image's own weight."""
        if images.ndim == 3:
            return images, None, None
        order = permutation(self, key, images, 0)
        like = ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1)))
        weight = beta_sample(self, key, like, float(self.alpha), 1)
        partners = ops.take(images, order, axis=0)
        mixed = ops.add(
            ops.multiply(weight, images),
            ops.multiply(ops.subtract(1.0, weight), partners),
        )
        return mixed, order, ops.reshape(weight, (-1,))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_LabelMixing):
    """Pastes a box of another image of the batch into each image in
    training, as Keras's ``CutMix``: ``a`` is drawn once from ``factor``'s
    range (plus ``1e-6``), ``w ~ Beta(a, a)`` per image, the box is
    ``sqrt(1 - w)`` of the width and height at a uniform position, and its
    pixels come from image ``p[i]`` of a random permutation ``p``. Called on
    a dict ``{"images", "labels"}`` it mixes the labels by ``1 - box area /
    image area`` (see the module's notes); a single image is returned
    unchanged, as in Keras.

    Args:
        factor: ``f`` in ``[0, 1]`` (``(0, f)``) or a pair.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> CutMix()(np.ones((2, 4, 4, 3)), training=True).shape
    (2, 4, 4, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("CutMix", "factor", factor, (0.0, 1.0))

    def augment(self, images: Any, key: Any) -> Any:
        """Pastes the drawn boxes of the permuted batch."""
        return self.mix(images, key)[0]

    def mix(self, images: Any, key: Any) -> tuple[Any, Any, Any]:
        """The mixed images, the permutation and each image's own share
        (``1 - box area / image area``, Keras's label weight)."""
        if images.ndim == 3:
            return images, None, None
        alpha = ops.add(scalar_uniform(self, key, images, 0, *self.factor), 1e-6)
        like = ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1)))
        weight = beta_sample(self, key, like, alpha, 10)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        starts, lengths = [], []
        for draw, size in ((1, images.shape[-2]), (2, images.shape[-3])):
            length = ops.multiply(ratio, float(size))
            start = ops.multiply(
                self.uniform(key, images, draw, 0.0, 1.0),
                ops.subtract(float(size), length),
            )
            starts.append(start)
            lengths.append(length)
        order = permutation(self, key, images, 3)
        mask = box_masks(images, tuple(starts), tuple(lengths))
        mixed = ops.where(mask, ops.take(images, order, axis=0), images)
        area = float(images.shape[-2] * images.shape[-3])
        share = ops.subtract(
            1.0, ops.divide(ops.multiply(lengths[0], lengths[1]), area)
        )
        return mixed, order, ops.reshape(share, (-1,))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "factor": self.factor}


def _fill_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if len(value) == 3 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value
        ):
            return [float(v) for v in value]
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(
        "RandomErasing: the `fill_value` argument should be a number (or a list "
        f"of three numbers). Received: fill_value={value!r}"
    )


class RandomErasing(RandomImageLayer):
    """Erases a random box of each image at random in training, as Keras's
    ``RandomErasing``: the box is ``sqrt(s)`` of the width and ``sqrt(s')``
    of the height (``s``, ``s'`` drawn from ``scale``'s range) at a uniform
    position; an image is erased when a uniform draw is below its
    probability (drawn from ``factor``'s range). The box is filled with
    ``fill_value`` (a number or one per channel) or, when it is ``None``,
    with Gaussian noise times ``value_range[1]``; fills are clipped to
    ``value_range``.

    Args:
        factor: a probability ``p`` in ``[0, 1]`` (``(0, p)``) or a pair.
        scale: ``s`` in ``[0, 1]`` (``(0, s)``) or a pair: the box's area
            fraction range along each axis, squared.
        fill_value: ``None``, a number, or a list of three numbers.
        value_range: the ``(low, high)`` of the images (not sorted, as Keras).
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> RandomErasing()(np.ones((2, 4, 4, 3)), training=True).shape
    (2, 4, 4, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomErasing", "factor", factor, (0.0, 1.0))
        self.scale = factor_range("RandomErasing", "scale", scale, (0.0, 1.0))
        self.fill_value = _fill_value(fill_value)
        self.value_range = value_range_of("RandomErasing", value_range, sort=False)

    def is_identity(self) -> bool:
        """A zero probability never erases."""
        return self.factor == (0.0, 0.0)

    def augment(self, images: Any, key: Any) -> Any:
        """Fills the drawn boxes of the chosen images."""
        starts, lengths = [], []
        for draw, size in ((0, images.shape[-2]), (1, images.shape[-3])):
            length = ops.multiply(
                ops.sqrt(self.uniform(key, images, draw, *self.scale)), float(size)
            )
            start = ops.multiply(
                self.uniform(key, images, draw + 2, 0.0, 1.0),
                ops.subtract(float(size), length),
            )
            starts.append(start)
            lengths.append(length)
        mask = box_masks(images, tuple(starts), tuple(lengths))
        probability = self.uniform(key, images, 4, *self.factor)
        threshold = self.uniform(key, images, 5, 0.0, 1.0)
        chosen = ops.less(threshold, probability)
        low, high = (float(v) for v in self.value_range)
        if self.fill_value is None:
            salt = (self.random_salt + 6) & SALT_BITS
            noise = ops.random_normal(key, images, salt=salt, dtype=images.dtype)
            fill = ops.clip(ops.multiply(noise, high), low, high)
        else:
            fill = ops.clip(
                ops.add(
                    ops.multiply(images, 0.0), np.asarray(self.fill_value, images.dtype)
                ),
                low,
                high,
            )
        return ops.where(ops.logical_and(mask, chosen), fill, images)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }


__all__ = ["CutMix", "MixUp", "RandomErasing"]
