"""``Input`` and ``InputLayer``: the symbolic entry points of a model.

Every ``Input`` adds a placeholder to one trace graph shared by the session;
layers called on it add their nodes there, and a ``Model`` extracts the part
between its inputs and outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.ir.graph import Graph
from kgraph.layers.layer import Layer
from kgraph.tensor import SymbolicTensor

_TRACE = Graph(name="trace")


def trace_graph() -> Graph:
    """Returns the session's trace graph."""
    return _TRACE


def reset_trace() -> None:
    """Starts a new trace graph (``kg.utils.clear_session``)."""
    global _TRACE
    _TRACE = Graph(name="trace")


class InputLayer(Layer):
    """The layer behind ``Input``: it owns the placeholder of a model input.

    Args:
        shape: the input shape without the batch dimension.
        batch_size: an optional fixed batch size.
        dtype: the input's dtype.
        name: the input's name (default ``input_layer``, numbered).
    """

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("batch_shape", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is None:
            raise ValueError(
                f'InputLayer "{self.name}" needs a shape. Received: shape=None'
            )
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        if any(d is not None and (not isinstance(d, int) or d < 0) for d in shape):
            raise errors.ShapeError(
                f"Input shape dimensions must be non-negative ints or None. "
                f"Received: shape={shape}"
            )
        self.shape = shape
        self.batch_size = batch_size
        self.built = True
        with ops.layer_scope(self.name):
            self.output = ops.placeholder(
                trace_graph(),
                self.name,
                (batch_size, *shape),
                dtypes.canonical(dtype or "float32"),
            )
        self._calls.append(([], [self.output]))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "batch_shape": (self.batch_size, *self.shape),
            "dtype": self.dtype,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputLayer:
        """Creates the layer from ``get_config``'s output."""
        config = dict(config)
        batch_shape = config.pop("batch_shape")
        return cls(shape=batch_shape[1:], batch_size=batch_shape[0], **config)


def Input(
    shape: Sequence[int | None] | int | None = None,
    batch_size: int | None = None,
    name: str | None = None,
    dtype: str | None = None,
) -> SymbolicTensor:
    """Returns a symbolic tensor that stands for a model input.

    Args:
        shape: the input shape without the batch dimension, e.g. ``(784,)``.
        batch_size: an optional fixed batch size.
        name: the input's name.
        dtype: the input's dtype (``"float32"``).

    Returns:
        A ``SymbolicTensor`` of shape ``(batch_size, *shape)``.

    Example:

    >>> x = Input(shape=(784,))
    >>> x.shape
    (None, 784)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output
