"""``Input`` and ``InputLayer``: the symbolic entry points of a model.

An ``Input`` is a ``KerasTensor``: a type and the ``InputLayer`` call that
made it, in no graph. Layers called on it record their calls; a ``Model``
walks them back from its outputs and traces them into a graph of its own,
where each input is a placeholder named after its input layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.layers.layer import Layer
from kgraph.ops.history import CallNode
from kgraph.tensor import KerasTensor


class InputLayer(Layer):
    """The layer behind ``Input``: it owns the placeholder of a model input.

    Args:
        shape: the input shape without the batch dimension.
        batch_size: an optional fixed batch size.
        dtype: the input's dtype.
        batch_shape: the shape with the batch dimension, instead of
            ``shape`` and ``batch_size``.
        name: the input's name (default ``input_layer``, numbered).

    Example:

    >>> InputLayer(batch_shape=(None, 3)).output.shape
    (None, 3)
    """

    def __init__(
        self,
        shape: Sequence[int | None] | int | None = None,
        batch_size: int | None = None,
        dtype: str | None = None,
        batch_shape: Sequence[int | None] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time. "
                f"Received: shape={shape}, batch_shape={batch_shape}"
            )
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            if not batch_shape:
                raise ValueError(
                    "`batch_shape` needs at least the batch dimension. "
                    f"Received: batch_shape={batch_shape}"
                )
            if batch_size is not None and batch_shape[0] != batch_size:
                raise ValueError(
                    "`batch_size` and `batch_shape[0]` disagree. Received: "
                    f"batch_size={batch_size}, batch_shape={batch_shape}"
                )
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if shape is None:
            raise ValueError(
                f'InputLayer "{self.name}" needs a `shape` or a `batch_shape`. '
                "Received: shape=None"
            )
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        for d in (batch_size, *shape):
            if d is not None and (
                isinstance(d, bool) or not isinstance(d, int) or d < 0
            ):
                raise errors.ShapeError(
                    "Input shape dimensions must be non-negative ints or None. "
                    f"Received: shape={shape}, batch_size={batch_size}"
                )
        self.shape = shape
        self.batch_size = batch_size
        self.built = True
        kind = dtypes.canonical(dtype or "float32")
        tensor = KerasTensor(TensorType((batch_size, *shape), kind), name=self.name)
        CallNode(self, (), {}, tensor)

    @property
    def batch_shape(self) -> tuple[int | None, ...]:
        """The input shape with the batch dimension."""
        return (self.batch_size, *self.shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "name": self.name,
        }


def is_input(layer: Any) -> bool:
    """Whether ``layer`` is an input layer (a model input's maker)."""
    return isinstance(layer, InputLayer)


def Input(
    shape: Sequence[int | None] | int | None = None,
    batch_size: int | None = None,
    name: str | None = None,
    dtype: str | None = None,
    batch_shape: Sequence[int | None] | None = None,
) -> KerasTensor:
    """Returns a symbolic tensor that stands for a model input.

    Args:
        shape: the input shape without the batch dimension, e.g. ``(784,)``.
        batch_size: an optional fixed batch size.
        name: the input's name.
        dtype: the input's dtype (``"float32"``).
        batch_shape: the shape with the batch dimension, instead of
            ``shape`` and ``batch_size``.

    Returns:
        A ``KerasTensor`` of shape ``(batch_size, *shape)``.

    Example:

    >>> x = Input(shape=(784,))
    >>> x.shape
    (None, 784)
    """
    return InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        batch_shape=batch_shape,
        name=name,
    ).output
