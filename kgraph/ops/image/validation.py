"""Argument checks shared by the image ops (channels last)."""

from __future__ import annotations

from typing import Any

RESIZE_INTERPOLATIONS = ("bilinear", "nearest")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def check_images(op: str, images: Any) -> None:
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{op}: invalid images rank: expected rank 3 (single image) or rank 4 "
            f"(batch of images). Received input with shape: images.shape="
            f"{tuple(images.shape)}"
        )
    if any(d is None for d in images.shape[-3:]):
        raise ValueError(
            f"{op}: the height, width and channels of the images must be known. "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )


def check_data_format(op: str, data_format: Any) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{op}: kgraph's images are channels last; data_format must be None or "
            f"'channels_last'. Received: data_format={data_format!r}"
        )
