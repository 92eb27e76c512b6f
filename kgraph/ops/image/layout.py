"""``crop_images`` and ``pad_images``: Keras's cropping and zero padding of
images (channels last), each side given or inferred from a target size."""

from __future__ import annotations

from typing import Any

from kgraph.ops import history
from kgraph.ops import shaping as shape_ops
from kgraph.ops.image.validation import check_data_format


def _sides(op: str, names: tuple[str, str, str], values: tuple) -> None:
    if list(values).count(None) != 1:
        raise ValueError(
            f"{op}: must specify exactly two of {', '.join(names)}. Received: "
            + ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
        )
    for name, value in zip(names, values, strict=True):
        if value is not None and value < 0:
            raise ValueError(f"{op}: {name} must be >= 0. Received: {name}={value}")


def _check_rank(op: str, images: Any) -> None:
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{op}: invalid images rank: expected rank 3 (single image) or rank 4 "
            f"(batch of images). Received: images.shape={tuple(images.shape)}"
        )


def pad_images(
    images: Any,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Any:
    """Pads images with zeros, as ``keras.ops.image.pad_images``: give two of
    top, bottom and the target height (and of left, right and the target
    width).

    Args:
        images: rank 3 or 4, channels last.
        top_padding: rows above.
        left_padding: columns on the left.
        bottom_padding: rows below.
        right_padding: columns on the right.
        target_height: the padded height.
        target_width: the padded width.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The padded images.

    Raises:
        ValueError: for other than two of each triple, or negative sizes.

    Example:

    >>> import numpy as np
    >>> pad_images(np.ones((1, 1, 1), "float32"), 1, 0, 0, 1)[..., 0].numpy()
    array([[0., 0.],
           [1., 0.]], dtype=float32)
    """
    arguments = {
        "top_padding": top_padding,
        "left_padding": left_padding,
        "bottom_padding": bottom_padding,
        "right_padding": right_padding,
        "target_height": target_height,
        "target_width": target_width,
        "data_format": data_format,
    }
    if history.any_keras([images]):
        return history.record_function(pad_images, (images,), arguments)
    images = shape_ops.as_tensor(images)
    check_data_format("pad_images", data_format)
    _check_rank("pad_images", images)
    rows = (top_padding, bottom_padding, target_height)
    cols = (left_padding, right_padding, target_width)
    _sides("pad_images", ("top_padding", "bottom_padding", "target_height"), rows)
    _sides("pad_images", ("left_padding", "right_padding", "target_width"), cols)
    height, width = images.shape[-3], images.shape[-2]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for name, value in (
        ("top_padding", top_padding),
        ("left_padding", left_padding),
        ("right_padding", right_padding),
        ("bottom_padding", bottom_padding),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    low = [0] * images.ndim
    high = [0] * images.ndim
    low[-3], high[-3], low[-2], high[-2] = (
        top_padding,
        bottom_padding,
        left_padding,
        right_padding,
    )
    return shape_ops.pad_general(images, low, high, [0] * images.ndim, 0.0)


def crop_images(
    images: Any,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Any:
    """Crops images, as ``keras.ops.image.crop_images``: give two of top,
    bottom and the target height (and of left, right and the target width).

    Args:
        images: rank 3 or 4, channels last.
        top_cropping: rows removed at the top.
        left_cropping: columns removed on the left.
        bottom_cropping: rows removed at the bottom.
        right_cropping: columns removed on the right.
        target_height: the cropped height.
        target_width: the cropped width.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The cropped images.

    Raises:
        ValueError: for other than two of each triple, or negative sizes.

    Example:

    >>> import numpy as np
    >>> image = np.arange(9, dtype="float32").reshape(3, 3, 1)
    >>> crop_images(image, 1, 1, target_height=1, target_width=2)[..., 0].numpy()
    array([[4., 5.]], dtype=float32)
    """
    arguments = {
        "top_cropping": top_cropping,
        "left_cropping": left_cropping,
        "bottom_cropping": bottom_cropping,
        "right_cropping": right_cropping,
        "target_height": target_height,
        "target_width": target_width,
        "data_format": data_format,
    }
    if history.any_keras([images]):
        return history.record_function(crop_images, (images,), arguments)
    images = shape_ops.as_tensor(images)
    check_data_format("crop_images", data_format)
    _check_rank("crop_images", images)
    rows = (top_cropping, bottom_cropping, target_height)
    cols = (left_cropping, right_cropping, target_width)
    _sides("crop_images", ("top_cropping", "bottom_cropping", "target_height"), rows)
    _sides("crop_images", ("left_cropping", "right_cropping", "target_width"), cols)
    height, width = images.shape[-3], images.shape[-2]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    for name, value in (
        ("top_cropping", top_cropping),
        ("target_height", target_height),
        ("left_cropping", left_cropping),
        ("target_width", target_width),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    if top_cropping + target_height > height or left_cropping + target_width > width:
        raise ValueError(
            "crop_images: the crop window must lie inside the images. Received: "
            f"rows {top_cropping}..{top_cropping + target_height} and columns "
            f"{left_cropping}..{left_cropping + target_width} of images of shape "
            f"{tuple(images.shape)}"
        )
    key = (
        Ellipsis,
        slice(top_cropping, top_cropping + target_height),
        slice(left_cropping, left_cropping + target_width),
        slice(None),
    )
    return shape_ops.get_item(images, key)
