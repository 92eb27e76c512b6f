"""``GroupedQueryAttention`` (Keras's ``GroupQueryAttention``): query heads
share fewer key and value heads."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.attention_base import AttentionBase


class GroupedQueryAttention(AttentionBase):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads``
    query heads attend in groups to ``num_key_value_heads`` key and value
    heads, each shared by ``num_query_heads // num_key_value_heads`` query
    heads. Its projections are ``EinsumDense`` sublayers ``query``, ``key``,
    ``value`` and ``attention_output``, shaped as Keras's.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key and value heads (divides
            ``num_query_heads``).
        dropout: the dropout rate on the attention weights.
        use_bias: whether the projections have biases.
        sliding_window: lets each query step attend only to key steps
            closer than this.
        flash_attention: accepted for Keras compatibility.
        kernel_initializer: the projections' kernel initializer.
        bias_initializer: the projections' bias initializer.
        kernel_regularizer: a penalty on the projections' kernels.
        bias_regularizer: a penalty on the projections' biases.
        activity_regularizer: a penalty on the projections' outputs.
        kernel_constraint: a constraint applied to the projections' kernels
            after each optimizer update.
        bias_constraint: a constraint applied to their biases.
        use_gate: gate the attention output with a sigmoid projection of
            the query (sublayer ``gate``).
        seed: the dropout's seed.
        **kwargs: the base layer's arguments.

    Call arguments:
        query: ``(B, T, dim)``; value: ``(B, S, dim)``; key: optional
        ``(B, S, dim)``; the masks, ``return_attention_scores``,
        ``training`` and ``use_causal_mask`` as in ``MultiHeadAttention``.

    Returns:
        The output ``(B, T, dim)``, and the attention weights
        ``(B, num_query_heads, T, S)`` when asked.

    Raises:
        ValueError: when ``num_key_value_heads`` does not divide
            ``num_query_heads``.

    Example:

    >>> import numpy as np
    >>> layer = GroupedQueryAttention(4, num_query_heads=4, num_key_value_heads=2)
    >>> x = np.ones((1, 3, 8), "float32")
    >>> layer(x, x).shape
    (1, 3, 8)
    """

    # Keras exports the class as GroupQueryAttention and files name it so.
    keras_class_name = "GroupQueryAttention"
    _keras_group_prefix = "_"

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. "
                f"Received: num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}"
            )
        self._init_common(
            dropout,
            use_bias,
            sliding_window,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            use_gate,
            seed,
        )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self._flash_attention = flash_attention
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._built_heads = False

    @property
    def dropout(self) -> float:
        """The dropout rate on the attention weights."""
        return self._dropout_rate

    @property
    def use_bias(self) -> bool:
        """Whether the projections have biases."""
        return self._use_bias

    def build(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        """Creates the projections (the value's shape is needed; without
        it, the first call builds)."""
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        self.feature_dim = query_shape[-1]
        query_heads = (None, self.num_query_heads, self.head_dim)
        shared_heads = (None, self.num_key_value_heads, self.head_dim)
        self._query_dense = self._dense(
            "bqm,muh->bquh", query_heads, "uh", "query", query_shape
        )
        self._key_dense = self._dense(
            "bkm,mvh->bkvh", shared_heads, "vh", "key", key_shape
        )
        if self._use_gate:
            self._gate_dense = self._dense(
                "bqm,muh->bquh",
                query_heads,
                "uh",
                "gate",
                query_shape,
                activation="sigmoid",
            )
        self._value_dense = self._dense(
            "bkm,mvh->bkvh", shared_heads, "vh", "value", value_shape
        )
        self._softmax_and_dropout(-1)
        self._output_dense = self._dense(
            "bquh,uhm->bqm",
            (None, self.feature_dim),
            "m",
            "attention_output",
            (None, None, self.num_query_heads, self.head_dim),
        )
        self._built_heads = True

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        """Attends from ``query`` to ``key``/``value``."""
        masks = self._masks_of(query, value, key, (query_mask, value_mask, key_mask))
        if key is None:
            key = value
        if not self._built_heads:
            self.build(query.shape, value.shape, key.shape)
        mask = self._attention_mask(
            query, value, *masks, attention_mask, use_causal_mask
        )
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        groups = np.repeat(np.arange(self.num_key_value_heads), self.num_repeats)
        key = ops.take(self._key_dense(key), groups, axis=2)
        value = ops.take(self._value_dense(value), groups, axis=2)
        fused = not (
            self._dropout_rate > 0.0 or return_attention_scores or query.ndim != 4
        )
        output, scores = self._attend(
            query,
            key,
            value,
            mask,
            self._inverse_sqrt_head_dim,
            ("bquh,bkuh->buqk", "buqk,bkuh->bquh"),
            key_first=False,
            mask_axis=-3,
            training=training,
            fused=fused,
        )
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query's mask."""
        return mask

    def compute_output_shape(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> tuple[Any, ...]:
        """The query's shape."""
        return tuple(query_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            **self._common_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
        }


GroupQueryAttention = GroupedQueryAttention
