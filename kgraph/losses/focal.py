"""Crossentropies that weigh examples: the binary and categorical focal
crossentropies (Lin et al., 2018) and the generalized cross entropy (Zhang
and Sabuncu, 2018), as in ``keras.losses``.

Example:

>>> binary_focal_crossentropy([[0.0, 1.0]], [[0.6, 0.4]], gamma=2.0).numpy().round(3)
array([0.33], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import ops
from kgraph.losses.base import EPSILON
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _check_axis
from kgraph.losses.base import _prepare
from kgraph.losses.base import _shape_error
from kgraph.losses.base import _with_shape_context
from kgraph.losses.base import count
from kgraph.losses.base import mean
from kgraph.losses.crossentropy import _warn_single_class


def _smooth_binary(y_true: Any, label_smoothing: float) -> Any:
    if not label_smoothing:
        return y_true
    return ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)


@_with_shape_context
def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Computes the binary focal crossentropy loss.

    Formula:

    ```python
    y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    p = sigmoid(y_pred) if from_logits else y_pred
    o = clip(p, 1e-7, 1 - 1e-7)
    bce = -(y_true * log(o) + (1 - y_true) * log(1 - o))
    p_t = y_true * p + (1 - y_true) * (1 - p)
    loss = (1 - p_t) ** gamma * bce
    loss *= y_true * alpha + (1 - y_true) * (1 - alpha)  # class balancing
    loss = mean(loss, axis=axis)
    ```

    Args:
        y_true: ground truth values, 0 or 1.
        y_pred: predicted probabilities, or logits when ``from_logits``.
        apply_class_balancing: weigh class 1 by ``alpha`` and class 0 by
            ``1 - alpha``.
        alpha: the weight of class 1 with ``apply_class_balancing``.
        gamma: the focusing parameter; 0 gives the binary crossentropy.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; squeezes the labels towards 0.5.
        axis: the axis the mean is taken over.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> binary_focal_crossentropy([[0.0, 1.0], [0.0, 0.0]],
    ...                           [[0.6, 0.4], [0.4, 0.6]]).numpy().round(3)
    array([0.33 , 0.206], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    clipped = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
    negative = ops.subtract(1.0, y_true)
    log_likelihood = ops.add(
        ops.multiply(y_true, ops.log(clipped)),
        ops.multiply(negative, ops.log(ops.subtract(1.0, clipped))),
    )
    p_t = ops.add(
        ops.multiply(y_true, y_pred),
        ops.multiply(negative, ops.subtract(1.0, y_pred)),
    )
    focal = ops.power(ops.subtract(1.0, p_t), float(gamma))
    losses = ops.negative(ops.multiply(focal, log_likelihood))
    if apply_class_balancing:
        weight = ops.add(
            ops.multiply(y_true, alpha), ops.multiply(negative, 1.0 - alpha)
        )
        losses = ops.multiply(weight, losses)
    return mean(losses, axis=axis)


def _alpha(alpha: Any) -> Any:
    if isinstance(alpha, list | tuple | np.ndarray):
        return np.asarray(alpha, dtype="float32")
    return float(alpha)


@_with_shape_context
def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Computes the categorical focal crossentropy loss.

    Formula:

    ```python
    y_true = y_true * (1 - label_smoothing) + label_smoothing / num_classes
    p = softmax(y_pred, axis) if from_logits else y_pred
    o = clip(p / sum(p, axis), 1e-7, 1 - 1e-7)
    loss = sum(alpha * (1 - o) ** gamma * -y_true * log(o), axis=axis)
    ```

    Args:
        y_true: one-hot labels.
        y_pred: predicted probabilities, or logits when ``from_logits``.
        alpha: the weight of every class: a float, or a list of one float
            per class.
        gamma: the focusing parameter; 0 gives the categorical
            crossentropy (times ``alpha``).
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; mixes the labels with the uniform
            distribution over the classes.
        axis: the class axis.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.

    Raises:
        ShapeError: when the shapes do not broadcast.
        ValueError: when ``axis`` is not an int.

    Example:

    >>> categorical_focal_crossentropy([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...     [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]]).numpy().round(3)
    array([0.   , 0.676], dtype=float32)
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred, -1)
    if label_smoothing:
        num_classes = y_true.shape[-1]
        if num_classes is None:
            num_classes = count(y_true, -1)
        smoothing = ops.divide(label_smoothing, num_classes)
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    output = ops.clip(output, EPSILON, 1.0 - EPSILON)
    crossentropy = ops.negative(ops.multiply(y_true, ops.log(output)))
    focal = ops.power(ops.subtract(1.0, output), float(gamma))
    weighted = ops.multiply(ops.multiply(focal, _alpha(alpha)), crossentropy)
    return ops.sum(weighted, axis=axis)


@_with_shape_context
def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """Computes the generalized cross entropy loss for integer labels.

    Formula:

    ```python
    p = sum(y_pred * one_hot(y_true, num_classes), axis=-1)
    loss = (1 - p ** q) / q
    ```

    Between the crossentropy (``q`` near 0) and the mean absolute error
    (``q`` near 1); robust to noisy labels.

    Args:
        y_true: class indices, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: predicted probabilities, shape ``(batch, num_classes)``.
        q: the noise parameter, in ``(0, 1)``.

    Returns:
        The per-sample loss, shape ``(batch,)``.

    Raises:
        ShapeError: when the number of classes is unknown.

    Example:

    >>> categorical_generalized_cross_entropy(
    ...     [0, 1], [[0.7, 0.3], [0.2, 0.8]], q=0.5).numpy().round(4)
    array([0.3267, 0.2111], dtype=float32)
    """
    name = "categorical_generalized_cross_entropy"
    y_true, y_pred = _prepare(y_true, y_pred)
    # (batch, 1) labels as (batch,): the shape Keras documents.
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    num_classes = y_pred.shape[-1]
    if num_classes is None:
        raise _shape_error(name, y_true, y_pred, "the number of classes must be known")
    labels = ops.one_hot(ops.cast(y_true, "int32"), num_classes, dtype=y_pred.dtype)
    p = ops.sum(ops.multiply(y_pred, labels), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, float(q))), float(q))


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """The binary crossentropy with a focal factor that down-weights easy
    examples: ``(1 - p_t) ** gamma * bce``.

    See ``binary_focal_crossentropy`` for the formula.

    Args:
        apply_class_balancing: weigh class 1 by ``alpha`` and class 0 by
            ``1 - alpha``.
        alpha: the weight of class 1 with ``apply_class_balancing``.
        gamma: the focusing parameter.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``; squeezes the labels towards 0.5.
        axis: the axis the mean is taken over.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> round(float(loss([0.0, 1.0, 0.0, 0.0], [-18.6, 0.51, 2.94, -12.8])), 3)
    0.691
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """The categorical crossentropy with a focal factor per class:
    ``alpha * (1 - p) ** gamma * -y_true * log(p)``, summed over classes.

    See ``categorical_focal_crossentropy`` for the formula.

    Args:
        alpha: the weight of every class (a float or one per class).
        gamma: the focusing parameter.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in ``[0, 1]``.
        axis: the class axis.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> loss = CategoricalFocalCrossentropy()
    >>> round(float(loss([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...                  [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])), 4)
    0.2332
    """

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The generalized cross entropy for integer labels:
    ``(1 - p ** q) / q`` with ``p`` the probability of the true class.

    Args:
        q: the noise parameter, in ``(0, 1)``: near 0 it behaves like the
            crossentropy, near 1 like the mean absolute error.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Raises:
        ValueError: when ``q`` is not in ``(0, 1)``.

    Example:

    >>> loss = CategoricalGeneralizedCrossEntropy()
    >>> round(float(loss([0, 1], [[0.7, 0.3], [0.2, 0.8]])), 4)
    0.2689
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: str | None = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(
            categorical_generalized_cross_entropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            q=q,
        )
        self.q = q
