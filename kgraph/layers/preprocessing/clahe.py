"""Keras's ``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE),
channels last, applied in training and at inference as in Keras.

Each image is padded symmetrically to a whole number of tiles; each tile's
256-bin histogram (per channel, values truncated to integers in ``[0,
255]``) is clipped at ``clip_limit * tile_pixels / 256`` with the excess
spread evenly, turned into a cumulative map ``(cdf - min) * 255 / (pixels -
min)``, and each pixel's value is mapped through the four nearest tiles'
maps, blended bilinearly by its position between tile centres.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.color import to_range
from kgraph.layers.preprocessing.color import value_range_of
from kgraph.layers.preprocessing.image import check_image_rank
from kgraph.ops import image as image_ops

BINS = 256


def _symmetric_indices(size: int, padded: int) -> np.ndarray:
    """The source index of each position of an axis padded at its end as
    ``numpy.pad(mode="symmetric")``."""
    return np.pad(np.arange(size), (0, padded - size), mode="symmetric").astype(
        np.int32
    )


def _corners(tile: int, grid: int) -> tuple[np.ndarray, ...]:
    """Keras's neighbouring tile rows (in the edge-padded grid) and weights
    of each position along one padded axis."""
    position = np.arange(tile * grid, dtype=np.float32) - np.float32(tile / 2.0)
    position = position / np.float32(tile) + np.float32(1.0)
    low = np.floor(position)
    weight = (position - low).astype(np.float32)
    high = np.clip(low + 1.0, 0, grid + 1).astype(np.int32)
    low = np.clip(low, 0, grid + 1).astype(np.int32)
    return low, high, weight


def _tile_maps(
    padded: Any, grid: tuple[int, int], tile: tuple[int, int], limit: float
) -> Any:
    """The clipped, equalized maps of every tile, edge-padded by one tile:
    ``(batch, grid_h + 2, grid_w + 2, channels, 256)``."""
    channels = padded.shape[-1]
    levels = ops.clip(ops.cast(padded, "int32"), 0, BINS - 1)
    rows = np.arange(grid[0] * tile[0]) // tile[0]
    cols = np.arange(grid[1] * tile[1]) // tile[1]
    tiles = (rows[:, None] * grid[1] + cols[None, :])[None, :, :, None]
    bins = (tiles * channels + np.arange(channels)[None, None, None, :]) * BINS
    index = ops.add(levels, bins.astype(np.int32))
    size = grid[0] * tile[0] * grid[1] * tile[1] * channels
    index = ops.reshape(index, (-1, size))
    ones = ops.add(ops.multiply(ops.cast(index, "float32"), 0.0), 1.0)
    count = grid[0] * grid[1] * channels * BINS
    hists = ops.scatter_add_along_axis(ones, index, axis=1, size=count)
    hists = ops.reshape(hists, (-1, grid[0], grid[1], channels, BINS))
    pixels = float(tile[0] * tile[1])
    if limit > 0:
        cap = np.float32(limit * pixels / 256.0)
        clipped = ops.clip(hists, 0.0, cap)
        excess = ops.sum(ops.subtract(hists, clipped), axis=-1, keepdims=True)
        hists = ops.add(clipped, ops.divide(excess, 256.0))
    cdf = ops.cumsum(hists, axis=-1)
    cdf_min = ops.min(cdf, axis=-1, keepdims=True)
    denominator = ops.subtract(pixels, cdf_min)
    denominator = ops.where(ops.equal(denominator, 0.0), 1.0, denominator)
    maps = ops.clip(
        ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denominator),
        0.0,
        255.0,
    )
    first, last = slice(0, 1), slice(grid[0] - 1, grid[0])
    maps = ops.concatenate(
        [
            ops.get_item(maps, (slice(None), first)),
            maps,
            ops.get_item(maps, (slice(None), last)),
        ],
        axis=1,
    )
    first, last = slice(0, 1), slice(grid[1] - 1, grid[1])
    return ops.concatenate(
        [
            ops.get_item(maps, (slice(None), slice(None), first)),
            maps,
            ops.get_item(maps, (slice(None), slice(None), last)),
        ],
        axis=2,
    )


def clahe(images: Any, grid: tuple[int, int], limit: float) -> Any:
    """CLAHE of ``(batch, height, width, channels)`` floats in ``[0, 255]``."""
    _, height, width, channels = images.shape
    tile = (-(-height // grid[0]), -(-width // grid[1]))
    padded_h, padded_w = tile[0] * grid[0], tile[1] * grid[1]
    padded = images
    if padded_h != height:
        padded = ops.take(padded, _symmetric_indices(height, padded_h), axis=1)
    if padded_w != width:
        padded = ops.take(padded, _symmetric_indices(width, padded_w), axis=2)
    maps = _tile_maps(padded, grid, tile, limit)
    flat = ops.reshape(maps, (-1,))
    stride_x = BINS * channels
    stride_y = stride_x * (grid[1] + 2)
    stride_b = stride_y * (grid[0] + 2)
    levels = ops.cast(ops.clip(padded, 0.0, 255.0), "int32")
    batch = ops.multiply(image_ops.iota(levels, axis=0), stride_b)
    channel = (np.arange(channels, dtype=np.int32) * BINS).reshape(1, 1, 1, -1)
    base = ops.add(ops.add(batch, channel), levels)
    y0, y1, wy = _corners(tile[0], grid[0])
    x0, x1, wx = _corners(tile[1], grid[1])

    def read(rows: np.ndarray, cols: np.ndarray) -> Any:
        offset = (
            rows.reshape(1, -1, 1, 1) * stride_y + cols.reshape(1, 1, -1, 1) * stride_x
        )
        return ops.take(flat, ops.add(base, offset.astype(np.int32)))

    wy = wy.reshape(1, -1, 1, 1)
    wx = wx.reshape(1, 1, -1, 1)
    top = ops.add(ops.multiply(read(y0, x0), 1.0 - wx), ops.multiply(read(y0, x1), wx))
    bottom = ops.add(
        ops.multiply(read(y1, x0), 1.0 - wx), ops.multiply(read(y1, x1), wx)
    )
    result = ops.add(ops.multiply(top, 1.0 - wy), ops.multiply(bottom, wy))
    return ops.get_item(result, (slice(None), slice(0, height), slice(0, width)))


def _grid(value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
            for v in value
        )
    ):
        raise ValueError(
            "ContrastLimitedAdaptiveHistogramEqualization: `tile_grid_size` must be "
            f"two positive integers. Received: tile_grid_size={value!r}"
        )
    return int(value[0]), int(value[1])


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Equalizes each image's histogram locally, with contrast limiting, as
    Keras's ``ContrastLimitedAdaptiveHistogramEqualization`` (see the
    module's notes), in training and inference.

    Args:
        value_range: the ``(low, high)`` of the images (not sorted, as Keras).
        clip_limit: the histogram clip, relative to an even histogram
            (``0`` or less: no clipping).
        tile_grid_size: the ``(rows, columns)`` of tiles.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> layer(np.zeros((1, 4, 4, 1))).shape
    (1, 4, 4, 1)
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Sequence[int] = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        self.value_range = value_range_of(name, value_range, sort=False)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, numbers.Real):
            raise ValueError(
                f"{name}: `clip_limit` must be a number. Received: "
                f"clip_limit={clip_limit!r}"
            )
        self.clip_limit = clip_limit
        self.tile_grid_size = _grid(tile_grid_size)
        self.data_format = standardize_data_format(data_format, name)

    def call(self, inputs: Any) -> Any:
        """Returns the equalized images."""
        images = ops.as_tensor(inputs)
        check_image_rank(self, images.shape)
        if images.dtype != self.dtype:
            images = ops.cast(images, self.dtype)
        single = images.ndim == 3
        batch = ops.expand_dims(images, 0) if single else images
        if batch.shape[1] is None or batch.shape[2] is None or batch.shape[3] is None:
            raise ValueError(
                f'Layer "{self.name}" (ContrastLimitedAdaptiveHistogramEqualization) '
                "needs known heights, widths and channels. Received: input shape "
                f"{tuple(images.shape)}"
            )
        x = to_range(batch, self.value_range, (0, 255))
        x = clahe(x, self.tile_grid_size, float(self.clip_limit))
        x = to_range(x, (0, 255), self.value_range)
        return ops.squeeze(x, 0) if single else x

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
            "data_format": self.data_format,
        }


__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]
