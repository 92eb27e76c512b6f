"""Keras's ``RandomPerspective`` and ``RandomElasticTransform``, channels
last (``RandomShear`` is in ``augmentation``), resampling with
``kgraph.ops.image.affine_transform`` (projective transforms) and
``map_coordinates``; draws from kgraph's counter-based generator, so the
interpreter and native code agree; identities at inference."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from kgraph import ops
from kgraph.layers.preprocessing.augmentation import INTERPOLATIONS
from kgraph.layers.preprocessing.augmentation import SALT_BITS
from kgraph.layers.preprocessing.augmentation import RandomImageLayer
from kgraph.layers.preprocessing.augmentation import check_fill
from kgraph.layers.preprocessing.augmentation import factor_range
from kgraph.layers.preprocessing.augmentation import transform_images
from kgraph.layers.preprocessing.color import scalar_uniform
from kgraph.layers.preprocessing.color import shifted
from kgraph.layers.preprocessing.color import value_range_of
from kgraph.ops import image as image_ops
from kgraph.ops.image.affine import bilinear
from kgraph.ops.image.affine import sampler
from kgraph.ops.image.sampling import round_half_away

ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _column(values: Any) -> Any:
    return ops.reshape(values, (-1, 1))


def _square_to_quad(corners: Sequence[tuple[Any, Any]]) -> list[list[Any]]:
    """The projective map of the unit square onto a quadrilateral (Heckbert):
    ``(0, 0)``, ``(1, 0)``, ``(1, 1)``, ``(0, 1)`` go to ``corners``, as a
    3x3 nested list of tensors."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    sub, add, mul = ops.subtract, ops.add, ops.multiply
    sx = add(sub(x0, x1), sub(x2, x3))
    sy = add(sub(y0, y1), sub(y2, y3))
    dx1, dx2, dy1, dy2 = sub(x1, x2), sub(x3, x2), sub(y1, y2), sub(y3, y2)
    den = sub(mul(dx1, dy2), mul(dx2, dy1))
    g = ops.divide(sub(mul(sx, dy2), mul(dx2, sy)), den)
    h = ops.divide(sub(mul(dx1, sy), mul(sx, dy1)), den)
    one = add(mul(g, 0.0), 1.0)
    return [
        [add(sub(x1, x0), mul(g, x1)), add(sub(x3, x0), mul(h, x3)), x0],
        [add(sub(y1, y0), mul(g, y1)), add(sub(y3, y0), mul(h, y3)), y0],
        [g, h, one],
    ]


def _adjugate(m: list[list[Any]]) -> list[list[Any]]:
    """The adjugate of a 3x3 nested list (the inverse up to a scale)."""

    def minor(r0: int, r1: int, c0: int, c1: int) -> Any:
        return ops.subtract(
            ops.multiply(m[r0][c0], m[r1][c1]), ops.multiply(m[r0][c1], m[r1][c0])
        )

    return [
        [minor(1, 2, 1, 2), minor(0, 2, 2, 1), minor(0, 1, 1, 2)],
        [minor(1, 2, 2, 0), minor(0, 2, 0, 2), minor(0, 1, 2, 0)],
        [minor(1, 2, 0, 1), minor(0, 2, 1, 0), minor(0, 1, 0, 1)],
    ]


def _product(a: list[list[Any]], b: list[list[Any]]) -> list[list[Any]]:
    def entry(i: int, j: int) -> Any:
        total = ops.multiply(a[i][0], b[0][j])
        for k in (1, 2):
            total = ops.add(total, ops.multiply(a[i][k], b[k][j]))
        return total

    return [[entry(i, j) for j in range(3)] for i in range(3)]


def homography(start: Sequence[tuple[Any, Any]], end: Sequence[tuple[Any, Any]]) -> Any:
    """Keras's ``compute_homography_matrix`` in closed form: the 8
    coefficients ``[a0, a1, a2, b0, b1, b2, c0, c1]`` of the projective map
    taking each ``end`` corner to its ``start`` corner (corners in the
    order top-left, top-right, bottom-left, bottom-right, each ``(x, y)``
    columns), shaped ``(batch, 8)``."""

    def quad(points: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        top_left, top_right, bottom_left, bottom_right = points
        return [top_left, top_right, bottom_right, bottom_left]

    matrix = _product(
        _square_to_quad(quad(start)), _adjugate(_square_to_quad(quad(end)))
    )
    scale = matrix[2][2]
    entries = [matrix[i][j] for i in range(3) for j in range(3)][:8]
    return ops.concatenate([ops.divide(e, scale) for e in entries], axis=1)


class RandomPerspective(RandomImageLayer):
    """Warps images by random perspective transforms at random in training,
    as Keras's ``RandomPerspective``: an image is warped when a uniform
    draw is below its probability (drawn from ``factor``'s range); each
    corner ``p`` moves to ``p * (1 + u)`` with ``u`` drawn per coordinate
    from ``[-scale / 2, scale / 2)``, and the output reads the input
    through the homography taking the moved corners back (constant fill).

    Args:
        factor: a probability ``p`` in ``[0, 1]`` (``(0, p)``) or a pair.
        scale: the distortion's size, in ``[0, 1]``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: the value outside the image.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomPerspective()(np.ones((1, 4, 4, 1)), training=True).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomPerspective", "factor", factor, (0.0, 1.0))
        if (
            isinstance(scale, bool)
            or not isinstance(scale, numbers.Real)
            or not 0.0 <= scale <= 1.0
        ):
            raise ValueError(
                "RandomPerspective: the `scale` argument should be a number in "
                f"the range [0, 1]. Received: scale={scale!r}"
            )
        check_fill("RandomPerspective", "constant", interpolation)
        self.scale = scale
        self.interpolation = interpolation
        self.fill_mode = "constant"
        self.fill_value = float(fill_value)

    def is_identity(self) -> bool:
        """A zero probability or scale never warps."""
        return self.factor == (0.0, 0.0) or self.scale == 0

    def augment(self, images: Any, key: Any) -> Any:
        """Warps the chosen images by the drawn corner moves."""
        probability = self.uniform(key, images, 0, *self.factor)
        threshold = self.uniform(key, images, 1, 0.0, 1.0)
        height, width = images.shape[-3], images.shape[-2]
        half = 0.5 * self.scale
        start, end = [], []
        corners = [(0.0, 0.0), (width - 1.0, 0.0), (0.0, height - 1.0)]
        corners.append((width - 1.0, height - 1.0))
        for index, (x, y) in enumerate(corners):
            moves = [
                _column(self.uniform(key, images, 2 + 2 * index + k, -half, half))
                for k in range(2)
            ]
            zero = ops.multiply(moves[0], 0.0)
            start.append((ops.add(zero, x), ops.add(zero, y)))
            end.append(
                (
                    ops.add(ops.multiply(moves[0], x), x),
                    ops.add(ops.multiply(moves[1], y), y),
                )
            )
        warped = transform_images(self, images, homography(start, end))
        return ops.where(ops.less(threshold, probability), warped, images)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def _blur_taps(size: int, sigma: Any, half: Any) -> list[Any]:
    """Gaussian weights over ``size`` taps for a scalar tensor ``sigma``,
    keeping only taps within ``half`` of the centre (Keras's kernel of
    ``int(6 sigma) | 1`` taps), normalized."""
    centre = size // 2
    sigma = ops.maximum(sigma, 1e-12)
    raw = []
    for i in range(size):
        offset = float(i - centre)
        weight = ops.exp(ops.multiply(ops.square(ops.divide(offset, sigma)), -0.5))
        inside = ops.less_equal(abs(offset), half)
        raw.append(ops.where(inside, weight, 0.0))
    total = raw[0]
    for value in raw[1:]:
        total = ops.add(total, value)
    return [ops.divide(value, total) for value in raw]


def _blur_same(field: Any, taps: list[Any]) -> Any:
    """A separable "same" blur (zero padding) of ``(batch, h, w, 1)``."""
    centre = len(taps) // 2
    for axis in (1, 0):
        total = None
        for i, tap in enumerate(taps):
            offset = i - centre
            moved = shifted(
                field, offset if axis == 0 else 0, offset if axis == 1 else 0
            )
            term = ops.multiply(moved, tap)
            total = term if total is None else ops.add(total, term)
        field = total
    return field


class RandomElasticTransform(RandomImageLayer):
    """Distorts images with smooth random displacement fields at random in
    training, as Keras's ``RandomElasticTransform``: an image is distorted
    when a uniform draw is below its probability (drawn from ``factor``'s
    range); a distortion ``d`` is drawn once per batch from ``scale``'s
    range, giving ``sigma = 0.05 d min(h, w)`` and ``alpha = 0.1 d max(h,
    w)``; each pixel reads the input at its position plus ``alpha`` times
    Gaussian noise (times ``sigma``) blurred by a ``sigma`` Gaussian of
    ``int(6 sigma) | 1`` taps; results are clipped to ``value_range``.
    The horizontal and vertical noise are independent draws (Keras's JAX
    backend reuses one key for both, so its fields are equal).

    Args:
        factor: a probability ``p`` in ``[0, 1]`` (``(0, p)``) or a pair.
        scale: ``s`` in ``[0, 1]`` (``(0, s)``) or a pair.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"mirror"``, ``"wrap"``, ``"constant"``
            or ``"nearest"``.
        fill_value: the value outside the image for ``"constant"``.
        value_range: the ``(low, high)`` of the images (not sorted, as Keras).
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandomElasticTransform()(np.ones((1, 8, 8, 1)), training=True).shape
    (1, 8, 8, 1)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = "RandomElasticTransform"
        self.factor = factor_range(name, "factor", factor, (0.0, 1.0))
        self.scale = factor_range(name, "scale", scale, (0.0, 1.0))
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"{name}: unknown `interpolation` {interpolation!r}. Expected one "
                f"of {INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        if fill_mode not in ELASTIC_FILL_MODES:
            raise NotImplementedError(
                f"{name}: unknown `fill_mode` {fill_mode!r}. Expected one of "
                f"{ELASTIC_FILL_MODES}. Received: fill_mode={fill_mode!r}"
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.value_range = value_range_of(name, value_range, sort=False)

    def is_identity(self) -> bool:
        """A zero probability or scale never distorts."""
        return self.factor[1] == 0 or self.scale[1] == 0

    def augment(self, images: Any, key: Any) -> Any:
        """Distorts the chosen images by the drawn fields and clips."""
        single = images.ndim == 3
        batch = ops.expand_dims(images, 0) if single else images
        height, width = batch.shape[1], batch.shape[2]
        probability = self.uniform(key, batch, 0, *self.factor)
        threshold = self.uniform(key, batch, 1, 0.0, 1.0)
        distortion = scalar_uniform(self, key, batch, 2, *self.scale)
        sigma = ops.multiply(distortion, 0.05 * min(height, width))
        alpha = ops.multiply(distortion, 0.1 * max(height, width))
        size = int(6 * 0.05 * self.scale[1] * min(height, width)) | 1
        half = ops.floor(ops.divide(ops.floor(ops.multiply(sigma, 6.0)), 2.0))
        taps = _blur_taps(size, sigma, half)
        like = ops.get_item(batch, (Ellipsis, slice(0, 1)))
        fields = []
        for draw in (3, 4):
            salt = (self.random_salt + draw) & SALT_BITS
            noise = ops.random_normal(key, like, salt=salt, dtype=batch.dtype)
            fields.append(_blur_same(ops.multiply(noise, sigma), taps))
        plane = ops.get_item(batch, (Ellipsis, 0))
        grid_y = ops.cast(image_ops.iota(plane, axis=1), batch.dtype)
        grid_x = ops.cast(image_ops.iota(plane, axis=2), batch.dtype)
        y = ops.add(grid_y, ops.multiply(alpha, ops.get_item(fields[1], (Ellipsis, 0))))
        x = ops.add(grid_x, ops.multiply(alpha, ops.get_item(fields[0], (Ellipsis, 0))))
        read = sampler(batch, y, self.fill_mode, self.fill_value)
        if self.interpolation == "nearest":
            warped = read(round_half_away(y), round_half_away(x))
        else:
            warped = bilinear(read, y, x)
        result = ops.where(ops.less(threshold, probability), warped, batch)
        low, high = (float(v) for v in self.value_range)
        result = ops.clip(result, low, high)
        return ops.squeeze(result, 0) if single else result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }


__all__ = ["RandomElasticTransform", "RandomPerspective"]
