"""The base of the losses: tensor helpers, Keras's reductions, ``Loss`` and
``LossFunctionWrapper``.

The helpers (``to_float``, ``squeeze_or_expand_to_same_rank``, ``mean``,
...) are shared with ``kgraph.metrics``; ``reduce_weighted_values`` weights
per-sample values and reduces them exactly as Keras 3's losses do.

Example:

>>> float(reduce_weighted_values(np.array([1.0, 3.0]), np.array([1.0, 0.0])))
0.5
"""

from __future__ import annotations

import functools
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


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


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
    ...         return mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)
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
        # A mask the loss attached to its values (``circle``'s positive
        # values), as Keras's ``get_keras_mask(losses)``.
        for extra in (keras_mask, builder.mask_of(values)):
            if extra is not None:
                mask = extra if mask is None else ops.logical_and(mask, extra)
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

    >>> def mean_absolute_error(y_true, y_pred):
    ...     return mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)
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
