"""``UpSampling1D``, ``UpSampling2D`` and ``UpSampling3D``: repeat each step,
row, column (or voxel) ``size`` times, channels last; ``UpSampling2D`` can
also interpolate bilinearly (``kgraph.ops.image.resize``)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import Layer
from kgraph.ops import image as image_ops


def _sizes(layer: str, size: Any, count: int) -> tuple[int, ...]:
    items = (size,) * count if isinstance(size, numbers.Integral) else tuple(size)
    if len(items) != count or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1
        for s in items
    ):
        raise ValueError(
            f"{layer}: `size` must be a positive integer or a tuple of {count} "
            f"positive integers. Received: size={size!r}"
        )
    return tuple(int(s) for s in items)


def repeat(x: Any, repeats: int, axis: int) -> Any:
    """Repeats each slice along ``axis`` ``repeats`` times (``np.repeat``)."""
    if repeats == 1:
        return x
    size = x.shape[axis]
    if size is None:
        raise ValueError(
            f"UpSampling: the axis {axis} to repeat must have a known size. "
            f"Received: input shape {tuple(x.shape)}"
        )
    indices = np.repeat(np.arange(size, dtype=np.int32), repeats)
    return ops.take(x, indices, axis=axis)


def _check_rank(layer: Layer, x: Any, rank: int, what: str) -> None:
    if x.ndim != rank:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) expects inputs of rank '
            f"{rank} {what}. Received: input shape {tuple(x.shape)}"
        )


class UpSampling1D(Layer):
    """Repeats each time step ``size`` times.

    Args:
        size: the repetition factor (``2``).
        **kwargs: base layer arguments.

    Example:

    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy()[0, :, 0]
    array([1., 1., 2., 2.], dtype=float32)
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = _sizes("UpSampling1D", size, 1)[0]

    def call(self, inputs: Any) -> Any:
        """Returns the input with every step repeated."""
        x = ops.as_tensor(inputs)
        _check_rank(self, x, 3, "(batch, steps, features)")
        return repeat(x, self.size, 1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The number of steps times ``size``."""
        steps = input_shape[1]
        return (
            input_shape[0],
            None if steps is None else steps * self.size,
            input_shape[2],
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarges images by integer factors: each row and column repeated
    (``"nearest"``), or bilinear interpolation at half-pixel centres
    (``"bilinear"``, as Keras's JAX backend).

    Args:
        size: ``(rows, columns)`` factors, or one int for both (``(2, 2)``).
        data_format: ``None`` or ``"channels_last"``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        **kwargs: base layer arguments.

    Example:

    >>> UpSampling2D(2)(np.array([[[[1.0], [2.0]]]])).numpy()[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]], dtype=float32)
    """

    def __init__(
        self,
        size: int | Sequence[int] = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = _sizes("UpSampling2D", size, 2)
        self.data_format = standardize_data_format(data_format, "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                "UpSampling2D: kgraph supports interpolation 'nearest' or "
                f"'bilinear'. Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs: Any) -> Any:
        """Returns the enlarged images."""
        x = ops.as_tensor(inputs)
        _check_rank(self, x, 4, "(batch, height, width, channels)")
        if self.interpolation == "nearest":
            return repeat(repeat(x, self.size[0], 1), self.size[1], 2)
        height, width = x.shape[1] * self.size[0], x.shape[2] * self.size[1]
        return image_ops.resize(x, (height, width), interpolation="bilinear")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Height and width times the factors."""
        return _scaled(input_shape, self.size)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(Layer):
    """Repeats each voxel ``size`` times along depth, height and width.

    Args:
        size: ``(depth, height, width)`` factors, or one int for all
            (``(2, 2, 2)``).
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> UpSampling3D(2)(np.ones((1, 1, 1, 1, 3))).shape
    (1, 2, 2, 2, 3)
    """

    def __init__(
        self,
        size: int | Sequence[int] = (2, 2, 2),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = _sizes("UpSampling3D", size, 3)
        self.data_format = standardize_data_format(data_format, "UpSampling3D")

    def call(self, inputs: Any) -> Any:
        """Returns the enlarged volumes."""
        x = ops.as_tensor(inputs)
        _check_rank(self, x, 5, "(batch, depth, height, width, channels)")
        for axis, factor in enumerate(self.size, start=1):
            x = repeat(x, factor, axis)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Depth, height and width times the factors."""
        return _scaled(input_shape, self.size)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
        }


def _scaled(shape: Any, factors: Sequence[int]) -> tuple:
    result = list(shape)
    for axis, factor in enumerate(factors, start=1):
        if result[axis] is not None:
            result[axis] = result[axis] * factor
    return tuple(result)
