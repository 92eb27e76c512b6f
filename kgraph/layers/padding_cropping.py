"""Zero padding and cropping of the spatial axes: ``ZeroPadding1D/2D/3D`` and
``Cropping1D/2D/3D``.

Each takes, per spatial axis, how many elements to add (``ops.pad``, zeros)
or remove (``ops.strided_slice``) at the start and at the end, given as
Keras takes them: an int for every side, one int per axis for both its
sides, or one ``(start, end)`` pair per axis. Both data formats work (the
spatial axes are after the channels with ``"channels_first"``); the 1-D
cropping layer has no data format, as in Keras.
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import is_int
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer

Pairs = tuple[tuple[int, int], ...]
_FORMATS = ("channels_last", "channels_first")


def _pair(value: Any, name: str, where: str) -> tuple[int, int]:
    values = (value, value) if is_int(value) else value
    try:
        result = tuple(values)
    except TypeError:
        result = ()
    if len(result) != 2 or not all(is_int(v) and v >= 0 for v in result):
        raise ValueError(
            f"{where}: the {name} must be a non-negative integer or a tuple of 2 "
            f"non-negative integers. Received: {name}={value!r}"
        )
    return int(result[0]), int(result[1])


def standardize_pairs(value: Any, rank: int, name: str, where: str) -> Pairs:
    """Keras's amounts per spatial axis as one ``(start, end)`` pair each.

    Args:
        value: an int (every side), ``rank`` ints (both sides of each axis)
            or ``rank`` pairs; for ``rank`` 1 also one pair.
        rank: the number of spatial axes.
        name: the argument's name (``"padding"`` or ``"cropping"``).
        where: the layer, for messages.

    Returns:
        ``rank`` pairs of non-negative ints.

    Raises:
        ValueError: naming the layer and the argument otherwise.

    Example:

    >>> standardize_pairs((1, 2), 2, "padding", "ZeroPadding2D")
    ((1, 1), (2, 2))
    """
    if rank == 1:
        return (_pair(value, name, where),)
    if is_int(value):
        return tuple(_pair(value, name, where) for _ in range(rank))
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"{where}: `{name}` should be an int, a tuple of {rank} ints or a "
            f"tuple of {rank} tuples of 2 ints. Received: {name}={value!r}"
        )
    return tuple(_pair(v, f"entry {i} of {name}", where) for i, v in enumerate(value))


def _data_format(value: Any, where: str) -> str:
    data_format = value or "channels_last"
    if data_format not in _FORMATS:
        raise ValueError(
            f"{where}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={value!r}"
        )
    return data_format


class _SpatialEdges(Layer):
    """Pads or crops the spatial axes of a rank ``rank + 2`` input."""

    name_of_amount = "padding"

    def __init__(
        self, rank: int, amount: Any, data_format: str | None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        where = describe(self)
        self.rank = rank
        self.data_format = _data_format(data_format, where)
        self.pairs = standardize_pairs(amount, rank, self.name_of_amount, where)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _spatial_axes(self) -> range:
        first = 2 if self.data_format == "channels_first" else 1
        return range(first, first + self.rank)

    def _widths(self) -> list[tuple[int, int]]:
        """A pair per input axis: the layer's on the spatial axes."""
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(self._spatial_axes(), self.pairs, strict=True):
            widths[axis] = pair
        return widths

    def build(self, input_shape: Any) -> None:
        """Checks the input's rank."""
        self.input_spec.check(self, input_shape)
        self.built = True

    def _amount_config(self) -> Any:
        return self.pairs[0] if self.rank == 1 else self.pairs

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            self.name_of_amount: self._amount_config(),
            "data_format": self.data_format,
        }


class _ZeroPadding(_SpatialEdges):
    def call(self, inputs: Any) -> Any:
        """Pads the spatial axes with zeros."""
        return ops.pad(inputs, self._widths())


class _Cropping(_SpatialEdges):
    name_of_amount = "cropping"

    def call(self, inputs: Any) -> Any:
        """Removes the given numbers of elements from the spatial axes."""
        widths = self._widths()
        for axis in self._spatial_axes():
            size = inputs.shape[axis]
            if size is not None and sum(widths[axis]) >= size:
                raise ValueError(
                    f"{describe(self)}: values in `cropping` must be smaller than "
                    f"the corresponding spatial dimension of the input. Received: "
                    f"input_shape={tuple(inputs.shape)}, cropping={self.pairs}"
                )
        starts = [low if low else None for low, _ in widths]
        stops = [-high if high else None for _, high in widths]
        return ops.strided_slice(inputs, starts, stops, [1] * len(widths))


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the steps axis.

    Args:
        padding: an int (both ends) or a pair ``(start, end)``.
        data_format: ``"channels_last"`` (default: ``(batch, steps,
            channels)``) or ``"channels_first"``.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, start + steps + end, channels)``.

    Example:

    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1), "float32")).numpy()[0, :, 0]
    array([0., 1., 1., 0., 0.], dtype=float32)
    """

    def __init__(
        self, padding: Any = 1, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(1, padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around an image.

    Args:
        padding: an int (every side), a pair ``(rows, columns)`` (both sides
            of each) or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch_size, height, width, channels)`` (channels last).

    Output shape:
        ``(batch_size, top + height + bottom, left + width + right,
        channels)``.

    Example:

    >>> import numpy as np
    >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 2, 2, 1), "float32")).shape
    (1, 3, 4, 1)
    """

    def __init__(
        self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(2, padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around a volume.

    Args:
        padding: an int (every side), a triple (both sides of each axis) or
            three ``(start, end)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)`` (channels last).

    Output shape:
        Each spatial axis grown by its pair's sum.

    Example:

    >>> import numpy as np
    >>> ZeroPadding3D(1)(np.ones((1, 2, 2, 2, 1), "float32")).shape
    (1, 4, 4, 4, 1)
    """

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(3, padding, data_format, **kwargs)


class Cropping1D(_Cropping):
    """Removes steps at the start and end of a sequence.

    Args:
        cropping: an int (both ends) or a pair ``(start, end)``.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, steps - start - end, channels)``.

    Raises:
        ValueError: when the cropping leaves no steps.

    Example:

    >>> import numpy as np
    >>> x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    >>> Cropping1D((1, 2))(x).numpy()[0, :, 0]
    array([1., 2.], dtype=float32)
    """

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(1, cropping, None, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (no data format, as Keras)."""
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges of an image.

    Args:
        cropping: an int (every side), a pair ``(rows, columns)`` (both
            sides of each) or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch_size, height, width, channels)`` (channels last).

    Output shape:
        ``(batch_size, height - top - bottom, width - left - right,
        channels)``.

    Raises:
        ValueError: when the cropping leaves nothing of an axis.

    Example:

    >>> import numpy as np
    >>> Cropping2D(((1, 0), (1, 1)))(np.ones((1, 4, 4, 2), "float32")).shape
    (1, 3, 2, 2)
    """

    def __init__(
        self,
        cropping: Any = ((0, 0), (0, 0)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(2, cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes elements at the edges of a volume.

    Args:
        cropping: an int (every side), a triple (both sides of each axis) or
            three ``(start, end)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)`` (channels last).

    Output shape:
        Each spatial axis shrunk by its pair's sum.

    Raises:
        ValueError: when the cropping leaves nothing of an axis.

    Example:

    >>> import numpy as np
    >>> Cropping3D(1)(np.ones((1, 3, 4, 5, 1), "float32")).shape
    (1, 1, 2, 3, 1)
    """

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(3, cropping, data_format, **kwargs)
