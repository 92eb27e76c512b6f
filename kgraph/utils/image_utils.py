"""Images as arrays and back, through Pillow when it is installed:
``array_to_img``, ``img_to_array``, ``load_img`` and ``save_img`` as
``keras.utils`` has them. Pillow is optional (never a dependency of
kgraph): without it these raise ``ImportError`` saying how to install it."""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np

_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Images need Pillow, which kgraph does not install: "
            "`pip install pillow`. Received: no module named 'PIL'"
        ) from None
    return Image


def _data_format(data_format: str | None) -> str:
    value = data_format or "channels_last"
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            'The `data_format` argument must be one of "channels_first", '
            f'"channels_last". Received: data_format={data_format!r}'
        )
    return value


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None
) -> Any:
    """Converts an array of one image to a Pillow image.

    Args:
        x: an array of rank 3, ``(height, width, channels)`` (or channels
            first), with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        scale: rescale the values to ``[0, 255]`` (min to 0, max to 255).
        dtype: the dtype to read ``x`` as (default ``float32``).

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ImportError: without Pillow.
        ValueError: for another rank or number of channels.

    Example:

    >>> image = array_to_img(np.zeros((4, 5, 3)))  # doctest: +SKIP
    >>> image.size  # doctest: +SKIP
    (5, 4)
    """
    image = _pillow()
    data_format = _data_format(data_format)
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(
            "Expected image array to have rank 3 (single image). "
            f"Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGBA" if channels == 4 else "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"Unsupported channel number: {channels}. Received: shape {x.shape}"
    )


def img_to_array(
    img: Any, data_format: str | None = None, dtype: Any = None
) -> np.ndarray:
    """Converts a Pillow image to an array of rank 3.

    Args:
        img: a ``PIL.Image.Image`` (or anything NumPy reads as an image).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dtype: the result's dtype (default ``float32``).

    Returns:
        ``(height, width, channels)`` (or channels first).

    Raises:
        ValueError: for an image that is not of rank 2 or 3.

    Example:

    >>> img_to_array(np.zeros((4, 5), dtype="uint8")).shape
    (4, 5, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        shape = (1, *x.shape) if data_format == "channels_first" else (*x.shape, 1)
        return x.reshape(shape)
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Saves an array of one image to a file (through Pillow).

    Args:
        path: a path or a file object.
        x: the image array (see ``array_to_img``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        file_format: the format (default: the path's extension; needed for
            a file object).
        scale: rescale the values to ``[0, 255]``.
        **kwargs: passed to ``PIL.Image.Image.save``.

    Raises:
        ImportError: without Pillow.
    """
    if file_format is None and isinstance(path, str | pathlib.Path):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.",
            stacklevel=2,
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Loads an image file as a Pillow image.

    Args:
        path: a path or a ``BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or ``None``.
        interpolation: the resampling: ``"nearest"``, ``"bilinear"``,
            ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: crop the middle of the image to the target's
            aspect ratio before resizing.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ImportError: without Pillow.
        TypeError: for a ``path`` of another type.
        ValueError: for an unknown ``color_mode`` or ``interpolation``.
    """
    image = _pillow()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, pathlib.Path | bytes | str | os.PathLike):
        with open(os.fspath(path), "rb") as stream:
            img = image.open(io.BytesIO(stream.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in modes:
        raise ValueError(
            f'color_mode must be "grayscale", "rgb", or "rgba". '
            f"Received: color_mode={color_mode!r}"
        )
    if img.mode not in modes[color_mode]:
        img = img.convert(modes[color_mode][0])
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])
    if img.size == size:
        return img
    if interpolation not in _RESAMPLING:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported "
            f"methods are {', '.join(_RESAMPLING)}"
        )
    resample = getattr(getattr(image, "Resampling", image), interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_height = min(height, (width * size[1]) // size[0])
    crop_width = min(width, (height * size[0]) // size[1])
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    box = (left, top, left + crop_width, top + crop_height)
    return img.resize(size, resample, box=box)


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
