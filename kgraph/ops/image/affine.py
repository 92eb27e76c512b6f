"""``affine_transform``: Keras's projective resampling of images, following
``jax.scipy.ndimage.map_coordinates`` (Keras's JAX backend) with its fill
modes. The source positions are graph arithmetic; each neighbour is one
``take`` from the images flattened to ``(pixels, channels)``, offset per
image by ``iota``."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import elementwise as ew
from kgraph.ops import history
from kgraph.ops import shaping as shape_ops
from kgraph.ops.image.sampling import fix_index
from kgraph.ops.image.sampling import inside
from kgraph.ops.image.sampling import iota
from kgraph.ops.image.sampling import round_half_away
from kgraph.ops.image.validation import AFFINE_INTERPOLATIONS
from kgraph.ops.image.validation import FILL_MODES
from kgraph.ops.image.validation import check_data_format
from kgraph.ops.image.validation import check_images


def sampler(images: Any, rows: Any, fill_mode: str, fill_value: float) -> Any:
    """Returns ``read(y, x)``: the pixels at integer-valued float positions
    ``(y, x)`` shaped ``(batch, height, width)``, with the fill mode."""
    _, height, width, channels = images.shape
    flat = shape_ops.reshape(images, (-1, channels))
    batch = ew.multiply(iota(rows, axis=0), height * width)

    def read(y: Any, x: Any) -> Any:
        fy, fx = fix_index(y, height, fill_mode), fix_index(x, width, fill_mode)
        offset = ew.add(ew.multiply(fy, float(width)), fx)
        index = ew.add(batch, ew.cast(offset, "int32"))
        values = shape_ops.take(flat, index, axis=0)
        if fill_mode != "constant":
            return values
        valid = shape_ops.expand_dims(
            ew.logical_and(inside(y, height), inside(x, width)), -1
        )
        return ew.where(valid, values, float(fill_value))

    return read


def _source_positions(transform: Any, like: Any) -> tuple[Any, Any]:
    """The input ``(y, x)`` each output pixel reads, shaped like ``like``
    (``(batch, height, width)``): ``x' = (a0 x + a1 y + a2) / k``,
    ``y' = (b0 x + b1 y + b2) / k``, ``k = c0 x + c1 y + 1``."""
    _, height, width = like.shape
    xs = np.arange(width, dtype=np.float32).reshape(1, 1, width)
    ys = np.arange(height, dtype=np.float32).reshape(1, height, 1)

    def column(k: int) -> Any:
        return shape_ops.reshape(
            shape_ops.get_item(transform, (slice(None), k)), (-1, 1, 1)
        )

    a0, a1, a2, b0, b1, b2, c0, c1 = (column(k) for k in range(8))
    k = ew.add(ew.add(ew.multiply(c0, xs), ew.multiply(c1, ys)), 1.0)
    x = ew.add(ew.add(ew.multiply(a0, xs), ew.multiply(a1, ys)), a2)
    y = ew.add(ew.add(ew.multiply(b0, xs), ew.multiply(b1, ys)), b2)
    zeros = ew.multiply(ew.cast(like, "float32"), 0.0)
    zeros = ew.where(ew.equal(zeros, zeros), zeros, 0.0)
    return ew.add(ew.divide(y, k), zeros), ew.add(ew.divide(x, k), zeros)


def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Any:
    """Resamples images through projective transforms, as
    ``keras.ops.image.affine_transform``.

    Output pixel ``(x, y)`` reads the input at ``((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1``, for the transform
    ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one per image, or one for all).
    Positions outside the image follow ``fill_mode``, as
    ``jax.scipy.ndimage.map_coordinates`` (Keras's JAX backend):
    ``"constant"`` (``fill_value``), ``"nearest"`` (the edge pixel),
    ``"wrap"``, ``"mirror"`` or ``"reflect"`` (mirrored about the edge,
    repeating the edge pixel).

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width,
            channels)``.
        transform: ``(8,)`` or ``(batch, 8)``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: one of ``"constant"``, ``"nearest"``, ``"wrap"``,
            ``"mirror"``, ``"reflect"``.
        fill_value: the value outside the image for ``"constant"``.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The transformed images, shaped and typed as ``images``.

    Raises:
        ValueError: for another interpolation or fill mode, or images or
            transforms of the wrong rank.

    Example:

    >>> shift = [1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # x' = x - 1
    >>> image = np.arange(3, dtype="float32").reshape(1, 3, 1)
    >>> affine_transform(image, shift, fill_mode="nearest")[0, :, 0].numpy()
    array([0., 0., 1.], dtype=float32)
    """
    arguments = {
        "interpolation": interpolation,
        "fill_mode": fill_mode,
        "fill_value": fill_value,
        "data_format": data_format,
    }
    if history.any_keras([images, transform]):
        return history.record_function(affine_transform, (images, transform), arguments)
    images, transform = shape_ops.as_tensor(images), shape_ops.as_tensor(transform)
    _check_affine(images, transform, **arguments)
    single = images.ndim == 3
    if single:
        images = shape_ops.expand_dims(images, 0)
    if transform.ndim == 1:
        transform = shape_ops.expand_dims(transform, 0)
    original = images.dtype
    if original != "float32" and not dtypes.is_float(original):
        images = ew.cast(images, "float32")
    if transform.dtype != images.dtype:
        transform = ew.cast(transform, images.dtype)
    like = shape_ops.get_item(images, (Ellipsis, 0))
    y, x = _source_positions(transform, like)
    read = sampler(images, y, fill_mode, fill_value)
    if interpolation == "nearest":
        result = read(round_half_away(y), round_half_away(x))
    else:
        result = bilinear(read, y, x)
    if not dtypes.is_float(original):
        result = ew.cast(round_half_away(result), original)
    return shape_ops.squeeze(result, 0) if single else result


def bilinear(read: Any, y: Any, x: Any) -> Any:
    """The four neighbours weighed as ``map_coordinates(order=1)``, summed in
    its order."""
    y0, x0 = ew.floor(y), ew.floor(x)
    wy1, wx1 = ew.subtract(y, y0), ew.subtract(x, x0)
    wy0, wx0 = ew.subtract(1.0, wy1), ew.subtract(1.0, wx1)
    y1, x1 = ew.add(y0, 1.0), ew.add(x0, 1.0)
    total = None
    for row, wy in ((y0, wy0), (y1, wy1)):
        for col, wx in ((x0, wx0), (x1, wx1)):
            weight = shape_ops.expand_dims(ew.multiply(wy, wx), -1)
            term = ew.multiply(weight, read(row, col))
            total = term if total is None else ew.add(total, term)
    return total


def _check_affine(images: Any, transform: Any, **arguments: Any) -> None:
    check_images("affine_transform", images)
    check_data_format("affine_transform", arguments["data_format"])
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "affine_transform: invalid transform: expected shape (8,) (one "
            "transform) or (batch, 8) (a batch of transforms). Received: "
            f"transform.shape={tuple(transform.shape)}"
        )
    if arguments["interpolation"] not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            "affine_transform: invalid value for argument `interpolation`. Expected "
            f"one of {AFFINE_INTERPOLATIONS}. Received: "
            f"interpolation={arguments['interpolation']!r}"
        )
    if arguments["fill_mode"] not in FILL_MODES:
        raise ValueError(
            "affine_transform: invalid value for argument `fill_mode`. Expected one "
            f"of {FILL_MODES}. Received: fill_mode={arguments['fill_mode']!r}"
        )
