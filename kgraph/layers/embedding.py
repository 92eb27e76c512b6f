"""``Embedding``: a trainable lookup table indexed by integers."""

from __future__ import annotations

import numbers
from typing import Any

from kgraph import constraints
from kgraph import dtypes
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object


def _positive_int(name: str, value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or int(value) <= 0
    ):
        raise ValueError(
            f"Embedding: `{name}` must be a positive integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


class Embedding(Layer):
    """Turns integer indices into dense vectors: row ``i`` of the
    ``embeddings`` table for index ``i``.

    Float inputs are cast to ``int32`` (as Keras does). Indices must lie in
    ``[0, input_dim)``: ``fit``, ``evaluate`` and ``predict`` check the
    arrays fed to an input that goes straight into an ``Embedding`` before
    any native code runs. The gradient reaches only the rows that were
    looked up (``take``'s gradient is a ``scatter_add``).

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: the table's initializer (``"uniform"``).
        embeddings_regularizer: a penalty on the table.
        embeddings_constraint: a constraint applied to the table after each
            optimizer update (``kgraph.constraints``).
        mask_zero: index 0 is padding: the output carries a mask (``inputs
            != 0``) that recurrent layers, pooling and losses respect.
        input_length: accepted for Keras 2 compatibility; ignored.

    Input shape:
        ``(batch_size, ...)`` integers.

    Output shape:
        ``(batch_size, ..., output_dim)``.

    Example:

    >>> layer = Embedding(3, 2, embeddings_initializer="ones")
    >>> layer([[0, 2]]).numpy().shape
    (1, 2, 2)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.input_dim = _positive_int("input_dim", input_dim)
        self.output_dim = _positive_int("output_dim", output_dim)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)

    def build(self, input_shape: Any) -> None:
        """Creates ``embeddings`` of shape ``(input_dim, output_dim)``."""
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            name="embeddings",
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Gathers the rows of ``embeddings`` at ``inputs``."""
        if not dtypes.is_int(str(inputs.dtype)):
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``inputs != 0`` with ``mask_zero``, else ``None``."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_object(
                self.embeddings_initializer, initializers
            ),
            "embeddings_regularizer": serialize_object(
                self.embeddings_regularizer, regularizers
            ),
            "embeddings_constraint": serialize_object(
                self.embeddings_constraint, constraints
            ),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
