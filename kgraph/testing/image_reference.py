"""Plain NumPy transcriptions of Keras's image resampling (its JAX backend:
``jax.image.resize`` without antialiasing and
``jax.scipy.ndimage.map_coordinates``), written independently of
``kgraph.ops.image`` so tests can check it and the layers built on it."""

from __future__ import annotations

import itertools

import numpy as np


def linear_matrix(in_size: int, out_size: int) -> np.ndarray:
    """``jax.image.resize``'s bilinear weights along one axis: a triangle
    kernel at the half-pixel positions ``(i + 0.5) * in / out - 0.5``,
    renormalized over the pixels inside the image.

    Args:
        in_size: the input length.
        out_size: the output length.

    Returns:
        An ``(in_size, out_size)`` float32 matrix: ``out = matrix.T @ in``.

    Example:

    >>> linear_matrix(2, 1).ravel().tolist()
    [0.5, 0.5]
    """
    inv = np.float32(1.0) / np.float32(out_size / in_size)
    sample = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * inv
    sample = sample - np.float32(0.5)
    source = np.arange(in_size, dtype=np.float32)[:, None]
    weights = np.maximum(
        np.float32(0), np.float32(1) - np.abs(sample[None, :] - source)
    )
    total = weights.sum(axis=0, keepdims=True)
    usable = np.abs(total) > 1000 * np.finfo(np.float32).eps
    weights = np.where(usable, weights / np.where(total != 0, total, 1), 0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0).astype(np.float32)


def resize(
    images: np.ndarray, height: int, width: int, interpolation: str = "bilinear"
) -> np.ndarray:
    """Resizes ``(batch, height, width, channels)`` images as Keras's JAX
    backend (``"bilinear"`` or ``"nearest"``).

    Args:
        images: the images.
        height: the output height.
        width: the output width.
        interpolation: ``"bilinear"`` or ``"nearest"``.

    Returns:
        The resized images.

    Example:

    >>> resize(np.arange(4.0).reshape(1, 2, 2, 1), 1, 1).ravel().tolist()
    [1.5]
    """
    out = images
    for axis, size in ((1, height), (2, width)):
        count = out.shape[axis]
        if count == size:
            continue
        if interpolation == "nearest":
            positions = (np.arange(size, dtype=np.float32) + np.float32(0.5)) * (
                np.float32(count)
            )
            index = np.floor(positions / np.float32(size)).astype(int)
            out = np.take(out, index, axis=axis)
        else:
            moved = np.moveaxis(out, axis, -1)
            resized = np.tensordot(moved, linear_matrix(count, size), 1)
            out = np.moveaxis(resized, -1, axis)
    return out.astype(images.dtype)


def fix_index(index: int, size: int, fill_mode: str) -> int:
    """``map_coordinates``'s index fixers for one integer index.

    Args:
        index: the index, possibly outside ``[0, size)``.
        size: the axis length.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or
            ``"reflect"`` (``"constant"`` clamps; callers mask).

    Returns:
        An index in ``[0, size)``.

    Example:

    >>> [fix_index(i, 3, "reflect") for i in (-2, -1, 3, 4)]
    [1, 0, 2, 1]
    """
    if fill_mode in ("constant", "nearest"):
        return min(max(index, 0), size - 1)
    if fill_mode == "wrap":
        return index % size

    def mirror(i: int, n: int) -> int:
        half = n - 1
        return 0 if half == 0 else abs((i + half) % (2 * half) - half)

    if fill_mode == "mirror":
        return mirror(index, size)
    return (mirror(2 * index + 1, 2 * size + 1) - 1) // 2


def affine_transform(
    images: np.ndarray,
    transforms: np.ndarray,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Keras's ``affine_transform`` (JAX backend), pixel by pixel.

    Args:
        images: ``(batch, height, width, channels)``.
        transforms: ``(batch, 8)``: output ``(x, y)`` reads the input at
            ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``,
            ``k = c0 x + c1 y + 1``.
        interpolation: ``"bilinear"`` or ``"nearest"`` (half away from 0).
        fill_mode: see ``fix_index``.
        fill_value: the value outside the image for ``"constant"``.

    Returns:
        The transformed images (float64 arithmetic, the input's dtype).

    Example:

    >>> identity = np.array([[1, 0, 0, 0, 1, 0, 0, 0]], "float32")
    >>> affine_transform(np.ones((1, 2, 2, 1)), identity).ravel().tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    batch, height, width, _ = images.shape
    out = np.zeros_like(images)
    for b, y, x in itertools.product(range(batch), range(height), range(width)):
        a0, a1, a2, b0, b1, b2, c0, c1 = np.asarray(transforms[b], np.float64)
        k = c0 * x + c1 * y + 1
        source = ((b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k)
        nodes = [_nodes(c, interpolation) for c in source]
        value = np.zeros(images.shape[-1])
        for (iy, wy), (ix, wx) in itertools.product(*nodes):
            pixel = images[b, fix_index(iy, height, fill_mode)]
            pixel = pixel[fix_index(ix, width, fill_mode)]
            inside = 0 <= iy < height and 0 <= ix < width
            if fill_mode == "constant" and not inside:
                pixel = np.full_like(pixel, fill_value)
            value = value + wy * wx * pixel
        out[b, y, x] = value
    return out


def _nodes(coordinate: float, interpolation: str) -> list[tuple[int, float]]:
    if interpolation == "nearest":
        rounded = np.sign(coordinate) * np.floor(abs(coordinate) + 0.5)
        return [(int(rounded), 1.0)]
    low = np.floor(coordinate)
    fraction = coordinate - low
    return [(int(low), 1.0 - fraction), (int(low) + 1, fraction)]
