"""Moving pixels between depth and space: Keras's ``depth_to_space`` (pixel
shuffle) and ``space_to_depth`` (its inverse), each one reshape, one
transpose and one reshape.

Channels last, a ``(batch, height, width, channels)`` image's depth holds
``block_size ** 2`` sub-pixels per output channel, ordered by row within the
block, then column, then channel (TensorFlow's and JAX's layout); channels
first the channel index is the slowest of the three.
"""

from __future__ import annotations

from typing import Any

from kgraph.ops import history
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import shaping as shape_ops


def _check(op: str, x: Any, block_size: Any, data_format: Any) -> tuple[int, ...]:
    """Validates the arguments; returns the image's height, width and channels
    in the order of ``data_format``.

    Raises:
        ValueError: for a block size below 2, an unknown data format, an input
            that is not 4-D or whose spatial sizes and channels are unknown.
    """
    if (
        isinstance(block_size, bool)
        or not isinstance(block_size, int)
        or block_size < 2
    ):
        raise ValueError(
            f"{op}: `block_size` must be an integer of at least 2. "
            f"Received: block_size={block_size!r}"
        )
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(
            f"{op}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    shape = tuple(x.shape)
    if len(shape) != 4 or any(d is None for d in shape[1:]):
        raise ValueError(
            f"{op}: expected a 4-D input whose dimensions other than the batch are "
            f"known. Received: x.shape={shape}"
        )
    return shape[1:]


@history.recorded
def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Rearranges depth into spatial blocks (pixel shuffle), as
    ``keras.ops.depth_to_space``.

    ``(N, H, W, C * r**2)`` becomes ``(N, H * r, W * r, C)`` with
    ``r = block_size`` (channels first, ``(N, C * r**2, H, W)`` becomes
    ``(N, C, H * r, W * r)``): the inverse of ``space_to_depth``.

    Args:
        x: a 4-D tensor; its channels must be divisible by ``block_size ** 2``.
        block_size: the side of each spatial block, at least 2.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A tensor of ``x``'s dtype, ``block_size`` times taller and wider.

    Raises:
        ValueError: for a block size below 2, an input that is not 4-D, or
            channels not divisible by ``block_size ** 2``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 1, 1, 16)
    >>> depth_to_space(x, 2).shape
    (1, 2, 2, 4)
    """
    x = shape_ops.as_tensor(x)
    dims = _check("depth_to_space", x, block_size, data_format)
    first = data_format == "channels_first"
    channels, height, width = (dims[0], *dims[1:]) if first else (dims[2], *dims[:2])
    r = block_size
    if channels % (r * r):
        raise ValueError(
            f"depth_to_space: the channels ({channels}) must be divisible by "
            f"block_size ** 2 = {r * r}. Received: x.shape={tuple(x.shape)}"
        )
    depth = channels // (r * r)
    if first:
        blocks = shape_ops.reshape(x, (-1, depth, r, r, height, width))
        moved = linalg_ops.transpose(blocks, (0, 1, 4, 2, 5, 3))
        return shape_ops.reshape(moved, (-1, depth, height * r, width * r))
    blocks = shape_ops.reshape(x, (-1, height, width, r, r, depth))
    moved = linalg_ops.transpose(blocks, (0, 1, 3, 2, 4, 5))
    return shape_ops.reshape(moved, (-1, height * r, width * r, depth))


@history.recorded
def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Rearranges spatial blocks into depth (pixel unshuffle), as
    ``keras.ops.space_to_depth``.

    ``(N, H * r, W * r, C)`` becomes ``(N, H, W, C * r**2)`` with
    ``r = block_size`` (channels first, ``(N, C, H * r, W * r)`` becomes
    ``(N, C * r**2, H, W)``): the inverse of ``depth_to_space``.

    Args:
        x: a 4-D tensor; its height and width must be divisible by
            ``block_size``.
        block_size: the side of each spatial block, at least 2.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A tensor of ``x``'s dtype with ``block_size ** 2`` times the channels.

    Raises:
        ValueError: for a block size below 2, an input that is not 4-D, or a
            height or width not divisible by ``block_size``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> space_to_depth(x, 2).shape
    (1, 2, 2, 4)
    """
    x = shape_ops.as_tensor(x)
    dims = _check("space_to_depth", x, block_size, data_format)
    first = data_format == "channels_first"
    channels, height, width = (dims[0], *dims[1:]) if first else (dims[2], *dims[:2])
    r = block_size
    if height % r or width % r:
        raise ValueError(
            f"space_to_depth: the height ({height}) and width ({width}) must be "
            f"divisible by block_size = {r}. Received: x.shape={tuple(x.shape)}"
        )
    rows, cols = height // r, width // r
    if first:
        blocks = shape_ops.reshape(x, (-1, channels, rows, r, cols, r))
        moved = linalg_ops.transpose(blocks, (0, 1, 3, 5, 2, 4))
        return shape_ops.reshape(moved, (-1, channels * r * r, rows, cols))
    blocks = shape_ops.reshape(x, (-1, rows, r, cols, r, channels))
    moved = linalg_ops.transpose(blocks, (0, 1, 3, 2, 4, 5))
    return shape_ops.reshape(moved, (-1, rows, cols, channels * r * r))


__all__ = ["depth_to_space", "space_to_depth"]
