"""``MultiHeadAttention``: Keras's multi-head attention, its projections
``EinsumDense`` sublayers named and shaped as Keras's (so its weights load)."""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from typing import Any

from kgraph import ops
from kgraph.layers.attention_base import AttentionBase


def _letters(count: int, start: int = 0) -> str:
    return string.ascii_lowercase[start : start + count]


def projection_equation(free: int, bound: int, out: int) -> tuple[str, str, int]:
    """The ``einsum`` of a projection: ``free`` kept input axes, ``bound``
    contracted ones, ``out`` new ones (Keras's layout); returns the
    equation, the bias axes and the output rank."""
    kept, contracted, new = (
        _letters(free),
        _letters(bound, free),
        _letters(out, free + bound),
    )
    equation = f"{kept}{contracted},{contracted}{new}->{kept}{new}"
    return equation, new, free + out


def attention_equations(rank: int, axes: Sequence[int]) -> tuple[str, str, int]:
    """The score and combination equations of heads of ``rank`` attending
    over ``axes`` (Keras's layout: ``(batch, ..., heads, channels)``);
    returns them and the rank of the scores."""
    target = _letters(rank)
    batch = [i for i in range(rank) if i not in axes and i != rank - 1]
    source, extra = [], rank
    for i in range(rank):
        if i in batch or i == rank - 1:
            source.append(target[i])
        else:
            source.append(_letters(1, extra))
            extra += 1
    product = "".join(
        [target[i] for i in batch]
        + [target[i] for i in axes]
        + [source[i] for i in axes]
    )
    src = "".join(source)
    return f"{src},{target}->{product}", f"{product},{src}->{target}", len(product)


def _positive(layer: str, name: str, value: Any, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        expected = "a positive integer or `None`" if optional else "a positive integer"
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected {expected}. "
            f"Received: {name}={value!r}"
        )


class MultiHeadAttention(AttentionBase):
    """Multi-head attention ("Attention is all you need", Vaswani et al.).

    The query, key and value are projected to ``num_heads`` heads
    (``EinsumDense`` sublayers ``query``, ``key`` and ``value``); each
    query step attends to the key steps with
    ``softmax(q . k / sqrt(key_dim))`` over the ``attention_axes``; the
    weighted values are projected back (``attention_output``) to the
    query's last size or ``output_shape``.

    Args:
        num_heads: the number of heads.
        key_dim: the size of each head of the query and key.
        value_dim: the size of each head of the value (``key_dim``).
        dropout: the dropout rate on the attention weights.
        use_bias: whether the projections have biases.
        output_shape: the output's shape besides the batch and sequence
            axes (the query's last size by default).
        attention_axes: the axes attention runs over (all but the batch,
            heads and features).
        sliding_window: lets each query step attend only to key steps
            closer than this.
        flash_attention: accepted for Keras compatibility (kgraph computes
            the same attention either way).
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
        query: ``(B, T, dim)``.
        value: ``(B, S, dim)``.
        key: optional ``(B, S, dim)`` (default: ``value``).
        query_mask: ignored, as in Keras 3: the query's Keras mask is used.
        value_mask, key_mask: optional ``(B, S)`` masks (default: the
            tensors' Keras masks).
        attention_mask: optional boolean ``(B, T, S)``: which key steps
            each query step may attend to.
        return_attention_scores: also return the weights
            ``(B, num_heads, T, S)``.
        training: the training mode (dropout).
        use_causal_mask: let step ``t`` attend only to steps ``<= t``.

    Returns:
        The output ``(B, T, E)``, and the attention weights when asked.

    Raises:
        ValueError: for a non-positive ``num_heads``, ``key_dim`` or
            ``value_dim``, or a key whose shape differs from the value's.

    Example:

    >>> import numpy as np
    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((1, 3, 8), "float32")
    >>> layer(x, x).shape
    (1, 3, 8)
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        _positive(type(self).__name__, "num_heads", num_heads)
        _positive(type(self).__name__, "key_dim", key_dim)
        _positive(type(self).__name__, "value_dim", value_dim, optional=True)
        super().__init__(**kwargs)
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
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim or key_dim
        if output_shape:
            output_shape = (
                (output_shape,)
                if isinstance(output_shape, int)
                else tuple(output_shape)
            )
        self._output_shape = output_shape or None
        self._flash_attention = flash_attention
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, list | tuple):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple. "
                f"Received: attention_axes={attention_axes}"
            )
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))
        self._built_heads = False

    @property
    def num_heads(self) -> int:
        """The number of heads."""
        return self._num_heads

    @property
    def key_dim(self) -> int:
        """The size of a query and key head."""
        return self._key_dim

    @property
    def value_dim(self) -> int:
        """The size of a value head."""
        return self._value_dim

    @property
    def dropout(self) -> float:
        """The dropout rate on the attention weights."""
        return self._dropout_rate

    @property
    def use_bias(self) -> bool:
        """Whether the projections have biases."""
        return self._use_bias

    @property
    def attention_axes(self) -> Any:
        """The axes attention runs over (resolved when built)."""
        return self._attention_axes

    def build(
        self,
        query_shape: Any,
        value_shape: Any = None,
        key_shape: Any = None,
    ) -> None:
        """Creates the projections for these shapes (the value's shape is
        needed; without it, the first call builds)."""
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        heads = [self._num_heads, self._key_dim]
        equation, bias, rank = projection_equation(len(query_shape) - 1, 1, 2)
        self._query_dense = self._dense(
            equation, _partial(rank, heads), bias, "query", query_shape
        )
        equation, bias, rank = projection_equation(len(key_shape) - 1, 1, 2)
        self._key_dense = self._dense(
            equation, _partial(rank, heads), bias, "key", key_shape
        )
        value_heads = [self._num_heads, self._value_dim]
        if self._use_gate:
            equation, bias, rank = projection_equation(len(query_shape) - 1, 1, 2)
            self._gate_dense = self._dense(
                equation,
                _partial(rank, value_heads),
                bias,
                "gate",
                query_shape,
                activation="sigmoid",
            )
        equation, bias, rank = projection_equation(len(value_shape) - 1, 1, 2)
        self._value_dense = self._dense(
            equation, _partial(rank, value_heads), bias, "value", value_shape
        )
        self._build_attention(rank)
        out = self._output_shape or (query_shape[-1],)
        equation, bias, rank = projection_equation(len(query_shape) - 1, 2, len(out))
        heads_shape = (*query_shape[:-1], self._num_heads, self._value_dim)
        self._output_dense = self._dense(
            equation, _partial(rank, list(out)), bias, "attention_output", heads_shape
        )
        self._built_heads = True

    def _build_attention(self, rank: int) -> None:
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(
                a if a >= 0 else (rank - 1) + a for a in self._attention_axes
            )
        dot, combine, scores_rank = attention_equations(rank, self._attention_axes)
        self._equations = (dot, combine)
        count = len(self._attention_axes)
        self._softmax_and_dropout(tuple(range(scores_rank - count, scores_rank)))

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
        key = self._key_dense(key)
        value = self._value_dense(value)
        fused = not (
            self._dropout_rate > 0.0 or return_attention_scores or query.ndim != 4
        )
        output, scores = self._attend(
            query,
            key,
            value,
            mask,
            self._inverse_sqrt_key_dim,
            self._equations,
            key_first=True,
            mask_axis=-len(self._attention_axes) * 2 - 1,
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
        """The query's shape with its last axis replaced by the output's."""
        if (
            value_shape is not None
            and key_shape is not None
            and tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]
        ):
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, "
                f"must be equal. Received: value_shape={tuple(value_shape)} "
                f"and key_shape={tuple(key_shape)}"
            )
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            **self._common_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "output_shape": None
            if self._output_shape is None
            else list(self._output_shape),
            "attention_axes": None
            if self._attention_axes is None
            else list(self._attention_axes),
        }


def _partial(rank: int, known: list[Any]) -> list[Any]:
    """An ``EinsumDense`` output shape: ``None`` for the leading axes."""
    return [None] * (rank - 1 - len(known)) + list(known)
