"""Colour conversions of images (channels last), Keras's formulas:
``rgb_to_grayscale`` (TensorFlow's luma weights) and ``rgb_to_hsv`` /
``hsv_to_rgb`` (as ``dm_pix``, which Keras's JAX backend follows)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import elementwise as ew
from kgraph.ops import history
from kgraph.ops import shaping as shape_ops
from kgraph.ops.image.validation import check_data_format

LUMA = (0.2989, 0.5870, 0.1140)


def _check(op: str, images: Any, data_format: Any, float_only: bool) -> None:
    check_data_format(op, data_format)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{op}: invalid images rank: expected rank 3 (single image) or rank 4 "
            f"(batch of images). Received input with shape: images.shape="
            f"{tuple(images.shape)}"
        )
    if float_only and not dtypes.is_float(images.dtype):
        raise ValueError(
            f"{op}: invalid images dtype: expected float dtype. Received: "
            f"images.dtype={images.dtype}"
        )


def _planes(images: Any) -> list[Any]:
    return [shape_ops.get_item(images, (Ellipsis, i)) for i in range(3)]


def _maximum3(a: Any, b: Any, c: Any) -> Any:
    return ew.maximum(ew.maximum(a, b), c)


def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Any:
    """Converts RGB images to grayscale: ``0.2989 r + 0.5870 g + 0.1140 b``,
    keeping a channel axis of size 1 (grayscale images pass through), as
    ``keras.ops.image.rgb_to_grayscale``.

    Args:
        images: ``(..., height, width, 3)`` or ``(..., 1)``, rank 3 or 4.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The grayscale images, of the input's dtype.

    Raises:
        ValueError: for another rank or channel count.

    Example:

    >>> rgb_to_grayscale(np.ones((1, 1, 3), "float32")).numpy().round(4)
    array([[[0.9999]]], dtype=float32)
    """
    if history.any_keras([images]):
        return history.record_function(
            rgb_to_grayscale, (images,), {"data_format": data_format}
        )
    images = shape_ops.as_tensor(images)
    _check("rgb_to_grayscale", images, data_format, float_only=False)
    if images.shape[-1] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale: invalid channel size: expected 3 (RGB) or 1 "
            f"(Grayscale). Received input with shape: images.shape="
            f"{tuple(images.shape)}"
        )
    if images.shape[-1] == 1:
        return images
    original = images.dtype
    compute = original if dtypes.is_float(original) else "float32"
    planes = _planes(images if compute == original else ew.cast(images, compute))
    gray = ew.multiply(planes[0], LUMA[0])
    for plane, weight in zip(planes[1:], LUMA[1:], strict=True):
        gray = ew.add(gray, ew.multiply(plane, weight))
    gray = shape_ops.expand_dims(gray, -1)
    return gray if compute == original else ew.cast(gray, original)


def rgb_to_hsv(images: Any, data_format: str | None = None) -> Any:
    """Converts RGB images (floats in ``[0, 1]``) to HSV, as
    ``keras.ops.image.rgb_to_hsv``.

    Args:
        images: float images, rank 3 or 4, 3 channels last.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        Hue, saturation and value in ``[0, 1]``, channels last.

    Raises:
        ValueError: for another rank or an integer dtype.

    Example:

    >>> rgb_to_hsv(np.array([[[1.0, 0.0, 0.0]]], "float32")).numpy()
    array([[[0., 1., 1.]]], dtype=float32)
    """
    if history.any_keras([images]):
        return history.record_function(
            rgb_to_hsv, (images,), {"data_format": data_format}
        )
    images = shape_ops.as_tensor(images)
    _check("rgb_to_hsv", images, data_format, float_only=True)
    eps = float(np.finfo(dtypes.to_numpy(images.dtype)).eps)
    images = ew.where(ew.less(ew.abs(images), eps), 0.0, images)
    red, green, blue = _planes(images)
    value = _maximum3(red, green, blue)
    minimum = ew.minimum(ew.minimum(red, green), blue)
    spread = ew.subtract(value, minimum)
    safe_value = ew.where(ew.greater(value, 0.0), value, 1.0)
    safe_spread = ew.where(ew.greater(spread, 0.0), spread, 1.0)
    saturation = ew.where(ew.greater(value, 0.0), ew.divide(spread, safe_value), 0.0)
    norm = ew.divide(1.0, ew.multiply(safe_spread, 6.0))
    hue = ew.where(
        ew.equal(value, green),
        ew.add(ew.multiply(norm, ew.subtract(blue, red)), 2.0 / 6.0),
        ew.add(ew.multiply(norm, ew.subtract(red, green)), 4.0 / 6.0),
    )
    hue = ew.where(
        ew.equal(value, red), ew.multiply(norm, ew.subtract(green, blue)), hue
    )
    wrapped = ew.cast(ew.less(hue, 0.0), hue.dtype)
    hue = ew.add(ew.where(ew.greater(spread, 0.0), hue, 0.0), wrapped)
    return shape_ops.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images: Any, data_format: str | None = None) -> Any:
    """Converts HSV images to RGB, as ``keras.ops.image.hsv_to_rgb``.

    Args:
        images: float images, rank 3 or 4, hue, saturation and value last.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        RGB images, channels last.

    Raises:
        ValueError: for another rank or an integer dtype.

    Example:

    >>> hsv_to_rgb(np.array([[[0.0, 1.0, 1.0]]], "float32")).numpy()
    array([[[1., 0., 0.]]], dtype=float32)
    """
    if history.any_keras([images]):
        return history.record_function(
            hsv_to_rgb, (images,), {"data_format": data_format}
        )
    images = shape_ops.as_tensor(images)
    _check("hsv_to_rgb", images, data_format, float_only=True)
    hue, saturation, value = _planes(images)
    sector = ew.multiply(ew.subtract(hue, ew.floor(hue)), 6.0)

    def clipped(x: Any) -> Any:
        return ew.minimum(ew.maximum(x, 0.0), 1.0)

    dr = clipped(ew.subtract(ew.abs(ew.subtract(sector, 3.0)), 1.0))
    dg = clipped(ew.subtract(2.0, ew.abs(ew.subtract(sector, 2.0))))
    db = clipped(ew.subtract(2.0, ew.abs(ew.subtract(sector, 4.0))))
    grey = ew.subtract(1.0, saturation)
    planes = [
        ew.multiply(value, ew.add(grey, ew.multiply(saturation, d)))
        for d in (dr, dg, db)
    ]
    return shape_ops.stack(planes, axis=-1)
