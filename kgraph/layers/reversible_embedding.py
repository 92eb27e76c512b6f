"""`ReversibleEmbedding`: an embedding that also maps vectors back to
logits over its vocabulary (tied input and output embeddings)."""

from __future__ import annotations

from typing import Any

from kgraph import dtypes
from kgraph import ops
from kgraph.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An `Embedding` whose ``call(x, reverse=True)`` projects vectors back
    to logits over the vocabulary, as language models' output layers do.

    Forward, it is an `Embedding`. In reverse, ``x`` of shape
    ``(..., output_dim)`` becomes ``x @ embeddings.T`` (``tie_weights=True``)
    or ``x @ reverse_embeddings`` (a separate ``(output_dim, input_dim)``
    weight), of shape ``(..., input_dim)``; with ``logit_soft_cap``, the
    logits are ``tanh(logits / cap) * cap``.

    Args:
        input_dim: The vocabulary's size.
        output_dim: The embedding's size.
        tie_weights: Whether reverse uses the transposed embeddings.
        embeddings_initializer: Initializer of both weights.
        embeddings_regularizer: Regularizer of the embeddings.
        embeddings_constraint: Constraint of the embeddings.
        mask_zero: Whether index 0 is padding (forward calls only).
        reverse_dtype: The dtype reverse computes in (``None`` keeps it).
        logit_soft_cap: Soft cap of the reverse logits, or ``None``.
        **kwargs: Base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = ReversibleEmbedding(10, 3)
    >>> vectors = layer(np.array([[1, 2]]))
    >>> layer(vectors, reverse=True).shape
    (1, 2, 10)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: str | None = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any) -> None:
        """Creates ``embeddings`` and, untied, ``reverse_embeddings``."""
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                (self.output_dim, self.input_dim),
                self.embeddings_initializer,
                name="reverse_embeddings",
            )

    def call(self, inputs: Any, reverse: bool = False) -> Any:
        """Embeds indices, or (``reverse=True``) maps vectors to logits."""
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f'Layer "{self.name}" (ReversibleEmbedding) reverses vectors of size '
                f"{self.output_dim}. Received: inputs of shape {tuple(inputs.shape)}"
            )
        kernel = (
            ops.transpose(self.embeddings)
            if self.tie_weights
            else self.reverse_embeddings
        )
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The padding mask of forward calls (integer indices) only."""
        if not dtypes.is_int(str(inputs.dtype)):
            return None
        return super().compute_mask(inputs, mask)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
