"""What ``MultiHeadAttention`` and ``GroupedQueryAttention`` share: their
masks, the masked softmax and the scaled dot-product attention between
projected heads, with Keras's semantics.

Keras computes the attention of projected rank-4 heads without dropout or
returned scores with its fused ``dot_product_attention``, where a query
that may attend to nothing gets uniform weights; otherwise with its
``Softmax`` layer, which gives such a query zero weights. Both are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.activation_layers import Softmax
from kgraph.layers.einsum_dense import EinsumDense
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object
from kgraph.layers.regularization import Dropout
from kgraph.ops import builder

# What masked logits become before the softmax (Keras's Softmax layer).
MASKED_LOGIT = -1e9


def as_bool(mask: Any) -> Any:
    """A mask as booleans (nonzero is true)."""
    mask = ops.as_tensor(mask)
    return mask if mask.dtype == "bool" else ops.not_equal(mask, 0)


def band_mask(
    layer: Layer, query: Any, value: Any, causal: bool, window: int | None
) -> Any:
    """The ``(1, T, S)`` mask of a causal and/or sliding-window attention
    (``T``, ``S``: axis 1 of the query and the value): a constant for known
    lengths, else computed from the positions (``iota``) when the graph
    runs."""
    del layer
    rows, columns = query.shape[1], value.shape[1]
    if rows is not None and columns is not None:
        i = np.arange(rows)[:, None]
        j = np.arange(columns)[None, :]
    else:
        # A (1, T, S) tensor of the right shape; its values are not read.
        first_row = ops.expand_dims(_first_features(query), -1)
        first_column = ops.expand_dims(_first_features(value), -2)
        like = ops.add(first_row, first_column)
        i, j = ops.iota(like, axis=1), ops.iota(like, axis=2)
    mask = None
    if causal:
        mask = ops.greater_equal(i, j)
    if window is not None:
        near = ops.less(ops.abs(ops.subtract(i, j)), window)
        mask = near if mask is None else ops.logical_and(mask, near)
    return ops.expand_dims(mask, 0) if mask.ndim == 2 else mask


def _first_features(x: Any) -> Any:
    """``x[0:1, :, 0, ..., 0]`` as floats: one value per step of the first
    sample."""
    x = ops.get_item(x, (slice(0, 1), slice(None), *([0] * (x.ndim - 2))))
    return ops.cast(x, "float32")


class AttentionBase(Layer):
    """Masks, sublayers and the dot-product attention of the multi-head
    layers (not a Keras layer of its own)."""

    _passes_masks = True

    def _init_common(
        self,
        dropout: float,
        use_bias: bool,
        sliding_window: int | None,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        kernel_constraint: Any,
        bias_constraint: Any,
        use_gate: bool,
        seed: int | None,
    ) -> None:
        if sliding_window is not None and (
            isinstance(sliding_window, bool)
            or not isinstance(sliding_window, int)
            or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): `dropout` must be in '
                f"[0, 1). Received: dropout={dropout!r}"
            )
        self._dropout_rate = float(dropout)
        self._use_bias = bool(use_bias)
        self._sliding_window = sliding_window
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._sub_activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._use_gate = bool(use_gate)
        self.seed = seed
        self._projections: dict[str, Any] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Keras also takes ``layer(query=..., value=...)``.
        if "query" in kwargs:
            args = (kwargs.pop("query"), *args)
        if "value" in kwargs and len(args) == 1:
            args = (*args, kwargs.pop("value"))
        return super().__call__(*args, **kwargs)

    # -- sublayers ------------------------------------------------------------------

    def _dense(
        self,
        equation: str,
        output_shape: Any,
        bias_axes: str,
        name: str,
        input_shape: Any,
        activation: Any = None,
    ) -> EinsumDense:
        """A built projection named as Keras names it, its weights at
        ``<layer>/<name>/kernel``."""
        layer = EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self._use_bias else None,
            activation=activation,
            name=name,
            dtype=self.dtype,
            kernel_initializer=_fresh(self._kernel_initializer),
            bias_initializer=_fresh(self._bias_initializer),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._sub_activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
        )
        layer.__dict__["_path"] = f"{self.name}/{name}"
        layer.build(tuple(input_shape))
        return layer

    def keras_weight_groups(self) -> list[tuple[str, Layer]]:
        """Where Keras's files keep the projections' weights, in weight
        order: ``(group under the layer's, sublayer)``."""
        names = ["query", "key", "gate", "value", "output"]
        groups = []
        for name in names:
            layer = self.__dict__.get(f"_{name}_dense")
            if layer is not None:
                groups.append((f"{self._keras_group_prefix}{name}_dense", layer))
        return groups

    # Keras names the groups after the attributes it finds: MultiHeadAttention's
    # ``query_dense`` properties, GroupedQueryAttention's ``_query_dense``.
    _keras_group_prefix = ""

    def _softmax_and_dropout(self, axes: Any) -> None:
        """Creates the softmax and dropout sublayers (as Keras does, so the
        names they take are the same)."""
        self._softmax = Softmax(axis=axes, dtype=self.dtype)
        self._dropout_layer = Dropout(
            rate=self._dropout_rate, seed=self.seed, dtype=self.dtype
        )

    def _common_config(self) -> dict[str, Any]:
        return {
            "dropout": self._dropout_rate,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "sliding_window": self._sliding_window,
            "kernel_initializer": serialize_object(
                self._kernel_initializer, initializers
            ),
            "bias_initializer": serialize_object(self._bias_initializer, initializers),
            "kernel_regularizer": serialize_object(
                self._kernel_regularizer, regularizers
            ),
            "bias_regularizer": serialize_object(self._bias_regularizer, regularizers),
            "activity_regularizer": serialize_object(
                self._sub_activity_regularizer, regularizers
            ),
            "kernel_constraint": serialize_object(self._kernel_constraint, constraints),
            "bias_constraint": serialize_object(self._bias_constraint, constraints),
            "seed": self.seed,
        }

    # -- masks ------------------------------------------------------------------------

    def _attention_mask(
        self,
        query: Any,
        value: Any,
        query_mask: Any,
        value_mask: Any,
        key_mask: Any,
        attention_mask: Any,
        use_causal_mask: bool,
    ) -> Any:
        """Keras's combined ``(B, T, S)`` mask (or ``None``): the query's
        mask on rows, the value's and key's on columns, the causal and
        sliding-window bands, and the given ``attention_mask``."""
        parts = []
        if query_mask is not None:
            parts.append(ops.expand_dims(as_bool(query_mask), -1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(ops.expand_dims(as_bool(mask), -2))
        if use_causal_mask or self._sliding_window is not None:
            parts.append(
                band_mask(self, query, value, use_causal_mask, self._sliding_window)
            )
        if attention_mask is not None:
            parts.insert(0, as_bool(attention_mask))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = ops.logical_and(combined, part)
        return combined

    def _attend(
        self,
        query: Any,
        key: Any,
        value: Any,
        mask: Any,
        scale: float,
        equations: tuple[str, str],
        key_first: bool,
        mask_axis: int,
        training: Any,
        fused: bool,
    ) -> tuple[Any, Any]:
        """``softmax(scale * query . key, masked) . value`` over the heads.

        Args:
            query, key, value: the projected heads.
            mask: a boolean mask broadcastable to the scores after
                expanding at ``mask_axis``, or ``None``.
            scale: the factor on the query.
            equations: the score and combination ``einsum`` equations.
            key_first: whether the score equation takes the key first.
            mask_axis: where the mask gains axes to reach the scores' rank.
            training: the training mode (dropout on the weights).
            fused: Keras's fused path (fully masked rows uniform).

        Returns:
            ``(output, attention weights)``.
        """
        query = ops.multiply(query, scale)
        operands = (key, query) if key_first else (query, key)
        scores = ops.einsum(equations[0], *operands)
        if mask is not None:
            mask = ops.as_tensor(mask)
            while mask.ndim < scores.ndim:
                mask = ops.expand_dims(mask, mask_axis)
            if fused:
                masked = ops.where(mask, scores, MASKED_LOGIT)
                weights = ops.softmax(masked, axis=self._softmax.axis)
            else:
                weights = self._softmax(scores, mask=mask)
        else:
            weights = self._softmax(scores)
        dropped = weights
        if self._dropout_rate > 0.0:
            dropped = self._dropout_layer(weights, training=training)
        return ops.einsum(equations[1], dropped, value), weights

    @staticmethod
    def _masks_of(
        query: Any, value: Any, key: Any, masks: tuple[Any, Any, Any]
    ) -> tuple[Any, Any, Any]:
        """The query, value and key masks: the query's Keras mask (as in
        Keras 3, which ignores a ``query_mask`` argument), the given value
        and key masks, else the Keras masks attached to those tensors (the
        key's only when it is its own tensor)."""
        _, value_mask, key_mask = masks
        query_mask = builder.mask_of(query)
        if value_mask is None:
            value_mask = builder.mask_of(value)
        if key_mask is None and key is not None and key is not value:
            key_mask = builder.mask_of(key)
        return query_mask, value_mask, key_mask


def _fresh(initializer: Any) -> Any:
    """A new initializer of the same configuration (each projection draws
    its own values, as Keras's sublayers do)."""
    if hasattr(initializer, "get_config") and hasattr(type(initializer), "from_config"):
        return type(initializer).from_config(initializer.get_config())
    return initializer
