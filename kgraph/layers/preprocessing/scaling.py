"""``Rescaling`` and ``Normalization``: affine maps of the input, the second
with statistics that ``adapt`` computes from data (Keras's formulas)."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.ops import builder
from kgraph.tensor import SymbolicTensor

# Keras's ``backend.epsilon()``: the floor of the standard deviation.
EPSILON = 1e-7


def _as_float(x: Any, dtype: str) -> Any:
    """The input as a tensor of the layer's float dtype."""
    x = ops.as_tensor(x)
    return x if x.dtype == dtype else ops.cast(x, dtype)


def _plain(value: Any) -> Any:
    """A number or an array-like as a float or a (nested) list of floats."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    array = np.asarray(value, dtype="float64")
    return float(array) if array.ndim == 0 else array.tolist()


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``, in training and
    inference; integer inputs become floats.

    Args:
        scale: a float, or one per channel (a list).
        offset: a float, or one per channel (``0.0``).
        **kwargs: base layer arguments (``name``, ``dtype``).

    Example:

    >>> Rescaling(1.0 / 255)([[0, 51, 255]]).numpy().round(3)
    array([[0. , 0.2, 1. ]], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                _plain(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"Rescaling: `{name}` must be a number or a list of numbers. "
                    f"Received: {name}={value!r}"
                ) from None
        self.scale = _plain(scale)
        self.offset = _plain(offset)

    def call(self, inputs: Any) -> Any:
        """Returns ``inputs * scale + offset``."""
        x = _as_float(inputs, self.dtype)
        scale = np.asarray(self.scale, dtype=self.dtype)
        offset = np.asarray(self.offset, dtype=self.dtype)
        return ops.add(ops.multiply(x, scale), offset)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _axes_tuple(axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    items = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in items):
        raise ValueError(
            "Normalization: `axis` must be an int, a list of ints or None. "
            f"Received: axis={axis!r}"
        )
    return tuple(int(a) for a in items)


def _first_batch(data: Any) -> Any:
    """An element of an iterable: the inputs of an ``(x, y)`` pair."""
    if isinstance(data, tuple | list) and data and not np.isscalar(data[0]):
        return data[0]
    return data


class Normalization(Layer):
    """Shifts and scales the inputs to mean 0 and variance 1 per position
    along ``axis``: ``(x - mean) / max(sqrt(variance), 1e-7)`` (with
    ``invert=True``, ``mean + x * max(sqrt(variance), 1e-7)``).

    The statistics are given (``mean``, ``variance``) or computed from data
    by ``adapt``; adapted statistics are the non-trainable weights ``mean``,
    ``variance`` and ``count``, as Keras names them, so Keras's files load.

    Args:
        axis: the axis or axes that keep their own statistics (``-1``: one
            per feature); ``None`` for one mean and variance for everything.
        mean: the mean to use instead of ``adapt``'s (broadcast against the
            kept axes).
        variance: the variance, given with ``mean``.
        invert: whether to undo the normalization instead.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Raises:
        ValueError: for only one of ``mean`` and ``variance``, shapes that
            differ, or a ``mean`` of higher rank than ``axis`` has axes.

    Example:

    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer([[1.0, 20.0]]).numpy()
    array([[0., 0.]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = _axes_tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be "
                f"set. Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have "
                    f"the same shape. Received: mean shape {np.shape(mean)} and "
                    f"variance shape {np.shape(variance)}"
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be less than or equal to the number of "
                    f"axes ({len(self.axis)}). Received: mean shape "
                    f"{np.shape(mean)} for axis {self.axis}"
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self._keep_axis: tuple[int, ...] = ()
        self._reduce_axis: tuple[int, ...] = ()
        self._broadcast_shape: tuple[int, ...] = ()
        self._build_input_shape: tuple[int | None, ...] | None = None

    def build(self, input_shape: Any) -> None:
        """Works out the kept axes and, without given statistics, creates the
        weights ``mean``, ``variance`` and ``count``."""
        shape = tuple(input_shape)
        rank = len(shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f'Layer "{self.name}" (Normalization): all `axis` values must be in '
                f"the range [-ndim, ndim). Received inputs with ndim={rank}, while "
                f"axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(a % rank for a in self.axis))
        for a in self._keep_axis:
            if shape[a] is None:
                raise ValueError(
                    f'Layer "{self.name}" (Normalization): all `axis` values to be '
                    f"kept must have a known size. Received axis={self.axis}, "
                    f"inputs.shape={shape}, with unknown axis at index {a}"
                )
        self._reduce_axis = tuple(a for a in range(rank) if a not in self._keep_axis)
        self._broadcast_shape = tuple(
            shape[a] if a in self._keep_axis else 1 for a in range(rank)
        )
        self._build_input_shape = shape
        if self.input_mean is None:
            kept = tuple(shape[a] for a in self._keep_axis)
            self.adapt_mean = self.add_weight(
                name="mean", shape=kept, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=kept, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count",
                shape=(),
                dtype="int32",
                initializer="zeros",
                trainable=False,
            )
        self.built = True

    # -- statistics -------------------------------------------------------------

    def _given(self, which: Any) -> np.ndarray:
        """A given ``mean`` or ``variance`` broadcast as Keras does: its
        trailing axes are the last kept axes."""
        value = np.asarray(which, dtype=self.dtype)
        rank = len(self._broadcast_shape)
        if value.ndim:
            expanded = [1] * rank
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return np.broadcast_to(value, self._broadcast_shape)

    def _statistic(self, variable: Any, like: Any) -> Any:
        """An adapted statistic shaped to broadcast against the input; a
        node of the input's graph when the call is symbolic."""
        if isinstance(like, SymbolicTensor):
            value: Any = SymbolicTensor(
                like.graph, builder.variable_node(like.graph, variable)
            )
        else:
            value = ops.as_tensor(np.asarray(variable.value))
        return ops.reshape(value, self._broadcast_shape)

    def call(self, inputs: Any) -> Any:
        """Normalizes (or, with ``invert``, denormalizes) the inputs."""
        x = _as_float(inputs, self.dtype)
        if self.input_mean is not None:
            mean: Any = self._given(self.input_mean)
            variance: Any = self._given(self.input_variance)
        else:
            mean = self._statistic(self.adapt_mean, x)
            variance = self._statistic(self.adapt_variance, x)
        deviation = ops.maximum(ops.sqrt(variance), EPSILON)
        if self.invert:
            return ops.add(mean, ops.multiply(x, deviation))
        return ops.divide(ops.subtract(x, mean), deviation)

    def adapt(self, data: Any) -> None:
        """Computes the mean and variance of the data, per position along the
        kept axes, and stores them in the layer's weights.

        Args:
            data: a NumPy array (or a kgraph tensor), or an iterable of
                batches (a list of arrays, a generator, a ``PyDataset``; an
                element that is an ``(x, y)`` pair contributes ``x``). Batches
                are combined exactly as Keras does.

        Raises:
            ValueError: when the layer has given statistics, when the data
                has no batch, or when its kept axes differ from the layer's.
            TypeError: for data that is neither an array nor an iterable.
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Layer "{self.name}" (Normalization) was given `mean` and '
                "`variance`; it cannot be adapted. Received: adapt() on a layer "
                "with fixed statistics"
            )
        if hasattr(data, "shape") and hasattr(data, "dtype"):
            array = np.asarray(data)
            self._check_or_build(array.shape)
            mean = np.mean(array, axis=self._reduce_axis)
            variance = np.var(array, axis=self._reduce_axis)
        elif isinstance(data, Iterable):
            mean, variance = self._adapt_batches(data)
        else:
            raise TypeError(
                "Normalization.adapt supports NumPy arrays, tensors and iterables "
                f"of batches. Received: data of type {type(data).__name__}"
            )
        self.adapt_mean.assign(np.asarray(mean, dtype=self.dtype))
        self.adapt_variance.assign(np.asarray(variance, dtype=self.dtype))

    def _check_or_build(self, shape: tuple[int, ...]) -> None:
        if not self.built:
            self.build(shape)
            return
        assert self._build_input_shape is not None
        if len(shape) != len(self._build_input_shape) or any(
            shape[a] != self._build_input_shape[a] for a in self._keep_axis
        ):
            raise ValueError(
                f'Layer "{self.name}" (Normalization) was built with input_shape='
                f"{self._build_input_shape}, but adapt() is being called with data "
                f"with an incompatible shape, data.shape={shape}"
            )

    def _adapt_batches(self, data: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Keras's running combination of per-batch means and variances."""
        batches = iter(data)
        first = next(batches, None)
        if first is None:
            raise ValueError(
                "adapt() received an empty iterable (no batches). Expected at least "
                "one batch. Received: an empty iterable"
            )
        total_mean: np.ndarray | None = None
        total_var: np.ndarray | None = None
        total_count = 0
        for element in itertools.chain([first], batches):
            batch = np.asarray(_first_batch(element), dtype=self.dtype)
            self._check_or_build(batch.shape)
            batch_mean = np.mean(batch, axis=self._reduce_axis)
            batch_var = np.var(batch, axis=self._reduce_axis)
            count = math.prod(batch.shape[a] for a in self._reduce_axis)
            if total_mean is None or total_var is None:
                total_mean = np.zeros_like(batch_mean)
                total_var = np.zeros_like(batch_var)
            total_count += count
            weight = np.float32(float(count) / total_count)
            existing = np.float32(1.0) - weight
            new_mean = total_mean * existing + batch_mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            total_mean = new_mean
        assert total_mean is not None and total_var is not None
        return total_mean, total_var

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": None if self.input_mean is None else _plain(self.input_mean),
            "variance": (
                None if self.input_variance is None else _plain(self.input_variance)
            ),
        }
