"""Merging layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum``, ``Concatenate`` and ``Dot``; each takes a list.

As in Keras, the elementwise layers broadcast the non-batch dimensions
(aligned on the right) and inputs of lower rank get size-1 axes inserted
after the batch axis; the batch sizes must agree. The lower-case functions
(``add``, ``concatenate``, ...) build the layer and call it at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.layer import Layer


def _shown(shapes: Sequence[Sequence[int | None]]) -> str:
    return "[" + ", ".join(errors.format_shape(s) for s in shapes) + "]"


def _broadcast(
    a: tuple[int | None, ...], b: tuple[int | None, ...]
) -> tuple[int | None, ...] | None:
    """Keras's elementwise output shape of two shapes aligned on the right
    (``None`` where either is unknown), or ``None`` if they clash."""
    if len(a) < len(b):
        a, b = b, a
    merged = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b) :], b, strict=True):
        if i is None or j is None:
            merged.append(None)
        elif i == 1 or j == 1 or i == j:
            merged.append(j if i == 1 else i)
        else:
            return None
    return tuple(merged)


class _Merge(Layer):
    """Base of the merging layers: checks that the layer got a list of
    inputs, how many, and that their shapes fit."""

    min_inputs = 1
    max_inputs: int | None = None

    def build(self, input_shape: Any) -> None:
        """Checks that the layer got a list of compatible shapes."""
        self._validate(input_shape)
        self.built = True

    def _validate(self, shapes: Any) -> None:
        """Checks a list of input shapes: count, batch sizes, compatibility.

        Raises:
            ValueError: naming the layer and the shapes.
        """
        flat_shapes = (
            isinstance(shapes, list | tuple)
            and bool(shapes)
            and all(
                isinstance(s, tuple | list)
                and all(d is None or isinstance(d, int) for d in s)
                for s in shapes
            )
        )
        if not flat_shapes:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a '
                f"list of inputs. Received: input_shape={shapes}"
            )
        shapes = [tuple(s) for s in shapes]
        count = len(shapes)
        if count < self.min_inputs or (self.max_inputs and count > self.max_inputs):
            expected = (
                f"exactly {self.max_inputs}"
                if self.max_inputs == self.min_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects {expected} '
                f"inputs. Received: {count} inputs of shapes {_shown(shapes)}"
            )
        if any(len(s) == 0 for s in shapes):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) needs inputs with a '
                f"batch dimension. Received: input shapes {_shown(shapes)}"
            )
        batch_sizes = {s[0] for s in shapes} - {None}
        if len(batch_sizes) > 1:
            raise errors.ShapeError(
                f'Layer "{self.name}" ({type(self).__name__}) cannot merge tensors '
                f"with different batch sizes. Received: input shapes {_shown(shapes)}"
            )
        self._check_shapes(shapes)

    def _check_shapes(self, shapes: list[tuple[int | None, ...]]) -> None:
        """Keras's elementwise rule on the non-batch dimensions."""
        result = shapes[0][1:]
        for shape in shapes[1:]:
            merged = _broadcast(result, shape[1:])
            if merged is None:
                raise errors.ShapeError(
                    f'Layer "{self.name}" ({type(self).__name__}) needs inputs of '
                    f"compatible shapes. Received: input shapes {_shown(shapes)}"
                )
            result = merged

    def _merge(self, left: Any, right: Any) -> Any:
        raise NotImplementedError

    def _checked(self, inputs: Any) -> list[Any]:
        """Checks the call's inputs (every call, not only the first)."""
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a '
                f"list of inputs. Received: a single input of shape "
                f"{errors.format_shape(inputs.shape)}"
            )
        inputs = list(inputs)
        self._validate([tuple(t.shape) for t in inputs])
        return inputs

    def _inputs(self, inputs: Any) -> list[Any]:
        """Checks the call's inputs and brings them to one rank, inserting
        size-1 axes after the batch axis as Keras does."""
        inputs = self._checked(inputs)
        rank = max(t.ndim for t in inputs)
        expanded = []
        for tensor in inputs:
            for _ in range(rank - tensor.ndim):
                tensor = ops.expand_dims(tensor, 1)
            expanded.append(tensor)
        return expanded

    def call(self, inputs: Any) -> Any:
        """Combines the inputs pairwise, left to right."""
        return reduce(self._merge, self._inputs(inputs))


class Add(_Merge):
    """Adds a list of inputs elementwise.

    Example:

    >>> import numpy as np
    >>> Add()([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).numpy()
    array([[4., 6.]], dtype=float32)
    """

    def _merge(self, left: Any, right: Any) -> Any:
        return ops.add(left, right)


class Subtract(_Merge):
    """Subtracts the second of two inputs from the first.

    Example:

    >>> import numpy as np
    >>> Subtract()([np.array([[3.0, 4.0]]), np.array([[1.0, 1.0]])]).numpy()
    array([[2., 3.]], dtype=float32)
    """

    min_inputs = 2
    max_inputs = 2

    def _merge(self, left: Any, right: Any) -> Any:
        return ops.subtract(left, right)


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    Example:

    >>> import numpy as np
    >>> Multiply()([np.array([[2.0, 3.0]]), np.array([[4.0, 5.0]])]).numpy()
    array([[ 8., 15.]], dtype=float32)
    """

    def _merge(self, left: Any, right: Any) -> Any:
        return ops.multiply(left, right)


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs.

    Example:

    >>> import numpy as np
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    def _merge(self, left: Any, right: Any) -> Any:
        return ops.maximum(left, right)


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs.

    Example:

    >>> import numpy as np
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
    array([[1., 2.]], dtype=float32)
    """

    def _merge(self, left: Any, right: Any) -> Any:
        return ops.minimum(left, right)


class Average(_Merge):
    """The elementwise mean of a list of inputs.

    Example:

    >>> import numpy as np
    >>> Average()([np.array([[1.0, 2.0]]), np.array([[3.0, 6.0]])]).numpy()
    array([[2., 4.]], dtype=float32)
    """

    def call(self, inputs: Any) -> Any:
        """Sums and divides by the number of inputs."""
        inputs = self._inputs(inputs)
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

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"Concatenate: `axis` must be an integer. Received: axis={axis!r}"
            )
        self.axis = axis

    def _check_shapes(self, shapes: list[tuple[int | None, ...]]) -> None:
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise errors.ShapeError(
                f'Layer "{self.name}" (Concatenate) got axis={self.axis}, out of '
                f"range for inputs of rank {rank}. Received: input shapes "
                f"{_shown(shapes)}"
            )
        axis = self.axis % rank
        first = [d for i, d in enumerate(shapes[0]) if i != axis]
        for shape in shapes:
            others = [d for i, d in enumerate(shape) if i != axis]
            clash = any(
                a is not None and b is not None and a != b
                for a, b in zip(others, first, strict=False)
            )
            if len(shape) != rank or clash:
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Concatenate) requires inputs with '
                    f"matching shapes except for the concatenation axis {self.axis}. "
                    f"Received: input_shape={_shown(shapes)}"
                )

    def call(self, inputs: Any) -> Any:
        """Concatenates."""
        return ops.concatenate(self._checked(inputs), axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """The dot product of two batched inputs along ``axes`` (Keras's
    ``batch_dot``).

    The output holds the first input's axes (without the summed one), then
    the second input's (without the batch axis and the summed one); a
    result of rank 1 becomes ``(batch_size, 1)``.

    Args:
        axes: one axis for both inputs, or a pair; the batch axis 0 excluded.
        normalize: l2-normalize the inputs along ``axes`` first (cosine
            proximity), as Keras: ``x / max(norm(x), 1e-7)``.

    Example:

    >>> import numpy as np
    >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).numpy()
    array([[11.]], dtype=float32)
    """

    min_inputs = 2
    max_inputs = 2

    def __init__(
        self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, list | tuple):
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two "
                    f"elements. Received: axes={axes}"
                )
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be "
                    f"integers. Received: axes={axes}"
                )
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(
                "Invalid type for argument `axes`: it should be a list or an int. "
                f"Received: axes={axes!r}"
            )
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes: Any) -> tuple[int, int]:
        axes = self.axes if isinstance(self.axes, list | tuple) else (self.axes,) * 2
        pair = []
        for axis, shape in zip(axes, shapes, strict=True):
            if not -len(shape) <= axis < len(shape):
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Dot): axes={self.axes} is out of range '
                    f"for inputs of shapes {_shown(shapes)}"
                )
            pair.append(axis % len(shape))
        return pair[0], pair[1]

    def _check_shapes(self, shapes: list[tuple[int | None, ...]]) -> None:
        if any(len(s) < 2 for s in shapes):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dot) needs inputs of rank 2 or more (a batch '
                f"axis and a feature axis). Received: input shapes {_shown(shapes)}"
            )
        left_axis, right_axis = self._axes(shapes)
        if 0 in (left_axis, right_axis):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dot) cannot take the dot product over the '
                f"batch axis 0. Received: axes={self.axes}"
            )
        size_left, size_right = shapes[0][left_axis], shapes[1][right_axis]
        if size_left is not None and size_right is not None and size_left != size_right:
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dot) needs the dot axes to have the same size: '
                f"{size_left} (axis {left_axis} of the first input) and {size_right} "
                f"(axis {right_axis} of the second). Received: input shapes "
                f"{_shown(shapes)}"
            )

    def call(self, inputs: Any) -> Any:
        """Computes the batched dot product."""
        left, right = self._checked(inputs)
        left_axis, right_axis = self._axes([left.shape, right.shape])
        if self.normalize:
            left = _l2_normalize(left, left_axis)
            right = _l2_normalize(right, right_axis)
        return _batch_dot(self, left, right, left_axis, right_axis)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _batch_dot(layer: Layer, x: Any, y: Any, x_axis: int, y_axis: int) -> Any:
    """Keras's ``batch_dot``: moves the summed axis of ``x`` last and that
    of ``y`` to axis 1, folds the other axes to rank 3, multiplies and
    unfolds."""
    x_rank, y_rank = x.ndim, y.ndim
    if x_rank == 2:
        x = ops.expand_dims(x, 1)
        x_axis += 1
    if y_rank == 2:
        y = ops.expand_dims(y, 2)
    if x_axis != x.ndim - 1:
        x = ops.transpose(x, [i for i in range(x.ndim) if i != x_axis] + [x_axis])
    if y_axis != 1:
        y = ops.transpose(y, [0, y_axis] + [i for i in range(1, y.ndim) if i != y_axis])
    x_middle, y_trailing = tuple(x.shape[1:-1]), tuple(y.shape[2:])
    folded = (x_middle if x.ndim > 3 else ()) + (y_trailing if y.ndim > 3 else ())
    if any(d is None for d in folded):
        raise errors.ShapeError(
            f'Layer "{layer.name}" (Dot) needs the non-batch dimensions of inputs '
            "of rank 4 or more to be known. Received: input shapes "
            f"{_shown([x.shape, y.shape])}"
        )
    batch = x.shape[0] if x.shape[0] is not None else -1
    if x.ndim > 3:
        x = ops.reshape(x, (batch, math.prod(x_middle), x.shape[-1]))
    if y.ndim > 3:
        y = ops.reshape(y, (batch, y.shape[1], math.prod(y_trailing)))
    result = ops.matmul(x, y)
    if len(x_middle) > 1 or len(y_trailing) > 1:
        result = ops.reshape(result, (batch, *x_middle, *y_trailing))
    if x_rank == 2:
        return ops.squeeze(result, 1)
    if y_rank == 2:
        return ops.squeeze(result, -1)
    return result


def _l2_normalize(x: Any, axis: int) -> Any:
    """``x / max(norm(x), 1e-7)`` along ``axis``, as Keras's ``normalize``
    (written with the bound under the root, so the gradient stays finite)."""
    norm = ops.sqrt(
        ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-14)
    )
    return ops.divide(x, norm)


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Add``: ``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Subtract``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional interface to ``Concatenate``.

    Example:

    >>> import kgraph as kg
    >>> concatenate([kg.Input(shape=(2,)), kg.Input(shape=(3,))]).shape
    (None, 5)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """Functional interface to ``Dot``."""
    return Dot(axes=axes, **kwargs)(inputs)
