"""Crossentropy losses: binary, categorical and sparse categorical, as in
``keras.losses``.

Example:

>>> binary_crossentropy([[0.0, 1.0]], [[0.6, 0.4]]).numpy().round(3)
array([0.916], dtype=float32)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _check_axis
from kgraph.losses.base import _check_same_shape
from kgraph.losses.base import _is_tensor
from kgraph.losses.base import _prepare
from kgraph.losses.base import _same_shape
from kgraph.losses.base import _shape_error
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import count
from kgraph.losses.base import mean
from kgraph.losses.base import squeeze_or_expand_to_same_rank
from kgraph.losses.base import to_float
from kgraph.tensor import Tensor


@_with_shape_context
def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Computes the binary crossentropy loss.

    Formula:

    ```python
    y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    # from_logits=False:
    p = clip(y_pred, 1e-7, 1 - 1e-7)
    loss = -(y_true * log(p) + (1 - y_true) * log(1 - p))
    # from_logits=True (stable for any logit x):
    loss = max(x, 0) - x * y_true + log1p(exp(-abs(x)))
    loss = mean(loss, axis=axis)
    ```

    Args:
        y_true: ground truth values, 0 or 1.
        y_pred: predicted probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; squeezes the labels towards 0.5.
        axis: the axis the mean is taken over.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when ``y_true`` and ``y_pred`` differ in shape (after a
            ``(batch,)`` against ``(batch, 1)`` is reconciled).

    Example:

    >>> binary_crossentropy([[0.0, 1.0], [0.0, 0.0]],
    ...                     [[0.6, 0.4], [0.4, 0.6]]).numpy().round(3)
    array([0.916, 0.714], dtype=float32)
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(
            ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing
        )
    if from_logits:
        # As TensorFlow's sigmoid_cross_entropy_with_logits: written with
        # where(x >= 0, ...) so the gradient at x = 0 is sigmoid(0) - y_true.
        nonnegative = ops.greater_equal(y_pred, 0.0)
        relu_logits = ops.where(nonnegative, y_pred, 0.0)
        neg_abs_logits = ops.where(nonnegative, ops.negative(y_pred), y_pred)
        losses = ops.add(
            ops.subtract(relu_logits, ops.multiply(y_pred, y_true)),
            ops.log1p(ops.exp(neg_abs_logits)),
        )
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        log_likelihood = ops.add(
            ops.multiply(y_true, ops.log(p)),
            ops.multiply(ops.subtract(1.0, y_true), ops.log(ops.subtract(1.0, p))),
        )
        losses = ops.negative(log_likelihood)
    return mean(losses, axis=axis)


def _log_probabilities(y_pred: Any, from_logits: bool, axis: int) -> Any:
    if from_logits:
        return ops.log_softmax(y_pred, axis=axis)
    total = ops.sum(y_pred, axis=axis, keepdims=True)
    p = ops.clip(ops.divide(y_pred, total), EPSILON, 1.0 - EPSILON)
    return ops.log(p)


def _warn_single_class(name: str, y_pred: Any, axis: int) -> None:
    if y_pred.shape[axis] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={errors.format_shape(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


@_with_shape_context
def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Computes the categorical crossentropy loss for one-hot labels.

    Formula:

    ```python
    y_true = y_true * (1 - label_smoothing) + label_smoothing / num_classes
    # from_logits=False:
    p = clip(y_pred / sum(y_pred, axis), 1e-7, 1 - 1e-7)
    loss = -sum(y_true * log(p), axis=axis)
    # from_logits=True:
    loss = -sum(y_true * log_softmax(y_pred, axis), axis=axis)
    ```

    Args:
        y_true: one-hot (or soft) labels.
        y_pred: predicted probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; mixes the labels with the uniform
            distribution over the classes.
        axis: the class axis.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.

    Raises:
        ShapeError: when ``y_true`` and ``y_pred`` differ in shape.
        ValueError: when ``axis`` is not an int.

    Example:

    >>> categorical_crossentropy([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...     [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    name = "categorical_crossentropy"
    _check_same_shape(name, y_true, y_pred)
    if y_pred.ndim < 1:
        raise _shape_error(name, y_true, y_pred, "y_pred must be at least rank 1")
    axis = axis % y_pred.ndim
    _warn_single_class(name, y_pred, axis)
    if label_smoothing:
        num_classes = y_pred.shape[axis]
        if num_classes is None:
            num_classes = count(y_pred, axis)
        smoothing = ops.divide(label_smoothing, num_classes)
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), smoothing)
    log_prob = _log_probabilities(y_pred, from_logits, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, log_prob), axis=axis))


@_with_shape_context
def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Any:
    """Computes the categorical crossentropy loss for integer labels.

    Formula:

    ```python
    y_true = int32(squeeze(y_true, -1))  # (batch, 1) labels become (batch,)
    log_p = log_softmax(y_pred) if from_logits else
            log(clip(y_pred / sum(y_pred), 1e-7, 1 - 1e-7))
    loss = -sum(one_hot(y_true, num_classes) * log_p, axis=axis)
    ```

    Args:
        y_true: class indices, ints or floats, shape ``(batch,)`` or
            ``(batch, 1)`` (``y_pred``'s shape without the class axis).
        y_pred: predicted probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose samples get a loss of 0 (and that
            ``SparseCategoricalCrossentropy`` leaves out of the mean).
        axis: the class axis.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.

    Raises:
        ShapeError: when ``y_true``'s shape is not ``y_pred``'s without the
            class axis.

    Example:

    >>> sparse_categorical_crossentropy([1, 2],
    ...     [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    _check_axis(axis)
    name = "sparse_categorical_crossentropy"
    y_pred = to_float(y_pred)
    if not _is_tensor(y_true):
        y_true = Tensor(np.asarray(y_true))
    if y_pred.ndim < 1:
        raise _shape_error(name, y_true, y_pred, "y_pred must be at least rank 1")
    class_axis = axis % y_pred.ndim
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = ops.squeeze(y_true, axis)
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
    if not _same_shape(tuple(y_true.shape), expected):
        raise _shape_error(
            name,
            y_true,
            y_pred,
            "y_true must have y_pred's shape without the class axis, "
            f"{errors.format_shape(expected)}",
        )
    labels = y_true if y_true.dtype == "int32" else ops.cast(y_true, "int32")
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(labels, int(ignore_class))
        labels = ops.where(valid, labels, np.int32(0))
    num_classes = y_pred.shape[class_axis]
    if num_classes is None:
        raise _shape_error(name, y_true, y_pred, "the number of classes must be known")
    one_hot = ops.one_hot(labels, num_classes, axis=class_axis, dtype=y_pred.dtype)
    log_prob = _log_probabilities(y_pred, from_logits, class_axis)
    losses = ops.negative(ops.sum(ops.multiply(one_hot, log_prob), axis=class_axis))
    if valid is not None:
        losses = ops.where(valid, losses, 0.0)
    return losses


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy between 0/1 labels and probabilities (or logits).

    Formula:

    ```python
    p = clip(y_pred, 1e-7, 1 - 1e-7)              # from_logits=False
    loss = -(y_true * log(p) + (1 - y_true) * log(1 - p))
    loss = max(x, 0) - x * y_true + log1p(exp(-abs(x)))   # from_logits=True
    loss = mean(loss, axis=axis)                  # per sample
    ```

    Args:
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; squeezes the labels towards 0.5.
        axis: the axis the mean is taken over.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss([0.0, 1.0, 0.0, 0.0], [-18.6, 0.51, 2.94, -12.8])), 4)
    0.8655
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy between one-hot labels and probabilities.

    Formula:

    ```python
    y_true = y_true * (1 - label_smoothing) + label_smoothing / num_classes
    p = clip(y_pred / sum(y_pred), 1e-7, 1 - 1e-7)   # from_logits=False
    loss = -sum(y_true * log(p), axis=axis)
    loss = -sum(y_true * log_softmax(y_pred), axis=axis)   # from_logits=True
    ```

    Args:
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; mixes the labels with the uniform
            distribution over the classes.
        axis: the class axis.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> loss = CategoricalCrossentropy()
    >>> round(float(loss([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...                  [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])), 3)
    1.177
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy between integer labels and probabilities.

    Formula:

    ```python
    loss = -log(clip(y_pred / sum(y_pred), 1e-7, 1 - 1e-7)[y_true])
    loss = -log_softmax(y_pred)[y_true]           # from_logits=True
    ```

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label left out of the loss and of its mean.
        reduction: see ``Loss``.
        axis: the class axis.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])), 3)
    1.177
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Calls the function; labels keep their own rank (no reconciling)."""
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        if y_true.ndim == y_pred.ndim and y_true.shape[self.axis] == 1:
            y_true = ops.squeeze(y_true, self.axis)
        labels = ops.cast(y_true, "int32")
        return ops.not_equal(labels, int(self.ignore_class))
