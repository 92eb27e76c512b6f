"""``Attention`` (Luong-style dot-product) and ``AdditiveAttention``
(Bahdanau-style) over ``[query, value]`` or ``[query, value, key]``."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag
from kgraph.tensor import SymbolicTensor
from kgraph.utils import random as random_utils

SALT_BITS = (1 << 63) - 1


class Attention(Layer):
    """Dot-product attention: each query step takes the softmax-weighted
    sum of the value steps, weighted by its scores against the key steps.

    Scores are ``query . key`` (``score_mode="dot"``, times a trainable
    ``scale`` with ``use_scale``) or
    ``concat_score_weight * sum(tanh(scale * (query + key)))``
    (``"concat"``). Masked value steps get ``-1e9`` added to their
    scores; masked query steps give zero outputs.

    Args:
        use_scale: whether to learn a scalar ``scale`` on the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: the dropout rate on the attention weights (in training).
        seed: the dropout's seed.
        **kwargs: the base layer's arguments.

    Call arguments:
        inputs: ``[query (B, Tq, dim), value (B, Tv, dim)]`` and optionally
            ``key (B, Tv, dim)`` (default: the value).
        mask: ``[query_mask (B, Tq), value_mask (B, Tv)]`` (default: the
            inputs' Keras masks).
        training: the training mode (dropout).
        return_attention_scores: also return the weights ``(B, Tq, Tv)``.
        use_causal_mask: let step ``t`` attend only to steps ``<= t``.

    Returns:
        ``(B, Tq, dim)``, and the weights when asked.

    Raises:
        ValueError: for another ``score_mode`` or inputs not a list of 2
            or 3 tensors.

    Example:

    >>> import numpy as np
    >>> q = np.ones((1, 2, 3), "float32")
    >>> Attention()([q, q]).shape
    (1, 2, 3)
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of "
                f"{{'dot', 'concat'}}. Received: score_mode={score_mode}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): `dropout` must be in '
                f"[0, 1). Received: dropout={dropout!r}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.scale: Any = None
        self.concat_score_weight: Any = None
        self.mask_salt = (
            zlib.crc32(str(seed).encode())
            if seed is not None
            else int(random_utils.generator().integers(0, SALT_BITS))
        ) & SALT_BITS

    def _check_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received: inputs={inputs}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely "
                "[query, value] or [query, value, key]. "
                f"Received length: {len(inputs)}."
            )
        if mask is not None and (
            not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3
        ):
            raise ValueError(
                f"{name} layer mask must be a list of length 2 or 3, namely "
                f"[query_mask, value_mask]. Received: mask={mask}."
            )

    def build(self, input_shape: Any) -> None:
        """Creates ``scale`` and, for ``"concat"``, ``concat_score_weight``."""
        self._check_inputs(list(input_shape))
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                (), "ones", name="concat_score_weight"
            )
        self.built = True

    def _scores(self, query: Any, key: Any) -> Any:
        """The ``(B, Tq, Tv)`` scores."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), -1))

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        """Attends from the query to the value."""
        self._check_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._scores(query, key)
        scores_mask = _score_mask(scores, value_mask, use_causal_mask)
        if scores_mask is not None:
            scores = ops.where(scores_mask, scores, ops.subtract(scores, 1.0e9))
        weights = ops.softmax(scores, axis=-1)
        dropped = self._dropout(weights, training)
        output = ops.matmul(dropped, value)
        if query_mask is not None:
            output = ops.where(ops.expand_dims(_as_bool(query_mask), -1), output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def _dropout(self, weights: Any, training: Any) -> Any:
        """Inverted dropout on the weights in training (as ``Dropout``)."""
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        if training is False or self.dropout == 0.0:
            return weights
        keep = ops.greater_equal(
            ops.random_uniform(random_key(weights), weights, salt=self.mask_salt),
            self.dropout,
        )
        dropped = ops.where(keep, ops.divide(weights, 1.0 - self.dropout), 0.0)
        if training is True:
            return dropped
        return ops.where(training_flag(weights, training), dropped, weights)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query's mask."""
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores are
    ``sum(scale * tanh(query + key))`` over the features, ``scale`` a
    trainable vector of the feature size (with ``use_scale``).

    Args:
        use_scale: whether to learn ``scale`` (default ``True``).
        dropout: the dropout rate on the attention weights (in training).
        **kwargs: the base layer's arguments (``seed`` too).

    Call arguments:
        As ``Attention``'s.

    Returns:
        ``(B, Tq, dim)``, and the weights when asked.

    Example:

    >>> import numpy as np
    >>> q = np.ones((1, 2, 3), "float32")
    >>> AdditiveAttention()([q, q]).shape
    (1, 2, 3)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        """Creates ``scale`` of the feature size."""
        self._check_inputs(list(input_shape))
        if self.use_scale:
            dim = input_shape[0][-1]
            self.scale = self.add_weight((dim,), "glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query: Any, key: Any) -> Any:
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.sum(pairs, axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        del config["score_mode"]
        return config


def _as_bool(mask: Any) -> Any:
    mask = ops.as_tensor(mask)
    return mask if mask.dtype == "bool" else ops.not_equal(mask, 0)


def _score_mask(scores: Any, value_mask: Any, causal: bool) -> Any:
    """Which scores count: the value's mask on columns, and the causal
    lower triangle."""
    mask = None
    if value_mask is not None:
        mask = ops.expand_dims(_as_bool(value_mask), -2)
    if causal:
        rows, columns = scores.shape[-2], scores.shape[-1]
        if rows is None or columns is None:
            band = ops.greater_equal(
                ops.iota(scores, axis=scores.ndim - 2),
                ops.iota(scores, axis=scores.ndim - 1),
            )
        else:
            band = np.tril(np.ones((rows, columns), dtype=bool))[None]
        mask = band if mask is None else ops.logical_and(mask, band)
    return mask
