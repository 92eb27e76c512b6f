"""Loss functions and classes (``kgraph.losses``), as in ``keras.losses``.

The functions (``mean_squared_error``, ``binary_crossentropy``, ...) return
the per-sample loss: one value per sample, the mean over the last axis, with
Keras 3's exact formulas. The classes (``MeanSquaredError``, ...) wrap them
and reduce the per-sample values to the scalar a model trains on, weighting
by ``sample_weight``. Everything is written with ``kgraph.ops``, so it runs
eagerly on arrays and builds graph nodes on symbolic tensors: the native
training loop computes the loss inside its one static graph.

Example:

>>> import numpy as np
>>> y_true = np.array([[0.0, 1.0], [0.0, 0.0]], dtype="float32")
>>> y_pred = np.array([[1.0, 1.0], [1.0, 0.0]], dtype="float32")
>>> mean_squared_error(y_true, y_pred).numpy()
array([0.5, 0.5], dtype=float32)
>>> float(MeanSquaredError()(y_true, y_pred))
0.5
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph import objects
from kgraph import ops
from kgraph.ops import builder
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable

EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: probabilities are clipped to
``[EPSILON, 1 - EPSILON]`` before their logarithm is taken."""

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")


# -- tensor helpers (shared with kgraph.metrics) --


def _is_tensor(x: Any) -> bool:
    return isinstance(x, SymbolicTensor | Tensor | Variable)


def to_float(x: Any, dtype: str | None = None) -> Any:
    """Returns ``x`` as a float tensor.

    Tensors keep a float dtype (ints and bools become ``float32``); arrays
    and Python values become ``float32`` tensors, the dtype kgraph computes
    in. With ``dtype`` the result is cast to it.

    Args:
        x: a tensor, array or Python value.
        dtype: an optional float dtype to cast to.

    Returns:
        A tensor.
    """
    if not _is_tensor(x):
        x = Tensor(np.asarray(x), dtype or "float32")
    if dtype is not None:
        return x if x.dtype == dtype else ops.cast(x, dtype)
    return x if dtypes.is_float(x.dtype) else ops.cast(x, "float32")


def cast_like(x: Any, reference: Any) -> Any:
    """Returns ``x`` as a tensor with ``reference``'s dtype."""
    if not _is_tensor(x):
        return Tensor(np.asarray(x), reference.dtype)
    return x if x.dtype == reference.dtype else ops.cast(x, reference.dtype)


def shape_of(x: Any) -> tuple[int | None, ...]:
    """Returns the static shape of a tensor, array or nested list."""
    if _is_tensor(x) or hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))


def squeeze_or_expand_to_same_rank(
    x1: Any, x2: Any, expand_rank_1: bool = True
) -> tuple[Any, Any]:
    """Makes two tensors the same rank when their ranks differ by one.

    The one of higher rank with a last dimension of 1 is squeezed, or, when
    the other is of rank 1 and ``expand_rank_1``, the other is expanded, as
    Keras does (``(batch,)`` labels against ``(batch, 1)`` predictions).

    Args:
        x1: a tensor.
        x2: a tensor.
        expand_rank_1: expand a rank-1 tensor rather than squeeze the other.

    Returns:
        The two tensors.
    """
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def ones_like(x: Any, dtype: str = "float32") -> Any:
    """Returns ones of ``x``'s (possibly partly unknown) shape.

    Float32 by default (``kgraph.ops.ones_like`` keeps ``x``'s dtype).
    """
    return ops.ones_like(x, dtype)


def count(x: Any, axis: Any = None) -> Any:
    """Returns the number of elements of ``x`` over ``axis`` as float32.

    A Python float when those dimensions are static; otherwise a scalar
    tensor computed when the graph runs (the batch dimension).
    """
    shape = tuple(x.shape)
    axes = range(len(shape)) if axis is None else _axes(axis, len(shape))
    dims = [shape[a] for a in axes]
    if all(d is not None for d in dims):
        return float(np.prod(dims)) if dims else 1.0
    return ops.sum(ones_like(x), axis=tuple(axes) if axis is not None else None)


def _axes(axis: Any, rank: int) -> tuple[int, ...]:
    items = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % rank for a in items)


def mean(x: Any, axis: Any = None) -> Any:
    """The mean over ``axis``, also over a dimension unknown until run time."""
    total = ops.sum(x, axis=axis)
    return ops.divide(total, count(x, axis))


def divide_no_nan(x: Any, y: Any) -> Any:
    """Returns ``x / y``, and 0 where ``y`` is 0."""
    if isinstance(y, float):
        return ops.divide(x, y) if y != 0.0 else ops.multiply(x, 0.0)
    zero = ops.equal(y, 0.0)
    return ops.where(zero, 0.0, ops.divide(x, ops.where(zero, 1.0, y)))


def _same_shape(first: tuple, second: tuple) -> bool:
    if len(first) != len(second):
        return False
    return all(
        a is None or b is None or a == b for a, b in zip(first, second, strict=True)
    )


def _shape_error(name: str, y_true: Any, y_pred: Any, what: str) -> errors.ShapeError:
    return errors.ShapeError(
        f"Loss '{name}': {what}. Received: "
        f"y_true.shape={errors.format_shape(shape_of(y_true))}, "
        f"y_pred.shape={errors.format_shape(shape_of(y_pred))}",
        context=errors.ErrorContext("loss", name),
    )


def _check_same_shape(name: str, y_true: Any, y_pred: Any) -> None:
    if not _same_shape(shape_of(y_true), shape_of(y_pred)):
        raise _shape_error(
            name, y_true, y_pred, "y_true and y_pred must have the same shape"
        )


def _with_shape_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Re-raises an op's ``ShapeError`` with the loss name and both shapes."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(y_true, y_pred, *args, **kwargs)
        except errors.ShapeError as error:
            if error.context is not None:
                raise
            reason = str(error).split(" Received:")[0].rstrip(".")
            raise _shape_error(
                name,
                y_true,
                y_pred,
                f"y_true and y_pred have incompatible shapes ({reason})",
            ) from error

    return wrapper


def _prepare(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    return y_true, y_pred


# -- loss functions --


@_with_shape_context
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean squared error between labels and predictions.

    Formula:

    ```python
    loss = mean(square(y_true - y_pred), axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


@_with_shape_context
def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean absolute error between labels and predictions.

    Formula:

    ```python
    loss = mean(abs(y_true - y_pred), axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


@_with_shape_context
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Computes the mean absolute percentage error between labels and
    predictions.

    Formula:

    ```python
    loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), EPSILON)),
                      axis=-1)
    ```

    Args:
        y_true: ground truth values, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted values, shape ``(batch, d0, ..., dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, ..., dN-1)``.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]).numpy()
    array([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), EPSILON)
    errors_ = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(mean(errors_, axis=-1), 100.0)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error


@_with_shape_context
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Computes the Huber loss.

    Formula:

    ```python
    error = y_pred - y_true
    loss = where(abs(error) <= delta,
                 0.5 * error**2,
                 delta * abs(error) - 0.5 * delta**2)
    loss = mean(loss, axis=-1)
    ```

    Args:
        y_true: ground truth values.
        y_pred: predicted values.
        delta: where the loss changes from quadratic to linear.

    Returns:
        The per-sample loss.

    Raises:
        ShapeError: when the shapes do not broadcast.

    Example:

    >>> huber([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).numpy().round(4)
    array([0.18, 0.13], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


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


# -- reduction --


def standardize_reduction(reduction: Any) -> str:
    """Checks a reduction name; ``None`` means ``"none"``.

    Raises:
        ValueError: for an unknown reduction.
    """
    if reduction is None:
        return "none"
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of "
            f"{', '.join(REDUCTIONS)} or None. Received: reduction={reduction!r}"
        )
    return reduction


def _merge_mask(sample_weight: Any, mask: Any, reduction: str, dtype: str) -> Any:
    """Folds a mask into the sample weights the way Keras's ``apply_mask`` does.

    For the averaging reductions, valid entries weigh ``total / valid`` so
    that the mean runs over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask_float = ops.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        weight = divide_no_nan(count(mask_float), ops.sum(mask_float))
        mask_float = ops.where(mask, weight, 0.0)
    if sample_weight is None:
        return mask_float
    mask_float, sample_weight = squeeze_or_expand_to_same_rank(
        mask_float, sample_weight
    )
    # One weight per sample against a mask per sample and step.
    while 0 < len(sample_weight.shape) < len(mask_float.shape):
        sample_weight = ops.expand_dims(sample_weight, -1)
    return ops.multiply(sample_weight, mask_float)


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: str = "sum_over_batch_size",
    dtype: str = "float32",
) -> Any:
    """Weights per-sample values and reduces them as Keras's losses do.

    ``"sum_over_batch_size"`` (and ``"mean"``) give
    ``sum(values * sample_weight) / number_of_values``; ``"sum"`` the sum;
    ``"mean_with_sample_weight"`` divides by ``sum(sample_weight)``;
    ``"none"`` returns the weighted values.

    Args:
        values: the per-sample losses.
        sample_weight: optional weights, broadcastable to ``values`` after a
            ``(batch, 1)``/``(batch,)`` difference is reconciled; one weight
            per sample also weights every value of a sequence sample.
        mask: an optional boolean mask of valid values.
        reduction: one of ``REDUCTIONS``.
        dtype: the float dtype to compute in.

    Returns:
        The reduced loss (a scalar unless the reduction is ``"none"``).
    """
    reduction = standardize_reduction(reduction)
    values = to_float(values, dtype)
    if sample_weight is not None:
        sample_weight = to_float(sample_weight, dtype)
    sample_weight = _merge_mask(sample_weight, mask, reduction, dtype)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        # One weight per sample against values per sample and step (a
        # sequence output, or the default weights of ones): each weight
        # covers all of its sample's values.
        while 0 < len(sample_weight.shape) < len(values.shape):
            sample_weight = ops.expand_dims(sample_weight, -1)
        values = ops.multiply(values, sample_weight)
    if reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        weights = ops.multiply(ones_like(values), sample_weight)
        return divide_no_nan(loss, ops.sum(weights))
    return divide_no_nan(loss, count(values))


# -- loss classes --


class Loss:
    """Base class of losses: per-sample values, weighted and reduced.

    Subclasses implement ``call(y_true, y_pred)`` returning the per-sample
    loss; ``__call__`` applies ``sample_weight`` and the reduction.

    Args:
        name: the loss's name (default: the class name in snake case).
        reduction: ``"sum_over_batch_size"`` (default: the weighted sum
            divided by the number of per-sample values), ``"sum"``,
            ``"mean"``, ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: the float dtype of the computation (default ``"float32"``).

    Example:

    >>> class MyMSE(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return mean_squared_error(y_true, y_pred)
    >>> float(MyMSE()([[0.0], [2.0]], [[1.0], [2.0]]))
    0.5
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        self.name = name or objects.snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtypes.canonical(dtype or "float32")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Computes the weighted, reduced loss.

        Args:
            y_true: ground truth values.
            y_pred: predicted values.
            sample_weight: optional per-sample (or per-value) weights.

        Returns:
            A scalar tensor (per-sample values for ``reduction="none"``).
        """
        # The predictions' Keras mask (padded steps of a sequence output)
        # drops their values, as Keras's losses do.
        keras_mask = builder.mask_of(y_pred)
        y_pred = to_float(y_pred, self.dtype)
        y_true = to_float(y_true, self.dtype)
        values = self.call(y_true, y_pred)
        mask = self._mask(y_true, y_pred)
        if keras_mask is not None:
            mask = keras_mask if mask is None else ops.logical_and(mask, keras_mask)
        try:
            return reduce_weighted_values(
                values,
                sample_weight=sample_weight,
                mask=mask,
                reduction=self.reduction,
                dtype=self.dtype,
            )
        except errors.ShapeError as error:
            raise errors.ShapeError(
                f"Loss '{self.name}' cannot weight its per-sample values of shape "
                f"{errors.format_shape(shape_of(values))} by sample_weight: "
                f"{error} Received: sample_weight.shape="
                f"{errors.format_shape(shape_of(sample_weight))}",
                context=errors.ErrorContext("loss", self.name),
            ) from error

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Returns the per-sample loss; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred)."
        )

    def _mask(self, y_true: Any, y_pred: Any) -> Any:
        """Returns a boolean mask of the per-sample values to average, or None."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Creates a loss from ``get_config``'s result."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(objects.FunctionWrapper, Loss):
    """Makes a ``Loss`` of a per-sample loss function.

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses.
        reduction: see ``Loss``.
        name: the loss's name (default: the function's name).
        dtype: see ``Loss``.
        **kwargs: keyword arguments passed on to ``fn``.

    Example:

    >>> loss = LossFunctionWrapper(mean_absolute_error, name="mae")
    >>> float(loss([[0.0], [2.0]], [[1.0], [2.0]]))
    0.5
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Reconciles ``(batch,)`` and ``(batch, 1)`` and calls ``fn``."""
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of the squared errors: ``mean(square(y_true - y_pred))``.

    Formula:

    ```python
    loss = mean(square(y_true - y_pred), axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_squared_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of the absolute errors: ``mean(abs(y_true - y_pred))``.

    Formula:

    ```python
    loss = mean(abs(y_true - y_pred), axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error:
    ``100 * mean(abs((y_true - y_pred) / y_true))``.

    Formula:

    ```python
    loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), EPSILON)),
                      axis=-1)   # per sample
    ```

    Args:
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> float(MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
    37.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error,
            name=name,
            reduction=reduction,
            dtype=dtype,
        )


class Huber(LossFunctionWrapper):
    """The Huber loss: quadratic for small errors, linear for large ones.

    Formula:

    ```python
    error = y_pred - y_true
    loss = where(abs(error) <= delta, 0.5 * error**2,
                 delta * abs(error) - 0.5 * delta**2)
    loss = mean(loss, axis=-1)   # per sample
    ```

    Args:
        delta: where the loss changes from quadratic to linear.
        reduction: see ``Loss``.
        name: the loss's name.
        dtype: see ``Loss``.

    Example:

    >>> round(float(Huber()([[0.0, 1.0], [0.0, 0.0]],
    ...                     [[0.6, 0.4], [0.4, 0.6]])), 3)
    0.155
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            huber, name=name, reduction=reduction, dtype=dtype, delta=delta
        )
        self.delta = delta


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


# -- lookup --

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        huber,
    )
}
_FUNCTIONS.update(
    {"mse": mean_squared_error, "MSE": mean_squared_error}
    | {"mae": mean_absolute_error, "MAE": mean_absolute_error}
    | {
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
    }
    | {"bce": binary_crossentropy, "BCE": binary_crossentropy}
)

_CLASSES: dict[str, type[Loss]] = {
    cls.__name__: cls
    for cls in (
        Loss,
        LossFunctionWrapper,
        MeanSquaredError,
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Huber,
    )
}

_BY_FUNCTION: dict[Callable[..., Any], type[Loss]] = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    huber: Huber,
}


class _Losses(objects.ObjectFamily):
    """Losses: a function (by name or as a callable) is wrapped in a
    ``LossFunctionWrapper`` named as written."""

    def make(self, found: Any, name: str | None) -> Any:
        if inspect.isclass(found):
            return found()
        return LossFunctionWrapper(found, name=name or found.__name__)

    def from_callable(self, fn: Any) -> Any:
        name = getattr(fn, "__name__", None) or objects.snake_case(type(fn).__name__)
        return LossFunctionWrapper(fn, name=name)


LossFunctionWrapper._FUNCTIONS = _FUNCTIONS

FAMILY = _Losses(
    "loss",
    Loss,
    _FUNCTIONS
    | {k: v for k, v in _CLASSES.items() if k not in ("Loss", "LossFunctionWrapper")},
    config_table={k: v for k, v in _CLASSES.items() if k != "Loss"},
    plural="losses",
    accepts="a Loss class or instance, or a callable",
)
"""The losses' ``ObjectFamily``: function names, class names and aliases."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get("mse").name
'mse'
>>> type(get("BinaryCrossentropy")).__name__
'BinaryCrossentropy'""",
        "serialize": """>>> serialize(mean_squared_error)
{'class_name': 'function', 'config': 'mean_squared_error'}""",
    },
)


def crossentropy_kind(identifier: Any) -> str | None:
    """Tells which crossentropy a loss identifier is, for ``"accuracy"``.

    Args:
        identifier: anything ``get`` accepts.

    Returns:
        ``"binary"``, ``"categorical"``, ``"sparse"`` or ``None``.
    """
    kinds = {
        binary_crossentropy: "binary",
        categorical_crossentropy: "categorical",
        sparse_categorical_crossentropy: "sparse",
    }
    if isinstance(identifier, str):
        identifier = _FUNCTIONS.get(identifier) or _CLASSES.get(identifier)
    if inspect.isclass(identifier):
        for fn, cls in _BY_FUNCTION.items():
            if issubclass(identifier, cls):
                return kinds.get(fn)
        return None
    if isinstance(identifier, LossFunctionWrapper):
        identifier = identifier.fn
    return kinds.get(identifier)


__all__ = [
    "MAE",
    "MAPE",
    "MSE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Huber",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "deserialize",
    "get",
    "huber",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mse",
    "serialize",
    "sparse_categorical_crossentropy",
]
