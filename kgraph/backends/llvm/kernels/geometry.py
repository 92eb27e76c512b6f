"""The shapes and attributes of one convolution, as the native kernels
(``conv.py``, ``winograd.py``) read them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Geometry:
    """The shapes and attributes of one convolution.

    Args:
        batch: the batch size.
        spatial: the input's spatial sizes.
        channels: the input channels.
        window: the kernel's spatial sizes.
        out_spatial: the output's spatial sizes.
        out_channels: the output channels.
        strides, padding, dilation: the convolution's attributes.
    """

    batch: int
    spatial: tuple[int, ...]
    channels: int
    window: tuple[int, ...]
    out_spatial: tuple[int, ...]
    out_channels: int
    strides: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]

    @property
    def rows(self) -> int:
        """Output positions: the rows of the patch matrix."""
        return self.batch * math.prod(self.out_spatial)

    @property
    def depth(self) -> int:
        """Elements of one patch: the product's inner dimension."""
        return math.prod(self.window) * self.channels
