"""Accuracy metrics: how often predictions match labels, as in
``keras.metrics``.

Example:

>>> m = BinaryAccuracy()
>>> m.update_state([[1], [0]], [[0.9], [0.8]])
>>> m.result()
0.5
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.losses import cast_like
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
from kgraph.metrics.base import MeanMetricWrapper
from kgraph.metrics.base import _as_tensor

# -- metric functions --


def accuracy(y_true: Any, y_pred: Any) -> Any:
    """How often predictions equal labels, per value.

    Args:
        y_true: ground truth values.
        y_pred: predicted values.

    Returns:
        1.0 where ``y_true == y_pred``, else 0.0 (float32).

    Example:

    >>> accuracy([[1.0], [2.0]], [[1.0], [3.0]]).numpy()
    array([[1.],
           [0.]], dtype=float32)
    """
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """How often thresholded predictions match binary labels, per value.

    Args:
        y_true: 0/1 labels.
        y_pred: predicted probabilities (or scores).
        threshold: predictions above it count as 1.

    Returns:
        1.0 where ``y_true == (y_pred > threshold)``, else 0.0 (float32).

    Example:

    >>> binary_accuracy([[1.0], [1.0], [0.0], [0.0]],
    ...                 [[0.98], [1.0], [0.0], [0.6]]).numpy().ravel()
    array([1., 1., 1., 0.], dtype=float32)
    """
    y_pred = to_float(y_pred)
    y_true = _as_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.cast(ops.equal(y_true, predicted), "float32")


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """How often the arg-max of predictions matches one-hot labels.

    Args:
        y_true: one-hot labels, shape ``(batch, num_classes)``.
        y_pred: predictions (probabilities or logits), same shape.

    Returns:
        1.0 where ``argmax(y_true) == argmax(y_pred)``, else 0.0, shape
        ``(batch,)``.

    Example:

    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                      [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    true_class = ops.argmax(_as_tensor(y_true), axis=-1)
    predicted = ops.argmax(_as_tensor(y_pred), axis=-1)
    return ops.cast(ops.equal(true_class, predicted), "float32")


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """How often the arg-max of predictions matches integer labels.

    Args:
        y_true: class indices (ints or floats), shape ``(batch,)`` or
            ``(batch, 1)``.
        y_pred: predictions, shape ``(batch, num_classes)``.

    Returns:
        1.0 where ``y_true == argmax(y_pred)``, else 0.0, shape ``(batch,)``.

    Example:

    >>> sparse_categorical_accuracy([[2], [1]],
    ...                             [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = ops.cast(ops.equal(y_true, predicted), "float32")
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels.

    Example:

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: str | None = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        threshold: predictions above it count as 1.

    Example:

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    """

    def __init__(
        self,
        name: str = "binary_accuracy",
        dtype: str | None = None,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of predictions matches one-hot labels.

    Example:

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self, name: str = "categorical_accuracy", dtype: str | None = None
    ) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of predictions matches integer labels.

    Example:

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self, name: str = "sparse_categorical_accuracy", dtype: str | None = None
    ) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


def _in_top_k(labels: Any, y_pred: Any, k: int) -> Any:
    """1.0 where the label's score is among the ``k`` largest, as Keras's
    ``in_top_k``: its rank is 1 + the number of strictly larger scores (a
    NaN score ranks last); ties count in."""
    num_classes = y_pred.shape[-1]
    one_hot = ops.one_hot(ops.cast(labels, "int32"), num_classes, dtype="float32")
    chosen = ops.greater(one_hot, 0.0)
    at_label = ops.sum(ops.where(chosen, y_pred, 0.0), axis=-1, keepdims=True)
    at_label = ops.where(ops.not_equal(at_label, at_label), float("-inf"), at_label)
    larger = ops.sum(ops.cast(ops.greater(y_pred, at_label), "float32"), axis=-1)
    return ops.cast(ops.less_equal(ops.add(larger, 1.0), float(k)), "float32")


def _flat_matches(y_true: Any, matches_of: Any) -> Any:
    """Runs ``matches_of`` on ``(n,)`` labels, giving the result
    ``y_true``'s shape back."""
    if y_true.ndim <= 1:
        return matches_of(y_true)
    return ops.reshape(matches_of(ops.reshape(y_true, (-1,))), tuple(y_true.shape))


def _rows(y_pred: Any) -> Any:
    return ops.reshape(y_pred, (-1, y_pred.shape[-1])) if y_pred.ndim > 2 else y_pred


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Whether the one-hot label's class is among the ``k`` highest scores.

    Args:
        y_true: one-hot labels, shape ``(batch, ..., num_classes)``.
        y_pred: scores, same shape.
        k: how many of the highest scores count.

    Returns:
        1.0 or 0.0 per sample (float32), ``y_true``'s shape without its last
        axis.

    Example:

    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_float(y_pred)
    labels = ops.argmax(cast_like(y_true, y_pred), axis=-1)
    rows = _rows(y_pred)
    return _flat_matches(labels, lambda flat: _in_top_k(flat, rows, k))


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> Any:
    """Whether the integer label is among the ``k`` highest scores.

    Args:
        y_true: class indices, shape ``(batch,)`` (or ``(batch, 1)``).
        y_pred: scores, shape ``(batch, num_classes)``; or with
            ``from_sorted_ids`` the ids of the top classes, best first.
        k: how many of the highest scores (or first ids) count.
        from_sorted_ids: whether ``y_pred`` holds sorted class ids.

    Returns:
        1.0 or 0.0 per label (float32), ``y_true``'s shape.

    Example:

    >>> sparse_top_k_categorical_accuracy([2, 1],
    ...     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_float(y_pred)
    y_true = to_float(y_true) if from_sorted_ids else _as_tensor(y_true)
    rows = _rows(y_pred)
    if from_sorted_ids:
        first = ops.get_item(rows, (slice(None), slice(0, k)))

        def matches_of(flat: Any) -> Any:
            same = ops.equal(ops.expand_dims(cast_like(flat, rows), 1), first)
            return ops.cast(ops.any(same, axis=1), "float32")

    else:

        def matches_of(flat: Any) -> Any:
            return _in_top_k(flat, rows, k)

    return _flat_matches(y_true, matches_of)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest scores.

    Args:
        k: how many of the highest scores count.
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "top_k_categorical_accuracy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores.

    Args:
        k: how many of the highest scores count.
        name: the metric's name.
        dtype: ``"float32"``.
        from_sorted_ids: whether predictions are sorted class ids (best
            first) rather than scores.

    Example:

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: str | None = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (``from_sorted_ids`` only when
        set, as Keras)."""
        config = super().get_config()
        if not self.from_sorted_ids:
            config.pop("from_sorted_ids")
        return config
