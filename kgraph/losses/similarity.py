"""Similarity losses: the cosine similarity and the Circle loss for metric
learning, as in ``keras.losses``.

Example:

>>> cosine_similarity([[0.0, 1.0]], [[1.0, 1.0]]).numpy().round(4)
array([-0.7071], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _prepare
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import squeeze_or_expand_to_same_rank
from kgraph.losses.base import to_float
from kgraph.ops import builder

_NEGATIVE = -1e30
"""Stands for ``-inf`` in the masked ``logsumexp`` of ``circle``: the same
value wherever a row keeps an entry, and no ``inf - inf`` anywhere."""


def l2_normalize(x: Any, axis: int = -1) -> Any:
    """Returns ``x`` divided by its L2 norm along ``axis``, as Keras's
    ``ops.normalize``: ``x * minimum(rsqrt(sum(x**2)), 1 / EPSILON)``.

    Args:
        x: a float tensor.
        axis: the axis the norm runs over.

    Returns:
        A tensor of ``x``'s shape.

    Example:

    >>> l2_normalize(np.array([3.0, 4.0], dtype="float32")).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = to_float(x)
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    # 1 / sqrt(max(s, eps**2)) == min(1 / sqrt(s), 1 / eps), with a finite
    # gradient at 0.
    inverse = ops.divide(1.0, ops.sqrt(ops.maximum(squares, EPSILON * EPSILON)))
    return ops.multiply(x, inverse)


@_with_shape_context
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Computes the negative cosine similarity between labels and predictions.

    Formula:

    ```python
    loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)
    ```

    Between -1 and 1: -1 for vectors pointing the same way, 0 for orthogonal
    ones (and for a zero vector), so minimizing it aligns the predictions
    with the targets.

    Args:
        y_true: target vectors.
        y_pred: predicted vectors.
        axis: the axis the similarity is computed along.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
    ...                   [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]).numpy().round(4)
    array([-0., -1.,  1.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    products = ops.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis))
    return ops.negative(ops.sum(products, axis=axis))


def _indices(labels: Any) -> Any:
    """Returns ``0, 1, ..., n - 1`` (float32) for ``n`` labels, also when
    ``n`` is known only when the graph runs."""
    if labels.shape[0] is not None:
        return np.arange(labels.shape[0], dtype="float32")

    def step(index: Any, _: Any) -> tuple[Any, Any]:
        return ops.add(index, 1.0), index

    return ops.scan(step, np.float32(0.0), labels)[1]


def _column(labels: Any) -> Any:
    labels = ops.cast(labels, "int32")
    return ops.reshape(labels, (-1, 1)) if labels.ndim == 1 else labels


def build_pos_neg_masks(
    query_labels: Any, key_labels: Any, remove_diagonal: bool = True
) -> tuple[Any, Any]:
    """Returns the masks of same-label (positive) and different-label
    (negative) pairs, as Keras's ``build_pos_neg_masks``.

    Args:
        query_labels: integer labels, shape ``(n,)`` or ``(n, 1)``.
        key_labels: integer labels, shape ``(m,)`` or ``(m, 1)``.
        remove_diagonal: leave the pairs ``(i, i)`` out of the positives.

    Returns:
        Two boolean ``(n, m)`` tensors.

    Example:

    >>> positive, negative = build_pos_neg_masks(np.array([0, 1, 0]),
    ...                                          np.array([0, 1, 0]))
    >>> positive.numpy().astype(int).tolist()
    [[0, 0, 1], [0, 0, 0], [1, 0, 0]]
    """
    query = _column(to_float(query_labels))
    key = _column(to_float(key_labels))
    positive = ops.equal(query, ops.transpose(key))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        rows = ops.expand_dims(_indices(ops.reshape(query, (-1,))), 1)
        cols = ops.expand_dims(_indices(ops.reshape(key, (-1,))), 0)
        positive = ops.logical_and(positive, ops.not_equal(rows, cols))
    return positive, negative


def _masked_logsumexp(mask: Any, values: Any) -> Any:
    return ops.logsumexp(ops.where(mask, values, _NEGATIVE), axis=1)


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> Any:
    """Computes the Circle loss (Sun et al., 2020) of L2-normalized embeddings.

    Formula:

    ```python
    d = maximum(1 - y_pred @ ref_embeddings.T, 0)     # cosine distances
    pos = same label (not the pair (i, i) with remove_diagonal); neg = others
    w_p = maximum((margin + d) * pos, 0)
    w_n = maximum((1 + margin - d) * neg, 0)
    p = logsumexp(where(pos, -gamma * w_p * (margin - d), -inf), axis=1)
    n = logsumexp(where(neg, gamma * w_n * (1 - margin - d), -inf), axis=1)
    loss = softplus(p + n)
    ```

    The result carries a mask of its positive values, so a ``Loss``
    averages over those only, as in Keras.

    Args:
        y_true: integer labels, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: L2-normalized embeddings, shape ``(batch, dim)``.
        ref_labels: labels of the reference embeddings (``y_true`` by
            default).
        ref_embeddings: reference embeddings (``y_pred`` by default).
        remove_diagonal: leave each sample's similarity to itself out of
            the positive pairs.
        gamma: the scale of the similarities.
        margin: the relaxation margin.

    Returns:
        The per-sample loss, shape ``(batch,)``.

    Example:

    >>> emb = l2_normalize(np.array([[1.0, 0.1], [0.9, 0.2], [0.1, 1.0]]))
    >>> circle(np.array([0, 0, 1]), emb, gamma=1.0).numpy().round(3)
    array([0.563, 0.588, 0.   ], dtype=float32)
    """
    y_pred = to_float(y_pred)
    ref_embeddings = y_pred if ref_embeddings is None else to_float(ref_embeddings)
    ref_labels = y_true if ref_labels is None else ref_labels
    similarity = ops.matmul(y_pred, ops.transpose(ref_embeddings))
    distances = ops.maximum(ops.subtract(1.0, similarity), 0.0)
    positive, negative = build_pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_mask = ops.cast(positive, distances.dtype)
    neg_mask = ops.cast(negative, distances.dtype)
    pos_weights = ops.maximum(ops.multiply(ops.add(distances, margin), pos_mask), 0.0)
    neg_weights = ops.maximum(
        ops.multiply(ops.subtract(1.0 + margin, distances), neg_mask), 0.0
    )
    pos_terms = ops.multiply(
        ops.multiply(pos_weights, -float(gamma)), ops.subtract(margin, distances)
    )
    neg_terms = ops.multiply(
        ops.multiply(neg_weights, float(gamma)), ops.subtract(1.0 - margin, distances)
    )
    total = ops.add(
        _masked_logsumexp(positive, pos_terms), _masked_logsumexp(negative, neg_terms)
    )
    losses = ops.softplus(total)
    builder.set_mask(losses, ops.greater(losses, 0.0))
    return losses


class CosineSimilarity(LossFunctionWrapper):
    """The negative cosine similarity between targets and predictions.

    Formula:

    ```python
    loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)
    ```

    Args:
        axis: the axis the similarity is computed along.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]],
    ...                                [[1.0, 0.0], [1.0, 1.0]])), 4)
    -0.5
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis
        )
        self.axis = axis


class Circle(LossFunctionWrapper):
    """The Circle loss between integer labels and L2-normalized embeddings
    (see ``circle``): pulls same-label embeddings together and pushes the
    others apart, each pair weighted by how far it is from its optimum.

    Samples whose loss is 0 are left out of the mean, as in Keras.

    Args:
        gamma: the scale of the similarities.
        margin: the relaxation margin.
        remove_diagonal: leave each sample's similarity to itself out of
            the positive pairs.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> emb = l2_normalize(np.array([[1.0, 0.1], [0.9, 0.2], [0.1, 1.0]]))
    >>> round(float(Circle(gamma=1.0)(np.array([0, 0, 1]), emb)), 3)
    0.575
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal
