"""``resize``: ``jax.image.resize`` without antialiasing (Keras's JAX
backend), as gathers: output pixel ``i`` samples the input at the
half-pixel position ``(i + 0.5) * in / out - 0.5``; ``"bilinear"`` weighs
the two nearest input pixels by a triangle kernel renormalized inside the
image (which clamps at the edges), ``"nearest"`` takes pixel
``floor((i + 0.5) * in / out)``. The taps and weights depend only on the
sizes, so they are computed in NumPy and applied as ``take``s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import elementwise as ew
from kgraph.ops import history
from kgraph.ops import shaping as shape_ops
from kgraph.ops.image.validation import RESIZE_INTERPOLATIONS
from kgraph.ops.image.validation import check_data_format
from kgraph.ops.image.validation import check_images


def nearest_indices(in_size: int, out_size: int) -> np.ndarray:
    """The input pixel of each output pixel for ``"nearest"``, computed in
    float32 as JAX does: ``floor((i + 0.5) * in / out)``."""
    offsets = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(
        in_size
    )
    offsets = offsets / np.float32(out_size)
    return np.minimum(np.floor(offsets), in_size - 1).astype(np.int32)


def linear_weights(in_size: int, out_size: int) -> tuple[np.ndarray, ...]:
    """For each output pixel, the two input pixels ``bilinear`` reads and
    their weights, computed in float32 as ``jax.image.resize`` does
    (triangle kernel, renormalized over the pixels inside the image).

    Returns:
        ``(lower, upper, lower_weight, upper_weight)``, each of length
        ``out_size``.
    """
    scale = np.float32(out_size / in_size)
    inv_scale = np.float32(1.0) / scale
    sample = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * inv_scale
    sample = sample - np.float32(0.5)
    source = np.arange(in_size, dtype=np.float32)[:, None]
    weights = np.maximum(np.float32(0.0), np.float32(1.0) - np.abs(sample - source))
    total = np.sum(weights, axis=0, keepdims=True, dtype=np.float32)
    usable = np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    weights = np.where(usable, weights / np.where(total != 0, total, 1), 0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    weights = np.where(inside[None, :], weights, 0).astype(np.float32)
    lower = np.clip(np.floor(sample), 0, in_size - 1).astype(np.int32)
    upper = np.minimum(lower + 1, in_size - 1).astype(np.int32)
    columns = np.arange(out_size)
    lower_weight = weights[lower, columns]
    upper_weight = np.where(upper != lower, weights[upper, columns], 0)
    return lower, upper, lower_weight, upper_weight.astype(np.float32)


def _along(values: np.ndarray, axis: int, rank: int) -> np.ndarray:
    """A 1-D array shaped to broadcast along ``axis`` of a rank-``rank`` tensor."""
    shape = [1] * rank
    shape[axis] = values.shape[0]
    return values.reshape(shape)


def _resize_axis(x: Any, axis: int, size: int, interpolation: str) -> Any:
    in_size = x.shape[axis]
    if in_size == size:
        return x
    if interpolation == "nearest":
        return shape_ops.take(x, nearest_indices(in_size, size), axis=axis)
    lower, upper, lower_weight, upper_weight = linear_weights(in_size, size)
    dtype = dtypes.to_numpy(x.dtype)
    low = ew.multiply(
        shape_ops.take(x, lower, axis=axis),
        _along(lower_weight.astype(dtype), axis, x.ndim),
    )
    high = ew.multiply(
        shape_ops.take(x, upper, axis=axis),
        _along(upper_weight.astype(dtype), axis, x.ndim),
    )
    return ew.add(low, high)


def _crop_to_aspect(images: Any, height: int, width: int) -> Any:
    """Keras's centered crop to the target aspect ratio."""
    in_height, in_width = images.shape[-3], images.shape[-2]
    crop_height = max(min(in_height, int(float(in_width * height) / width)), 1)
    crop_width = max(min(in_width, int(float(in_height * width) / height)), 1)
    top = int(float(in_height - crop_height) / 2)
    left = int(float(in_width - crop_width) / 2)
    key = (
        Ellipsis,
        slice(top, top + crop_height),
        slice(left, left + crop_width),
        slice(None),
    )
    return shape_ops.get_item(images, key)


def _pad_to_aspect(images: Any, height: int, width: int, fill_value: float) -> Any:
    """Keras's symmetric padding to the target aspect ratio with ``fill_value``."""
    in_height, in_width = images.shape[-3], images.shape[-2]
    pad_height = max(in_height, int(float(in_width * height) / width))
    pad_width = max(in_width, int(float(in_height * width) / height))
    top = int(float(pad_height - in_height) / 2)
    left = int(float(pad_width - in_width) / 2)
    widths = [[0, 0]] * images.ndim
    if top > 0:
        widths[-3] = [top, top]
    elif left > 0:
        widths[-2] = [left, left]
    else:
        return images
    low = [w[0] for w in widths]
    high = [w[1] for w in widths]
    return shape_ops.pad_general(images, low, high, [0] * images.ndim, fill_value)


def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Any:
    """Resizes images to ``size``, as ``keras.ops.image.resize``.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width,
            channels)``.
        size: ``(height, width)`` of the output.
        interpolation: ``"bilinear"`` or ``"nearest"`` (half-pixel centers,
            as Keras's JAX backend).
        antialias: must be ``False`` when ``"bilinear"`` shrinks an axis
            (kgraph has no antialiasing filter); it changes nothing when
            enlarging.
        crop_to_aspect_ratio: first crop the centre of the image to the
            target aspect ratio.
        pad_to_aspect_ratio: first pad the image evenly on both sides to the
            target aspect ratio, with ``fill_value``.
        fill_mode: ``"constant"`` (the only mode, as in Keras).
        fill_value: the padding value for ``pad_to_aspect_ratio``.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The resized images, of the input's dtype (integer images are
        interpolated in float32 and rounded back).

    Raises:
        ValueError: for another interpolation, antialiasing that matters,
            both aspect-ratio options, a bad ``size`` or images of the wrong
            rank or with unknown spatial sizes.

    Example:

    >>> images = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    >>> resize(images, (1, 1))[0, :, :, 0].numpy()
    array([[1.5]], dtype=float32)
    """
    arguments = {
        "size": size,
        "interpolation": interpolation,
        "antialias": antialias,
        "crop_to_aspect_ratio": crop_to_aspect_ratio,
        "pad_to_aspect_ratio": pad_to_aspect_ratio,
        "fill_mode": fill_mode,
        "fill_value": fill_value,
        "data_format": data_format,
    }
    if history.any_keras([images]):
        return history.record_function(resize, (images,), arguments)
    images = shape_ops.as_tensor(images)
    height, width = _check_resize(images, **arguments)
    if crop_to_aspect_ratio:
        images = _crop_to_aspect(images, height, width)
    elif pad_to_aspect_ratio:
        images = _pad_to_aspect(images, height, width, fill_value)
    if antialias and interpolation == "bilinear":
        shrinks = height < images.shape[-3] or width < images.shape[-2]
        if shrinks:
            raise ValueError(
                "resize: antialiasing when shrinking is not supported by kgraph. "
                f"Received: antialias=True for images of shape "
                f"{tuple(images.shape)} and size={tuple(size)}"
            )
    original = images.dtype
    if not dtypes.is_float(original):
        images = ew.cast(images, "float32")
    rank = images.ndim
    result = _resize_axis(images, rank - 3, height, interpolation)
    result = _resize_axis(result, rank - 2, width, interpolation)
    if not dtypes.is_float(original):
        rounded = ew.multiply(ew.sign(result), ew.floor(ew.add(ew.abs(result), 0.5)))
        result = ew.cast(rounded, original)
    return result


def _check_resize(images: Any, **arguments: Any) -> tuple[int, int]:
    check_images("resize", images)
    check_data_format("resize", arguments["data_format"])
    interpolation, size = arguments["interpolation"], arguments["size"]
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            "resize: invalid value for argument `interpolation`. kgraph supports "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
        )
    if arguments["fill_mode"] != "constant":
        raise ValueError(
            "resize: invalid value for argument `fill_mode`. Only 'constant' is "
            f"supported. Received: fill_mode={arguments['fill_mode']!r}"
        )
    if arguments["crop_to_aspect_ratio"] and arguments["pad_to_aspect_ratio"]:
        raise ValueError(
            "resize: only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can "
            "be `True`. Received: both True"
        )
    if (
        not isinstance(size, Sequence)
        or len(size) != 2
        or any(
            isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1
            for s in size
        )
    ):
        raise ValueError(
            "resize: argument `size` must be a tuple of two positive integers "
            f"(height, width). Received: size={size!r}"
        )
    return int(size[0]), int(size[1])
