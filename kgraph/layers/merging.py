"""Merging layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum``, ``Concatenate`` and ``Dot``; each takes a list."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.layer import Layer


class _Merge(Layer):
    """Base of the elementwise merging layers."""

    min_inputs = 2
    max_inputs: int | None = None

    def build(self, input_shape: Any) -> None:
        """Checks that the layer got a list of compatible shapes."""
        if not isinstance(input_shape, list | tuple) or not all(
            isinstance(s, tuple) for s in input_shape
        ):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a '
                f"list of inputs. Received: input_shape={input_shape}"
            )
        count = len(input_shape)
        if count < self.min_inputs or (self.max_inputs and count > self.max_inputs):
            expected = (
                f"exactly {self.max_inputs}"
                if self.max_inputs == self.min_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects {expected} '
                f"inputs. Received: {count} inputs"
            )
        self._check_shapes(input_shape)
        self.built = True

    def _check_shapes(self, shapes: Any) -> None:
        try:
            ops.broadcast_shapes_check(shapes)
        except errors.ShapeError:
            shown = ", ".join(errors.format_shape(s) for s in shapes)
            raise errors.ShapeError(
                f'Layer "{self.name}" ({type(self).__name__}) needs inputs of '
                f"compatible shapes. Received: {shown}"
            ) from None

    def _merge(self, left: Any, right: Any) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        """Combines the inputs pairwise, left to right."""
        return reduce(self._merge, inputs)


def _pairwise(
    fn: Callable[[Any, Any], Any], doc: str
) -> Callable[[Any, Any, Any], Any]:
    def merge(self: Any, left: Any, right: Any) -> Any:
        return fn(left, right)

    merge.__doc__ = doc
    return merge


class Add(_Merge):
    """Adds a list of inputs elementwise.

    Example:

    >>> import numpy as np
    >>> Add()([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).numpy()
    array([4., 6.], dtype=float32)
    """

    _merge = _pairwise(ops.add, "Adds two inputs.")


class Subtract(_Merge):
    """Subtracts the second of two inputs from the first."""

    max_inputs = 2
    _merge = _pairwise(ops.subtract, "Subtracts two inputs.")


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise."""

    _merge = _pairwise(ops.multiply, "Multiplies two inputs.")


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs."""

    _merge = _pairwise(ops.maximum, "The maximum of two inputs.")


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs."""

    _merge = _pairwise(ops.minimum, "The minimum of two inputs.")


class Average(_Merge):
    """The elementwise mean of a list of inputs."""

    def call(self, inputs: Any) -> Any:
        """Sums and divides by the number of inputs."""
        return ops.divide(reduce(ops.add, inputs), float(len(inputs)))


class Concatenate(_Merge):
    """Concatenates a list of inputs along ``axis``.

    Args:
        axis: the axis to join along (default -1).

    Example:

    >>> import numpy as np
    >>> Concatenate()([np.array([[1.0]]), np.array([[2.0, 3.0]])]).numpy()
    array([[1., 2., 3.]], dtype=float32)
    """

    min_inputs = 1

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def _check_shapes(self, shapes: Any) -> None:
        rank = len(shapes[0])
        axis = self.axis % rank if rank else 0
        for shape in shapes:
            others = [d for i, d in enumerate(shape) if i != axis]
            first = [d for i, d in enumerate(shapes[0]) if i != axis]
            clash = any(
                a is not None and b is not None and a != b
                for a, b in zip(others, first, strict=False)
            )
            if len(shape) != rank or clash:
                shown = ", ".join(errors.format_shape(s) for s in shapes)
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Concatenate) requires inputs with '
                    f"matching shapes except for the concatenation axis {self.axis}. "
                    f"Received: input_shape={shown}"
                )

    def call(self, inputs: Any) -> Any:
        """Concatenates."""
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """The dot product of two batched inputs along ``axes``.

    Args:
        axes: one axis for both inputs, or a pair; the batch axis 0 excluded.
        normalize: l2-normalize the inputs along ``axes`` first (cosine
            proximity).

    Example:

    >>> import numpy as np
    >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).numpy()
    array([[11.]], dtype=float32)
    """

    max_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axes = axes
        self.normalize = normalize

    def _check_shapes(self, shapes: Any) -> None:
        left_axis, right_axis = self._axes(shapes)
        size_left, size_right = shapes[0][left_axis], shapes[1][right_axis]
        if size_left is not None and size_right is not None and size_left != size_right:
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dot) needs the dot axes to have the same size: '
                f"{size_left} and {size_right}. Received: input_shape={list(shapes)}"
            )

    def _axes(self, shapes: Any) -> tuple[int, int]:
        axes = self.axes if isinstance(self.axes, list | tuple) else (self.axes,) * 2
        pair = tuple(a % len(s) for a, s in zip(axes, shapes, strict=True))
        if 0 in pair or any(len(s) not in (2, 3) for s in shapes):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dot) supports inputs of rank 2 or 3 and '
                f"non-batch axes. Received: axes={self.axes}, shapes={list(shapes)}"
            )
        return pair  # type: ignore[return-value]

    def call(self, inputs: Any) -> Any:
        """Computes the batched dot product."""
        left, right = inputs
        left_axis, right_axis = self._axes([left.shape, right.shape])
        if self.normalize:
            left = _l2_normalize(left, left_axis)
            right = _l2_normalize(right, right_axis)
        if left.ndim == 3 and left_axis == 1:
            left = ops.swapaxes(left, 1, 2)
        if left.ndim == 2:
            left = ops.expand_dims(left, 1)
        if right.ndim == 3 and right_axis == 2:
            right = ops.swapaxes(right, 1, 2)
        if right.ndim == 2:
            right = ops.expand_dims(right, 2)
        result = ops.matmul(left, right)
        squeeze = [axis for axis in (1, 2) if inputs[axis - 1].ndim == 2]
        if len(squeeze) == 2:
            return ops.reshape(result, (-1, 1))
        return ops.squeeze(result, squeeze) if squeeze else result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: Any, axis: int) -> Any:
    norm = ops.sqrt(
        ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12)
    )
    return ops.divide(x, norm)
