"""``Resizing`` and ``CenterCrop``: deterministic image layers (channels
last), built on ``kgraph.ops.image.resize``."""

from __future__ import annotations

import numbers
from typing import Any

from kgraph import dtypes
from kgraph import ops
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import Layer
from kgraph.ops import image as image_ops


def check_size(layer: str, name: str, value: Any) -> int:
    """A positive integer size, or a ValueError naming the layer."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or int(value) < 1
    ):
        raise ValueError(
            f"{layer}: `{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def check_image_rank(layer: Layer, shape: Any) -> None:
    """Images are ``(height, width, channels)`` or batches of them."""
    if len(shape) not in (3, 4):
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) expects images of rank '
            "3 (height, width, channels) or 4 (batch, height, width, channels). "
            f"Received: input shape {tuple(shape)}"
        )


def image_output_shape(shape: Any, height: int, width: int) -> tuple:
    """The input shape with a new height and width (channels last)."""
    shape = list(shape)
    shape[-3], shape[-2] = height, width
    return tuple(shape)


class Resizing(Layer):
    """Resizes images to ``(height, width)``, as Keras's ``Resizing``.

    Args:
        height: the output height.
        width: the output width.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        crop_to_aspect_ratio: first crop the centre of each image to the
            target aspect ratio, so nothing is stretched.
        pad_to_aspect_ratio: first pad each image evenly to the target aspect
            ratio, with ``fill_value``.
        fill_mode: ``"constant"`` (Keras's only mode).
        fill_value: the padding value.
        antialias: ``False`` (kgraph has no antialiasing filter; ``True`` is
            accepted only when nothing shrinks).
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> Resizing(1, 2)(np.arange(8.0).reshape(2, 4, 1)).numpy()[..., 0]
    array([[2.5, 4.5]], dtype=float32)
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.height = check_size("Resizing", "height", height)
        self.width = check_size("Resizing", "width", width)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing: kgraph supports interpolation in "
                f"{image_ops.RESIZE_INTERPOLATIONS}. Received: "
                f"interpolation={interpolation!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `pad_to_aspect_ratio` & "
                "`crop_to_aspect_ratio` can be `True`. Received: both True"
            )
        if fill_mode != "constant":
            raise ValueError(
                "Resizing: only fill_mode='constant' is supported. Received: "
                f"fill_mode={fill_mode!r}"
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(data_format, "Resizing")

    def call(self, inputs: Any) -> Any:
        """Returns the resized images (integer images stay integers)."""
        x = ops.as_tensor(inputs)
        check_image_rank(self, x.shape)
        if dtypes.is_float(x.dtype) and x.dtype != self.dtype:
            x = ops.cast(x, self.dtype)
        return image_ops.resize(
            x,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with the new height and width."""
        return image_output_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


class CenterCrop(Layer):
    """Crops the centre ``(height, width)`` of images, as Keras's
    ``CenterCrop``: the crop starts at ``(size - target) // 2``; an image
    smaller than the target on an axis is instead cropped to the target's
    aspect ratio and resized (bilinear), as Keras's ``smart_resize``.
    Outputs are floats of the layer's dtype.

    Args:
        height: the output height.
        width: the output width.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> CenterCrop(1, 2)(np.arange(9.0).reshape(3, 3, 1)).numpy()[..., 0]
    array([[3., 4.]], dtype=float32)
    """

    def __init__(
        self, height: int, width: int, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.height = check_size("CenterCrop", "height", height)
        self.width = check_size("CenterCrop", "width", width)
        self.data_format = standardize_data_format(data_format, "CenterCrop")

    def call(self, inputs: Any) -> Any:
        """Returns the centre crop (or the smart resize of small images)."""
        x = ops.as_tensor(inputs)
        check_image_rank(self, x.shape)
        if x.dtype != self.dtype:
            x = ops.cast(x, self.dtype)
        in_height, in_width = x.shape[-3], x.shape[-2]
        if in_height is None or in_width is None:
            raise ValueError(
                f'Layer "{self.name}" (CenterCrop) needs images of known height and '
                f"width. Received: input shape {tuple(x.shape)}"
            )
        if in_height < self.height or in_width < self.width:
            return image_ops.resize(
                x, (self.height, self.width), crop_to_aspect_ratio=True
            )
        top = (in_height - self.height) // 2
        left = (in_width - self.width) // 2
        key = (
            Ellipsis,
            slice(top, top + self.height),
            slice(left, left + self.width),
            slice(None),
        )
        return ops.get_item(x, key)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with the new height and width."""
        return image_output_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }
