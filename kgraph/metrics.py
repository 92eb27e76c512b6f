"""Metrics (``kgraph.metrics``) as additive per-batch statistics.

A Keras metric keeps state variables that ``update_state`` changes. In
kgraph a training step is one static graph, so a metric instead says which
statistics one batch contributes (``batch_statistics``, written with
``kgraph.ops``): float32 tensors that the native loop sums over the batches
of an epoch. ``result`` then turns the summed statistics into the metric's
value with NumPy. Means are ``total / count``; confusion metrics sum true and
false positives and negatives per threshold.

For eager use the Keras methods work too: ``update_state`` sums the
statistics of NumPy inputs inside the metric, ``result()`` reads them and
``reset_state`` clears them.

Example:

>>> import numpy as np
>>> m = BinaryAccuracy()
>>> stats = m.batch_statistics(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]))
>>> m.result({k: np.asarray(v) for k, v in stats.items()})
0.5
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import losses
from kgraph import objects
from kgraph import ops
from kgraph.losses import cast_like
from kgraph.losses import ones_like
from kgraph.losses import shape_of
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable

EPSILON = losses.EPSILON
NEG_INF = -1e10
"""The threshold (and masked value) Keras uses with ``top_k``."""


def _as_tensor(x: Any) -> Any:
    if isinstance(x, SymbolicTensor | Tensor | Variable):
        return x
    return Tensor(np.asarray(x))


def _float32(x: Any) -> Any:
    return x if x.dtype == "float32" else ops.cast(x, "float32")


@contextlib.contextmanager
def _shape_context(name: str, y_true: Any, y_pred: Any) -> Iterator[None]:
    """Re-raises an op's ``ShapeError`` naming the metric and both shapes."""
    try:
        yield
    except errors.ShapeError as error:
        context = errors.ErrorContext("metric", name)
        if error.context is not None and error.context.kind == "metric":
            raise
        if error.context is not None:
            raise errors.ShapeError(
                f"Metric '{name}': {error}", context=context
            ) from error
        reason = str(error).split(" Received:")[0].rstrip(".")
        raise errors.ShapeError(
            f"Metric '{name}': y_true and y_pred have incompatible shapes "
            f"({reason}). Received: "
            f"y_true.shape={errors.format_shape(shape_of(y_true))}, "
            f"y_pred.shape={errors.format_shape(shape_of(y_pred))}",
            context=context,
        ) from error


def _divide_no_nan(x: Any, y: Any) -> np.ndarray:
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    safe = np.where(y == 0, 1.0, y)
    return np.where(y == 0, 0.0, x / safe)


def _scalar_or_array(value: np.ndarray) -> float | np.ndarray:
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value.astype("float32")


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


# -- base classes --


class Metric:
    """Base class of metrics.

    Two ways to write one. kgraph's built-in metrics implement
    ``batch_statistics`` (kgraph ops, summable over batches), ``result``
    (NumPy, from the summed statistics) and ``statistic_shapes``. A Keras
    style metric creates variables with ``add_variable`` and implements
    ``update_state(y_true, y_pred, sample_weight=None)`` (kgraph ops that
    ``assign``/``assign_add`` the variables), ``result()`` (from the
    variables) and optionally ``reset_state()`` (default: zeros). In
    ``fit`` and ``evaluate`` its ``update_state`` runs inside the compiled
    loop as state updates; ``result()`` is computed from the variables
    after each chunk of batches, as Keras does.

    Args:
        name: the metric's name (default: the class name in snake case).
        dtype: the dtype of the statistics; only ``"float32"``.

    Example:

    >>> m = Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> m.result()
    4.0
    """

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        self.name = name or objects.snake_case(type(self).__name__)
        if dtype not in (None, "float32"):
            raise ValueError(
                f"kgraph metrics compute in float32. Received: dtype={dtype!r}"
            )
        self.dtype = "float32"
        self._totals: dict[str, np.ndarray] | None = None
        self._variables: list[Variable] = []

    # -- Keras-style state ------------------------------------------------------

    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: str | None = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Creates a state variable of the metric (Keras style).

        Args:
            shape: the variable's shape (default a scalar).
            initializer: an initializer or its name (default ``"zeros"``).
            dtype: the dtype (the metric's by default).
            aggregation: accepted for Keras compatibility (one replica).
            name: the variable's name in the metric.

        Returns:
            The ``Variable`` (path ``"<metric>/<name>"``).
        """
        from kgraph import initializers

        name = name or f"variable_{len(self._variables)}"
        shape = tuple(int(d) for d in (shape or ()))
        dtype = dtype or self.dtype
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, name, f"{self.name}/{name}", False, dtype)
        self._variables.append(variable)
        return variable

    def add_weight(
        self,
        shape: Any = (),
        initializer: Any = None,
        dtype: str | None = None,
        name: str | None = None,
    ) -> Variable:
        """Creates a state variable (the same as ``add_variable``)."""
        return self.add_variable(shape, initializer or "zeros", dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The metric's state variables (Keras style)."""
        return list(self._variables)

    @property
    def stateful(self) -> bool:
        """Whether the metric keeps its state in variables (Keras style)
        rather than in additive statistics."""
        return type(self).batch_statistics is Metric.batch_statistics

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the statistics one batch contributes, as kgraph tensors.

        Args:
            y_true: the batch's targets.
            y_pred: the batch's predictions.
            sample_weight: optional weights.

        Returns:
            A dict from statistic name to a float32 tensor of a fixed shape
            (see ``statistic_shapes``), to be summed over batches.
        """
        raise NotImplementedError

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the name and shape of each statistic."""
        raise NotImplementedError

    def initial_totals(self) -> dict[str, np.ndarray]:
        """Returns zero totals, the sums before the first batch."""
        return {
            key: np.zeros(shape, dtype="float32")
            for key, shape in self.statistic_shapes().items()
        }

    def result(self, totals: Mapping[str, Any] | None = None) -> Any:
        """Returns the metric from summed statistics.

        Args:
            totals: the statistics summed over batches (NumPy arrays); by
                default the ones ``update_state`` accumulated.

        Returns:
            A Python float (or a NumPy array for several thresholds).
        """
        raise NotImplementedError

    def _totals_or_own(self, totals: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
        if totals is None:
            totals = self._totals if self._totals is not None else self.initial_totals()
        return {key: np.asarray(value) for key, value in totals.items()}

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Adds one batch's statistics (computed eagerly) to the metric's own."""
        stats = self.batch_statistics(*args, **kwargs)
        if self._totals is None:
            self._totals = self.initial_totals()
        for key, value in stats.items():
            self._totals[key] = self._totals[key] + np.asarray(value, dtype="float32")

    def reset_state(self) -> None:
        """Clears the statistics ``update_state`` accumulated (Keras style:
        sets every variable to zeros)."""
        self._totals = None
        for variable in self._variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Updates the state with one batch and returns the result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Metric:
        """Creates a metric from ``get_config``'s result."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _samplewise(values: Any, sample_weight: Any) -> tuple[Any, Any]:
    """Reduces values (and weights) to one per sample, like Keras's ``Mean``.

    Values beyond the weights' rank are averaged; the weights are broadcast
    to the values, multiplied in, and averaged down to one per sample.
    """
    values = to_float(values, "float32")
    if sample_weight is not None:
        sample_weight = to_float(sample_weight, "float32")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank, value_rank = sample_weight.ndim, values.ndim
        if value_rank > weight_rank:
            values = losses.mean(values, axis=tuple(range(weight_rank, value_rank)))
        sample_weight = ops.multiply(sample_weight, ones_like(values))
        values = ops.multiply(values, sample_weight)
        if weight_rank > 1:
            sample_weight = losses.mean(
                sample_weight, axis=tuple(range(1, sample_weight.ndim))
            )
    if values.ndim > 1:
        values = losses.mean(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Mean(Metric):
    """The (weighted) mean of values.

    Statistics: ``total = sum(w * v)`` and ``count = sum(w)`` (the number of
    samples without weights); the result is ``total / count``, 0 when
    ``count`` is 0. Values of rank > 1 are first averaged per sample.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, name: str = "mean", dtype: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def batch_statistics(  # type: ignore[override]
        self, values: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total", "count"}`` for a batch of values.

        Args:
            values: the values, one or more per sample.
            sample_weight: optional weights.

        Returns:
            The two float32 scalars.
        """
        return self._mean_statistics(values, sample_weight)

    def _mean_statistics(self, values: Any, sample_weight: Any) -> dict[str, Any]:
        values, sample_weight = _samplewise(values, sample_weight)
        total = ops.sum(values)
        if sample_weight is not None:
            number = ops.sum(sample_weight)
        else:
            number = ops.sum(ones_like(values))
        return {"total": _float32(total), "count": _float32(number)}

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns ``{"total": (), "count": ()}``."""
        return {"total": (), "count": ()}

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns ``total / count`` (0 when ``count`` is 0)."""
        totals = self._totals_or_own(totals)
        return float(_divide_no_nan(totals["total"], totals["count"]))


class Sum(Metric):
    """The (weighted) sum of values.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = Sum()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> m.result()
    16.0
    """

    def __init__(self, name: str = "sum", dtype: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def batch_statistics(  # type: ignore[override]
        self, values: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total"}`` for a batch of values."""
        values, _ = _samplewise(values, sample_weight)
        return {"total": _float32(ops.sum(values))}

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns ``{"total": ()}``."""
        return {"total": ()}

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the total."""
        return float(self._totals_or_own(totals)["total"])


class MeanMetricWrapper(objects.FunctionWrapper, Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred)``.

    Statistics: ``total = sum(w * fn(y_true, y_pred))`` and
    ``count = sum(w)``; the result is ``total / count``, 0 when ``count`` is 0.

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` returning values per sample.
        name: the metric's name (default: ``fn``'s name).
        dtype: ``"float32"``.
        **kwargs: keyword arguments passed on to ``fn``.

    Example:

    >>> m = MeanMetricWrapper(losses.mean_absolute_error, name="mae")
    >>> m.update_state([[0.0], [2.0]], [[1.0], [2.0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "mean"), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total", "count"}`` of ``fn`` over a batch.

        Raises:
            ShapeError: naming the metric, when the shapes do not fit.
        """
        with _shape_context(self.name, y_true, y_pred):
            values = self.fn(y_true, y_pred, **self._fn_kwargs)
            return self._mean_statistics(values, sample_weight)


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


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error, averaged over samples.

    Example:

    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(
        self, name: str = "mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean absolute error, averaged over samples.

    Example:

    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(
        self, name: str = "mean_absolute_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean absolute percentage error, averaged over samples:
    ``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))``.

    Example:

    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[1.0], [2.0]], [[1.5], [2.0]])
    >>> round(m.result(), 4)
    25.0
    """

    def __init__(
        self, name: str = "mean_absolute_percentage_error", dtype: str | None = None
    ) -> None:
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all values.

    Example:

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.5
    """

    def __init__(
        self, name: str = "root_mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)

    def batch_statistics(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total", "count"}`` of the squared errors."""
        with _shape_context(self.name, y_true, y_pred):
            y_pred = to_float(y_pred)
            y_true = cast_like(y_true, y_pred)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            error_sq = ops.square(ops.subtract(y_pred, y_true))
            return self._mean_statistics(error_sq, sample_weight)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns ``sqrt(total / count)``."""
        return float(np.sqrt(super().result(totals)))


class BinaryCrossentropy(MeanMetricWrapper):
    """The binary crossentropy, averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        from_logits: whether predictions are logits.
        label_smoothing: see ``kgraph.losses.binary_crossentropy``.
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(
            losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """The categorical crossentropy, averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        from_logits: whether predictions are logits.
        label_smoothing: see ``kgraph.losses.categorical_crossentropy``.
        axis: the class axis.
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The sparse categorical crossentropy, averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.
        from_logits: whether predictions are logits.
        axis: the class axis.
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            axis=axis,
        )


# -- confusion-matrix metrics --


def _check_thresholds(thresholds: list[float]) -> None:
    invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def _parse_thresholds(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple) else [thresholds]
    _check_thresholds(values)
    return [float(t) for t in values]


def is_evenly_distributed_thresholds(thresholds: Any) -> bool:
    """Whether thresholds are ``i / (n - 1)`` for ``i < n``, ``n >= 3``.

    Keras then buckets predictions instead of comparing them with each
    threshold; kgraph reproduces that path's exact counts.
    """
    thresholds = np.asarray(thresholds, dtype="float64")
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype="float32") / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x: Any, k: int) -> Any:
    """Keeps the ``k`` largest values along the last axis, others NEG_INF.

    Ties go to the lower index, as ``top_k`` does.
    """
    size = x.shape[-1]
    column = ops.expand_dims(x, -1)
    row = ops.expand_dims(x, -2)
    above = ops.cast(ops.greater(row, column), "float32")
    earlier = np.tril(np.ones((size, size), dtype="float32"), -1)
    ties = ops.multiply(ops.cast(ops.equal(row, column), "float32"), earlier)
    rank = ops.sum(ops.add(above, ties), axis=-1)
    return ops.where(ops.less(rank, float(k)), x, NEG_INF)


class _Confusion:
    """Computes confusion counts per threshold with kgraph ops.

    Mirrors Keras's ``update_confusion_matrix_variables``: a prediction is
    positive at a threshold when it is strictly greater; labels are cast to
    bool; weights broadcast to the predictions. With evenly spaced
    thresholds Keras clips predictions to [0, 1] and buckets them by
    ``ceil(p * (n - 1)) - 1``; the comparison ``p * (n - 1) > i`` below
    gives the same counts.
    """

    def __init__(
        self,
        thresholds: list[float],
        evenly: bool,
        multi_label: bool = False,
        top_k: int | None = None,
        class_id: int | None = None,
        label_weights: Any = None,
    ) -> None:
        self.thresholds = thresholds
        self.evenly = evenly
        self.multi_label = multi_label
        self.top_k = top_k
        self.class_id = class_id
        self.label_weights = label_weights

    def _prepare(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
        y_true = to_float(y_true, "float32")
        y_pred = to_float(y_pred, "float32")
        y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
        if sample_weight is not None:
            sample_weight = ops.expand_dims(to_float(sample_weight, "float32"), -1)
            _, sample_weight = squeeze_or_expand_to_same_rank(
                y_true, sample_weight, expand_rank_1=False
            )
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(
                    "When class_id is provided, y_pred must be a 2D array with "
                    "shape (num_samples, num_classes). Received: "
                    f"y_pred.shape={errors.format_shape(y_pred.shape)}"
                )
            window = (Ellipsis, slice(self.class_id, self.class_id + 1))
            y_true = ops.get_item(y_true, window)
            y_pred = ops.get_item(y_pred, window)
        return y_true, y_pred, sample_weight

    def _positive(self, y_pred: Any) -> Any:
        """Boolean ``(T, N)`` (or ``(T, N, L)``): prediction above threshold."""
        count_t = len(self.thresholds)
        if self.evenly:
            y_pred = ops.clip(y_pred, 0.0, 1.0)
            scaled = ops.multiply(y_pred, np.float32(count_t - 1))
            levels = np.arange(count_t, dtype="float32")
            if self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0:
                levels[0] = -1.0  # the -epsilon threshold: every prediction
            return self._compare(scaled, levels)
        return self._compare(y_pred, np.asarray(self.thresholds, dtype="float32"))

    def _compare(self, values: Any, levels: np.ndarray) -> Any:
        shape = (len(levels),) + (1,) * values.ndim
        return ops.greater(ops.expand_dims(values, 0), levels.reshape(shape))

    def statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any, keys: tuple[str, ...]
    ) -> dict[str, Any]:
        """Returns the weighted counts named in ``keys`` (tp, fp, tn, fn)."""
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight)
        if not self.multi_label:
            y_true = ops.reshape(y_true, (-1,)) if y_true.ndim != 1 else y_true
            if sample_weight is not None:
                sample_weight = ops.multiply(sample_weight, ones_like(y_pred))
                sample_weight = ops.reshape(sample_weight, (-1,))
            if self.label_weights is not None:
                label_weights = ops.multiply(self.label_weights, ones_like(y_pred))
                label_weights = ops.reshape(label_weights, (-1,))
                sample_weight = (
                    label_weights
                    if sample_weight is None
                    else ops.multiply(sample_weight, label_weights)
                )
            y_pred = ops.reshape(y_pred, (-1,))
        elif sample_weight is not None:
            sample_weight = ops.multiply(sample_weight, ones_like(y_pred))
        labels = ops.cast(ops.cast(y_true, "bool"), "float32")
        positive = ops.cast(self._positive(y_pred), "float32")
        true_weight = (
            labels if sample_weight is None else ops.multiply(labels, sample_weight)
        )
        false_weight = ops.subtract(1.0, labels)
        if sample_weight is not None:
            false_weight = ops.multiply(false_weight, sample_weight)
        tp = ops.sum(ops.multiply(positive, true_weight), axis=1)
        fp = ops.sum(ops.multiply(positive, false_weight), axis=1)
        stats = {"true_positives": tp, "false_positives": fp}
        if "false_negatives" in keys or "true_negatives" in keys:
            if self.evenly:
                axis = 0 if self.multi_label else None
                fn = ops.subtract(ops.sum(true_weight, axis=axis), tp)
                tn = ops.subtract(ops.sum(false_weight, axis=axis), fp)
            else:
                negative = ops.subtract(1.0, positive)
                fn = ops.sum(ops.multiply(negative, true_weight), axis=1)
                tn = ops.sum(ops.multiply(negative, false_weight), axis=1)
            stats.update({"false_negatives": fn, "true_negatives": tn})
        return {key: _float32(stats[key]) for key in keys}


class _ThresholdedConfusion(Metric):
    """Base of the metrics that sum confusion counts at given thresholds.

    Subclasses name the counts they sum in ``_KEYS`` and compute ``result``;
    a count has one value per threshold.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5, or
            ``NEG_INF`` with ``top_k``).
        top_k: only the ``top_k`` largest predictions of each sample count.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.
    """

    _KEYS: tuple[str, ...] = ()

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        self._confusion = _Confusion(
            self.thresholds,
            is_evenly_distributed_thresholds(self.thresholds),
            top_k=top_k,
            class_id=class_id,
        )

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's counts, each of shape ``(len(thresholds),)``.

        Raises:
            ShapeError: naming the metric, when the shapes do not fit.
        """
        with _shape_context(self.name, y_true, y_pred):
            return self._confusion.statistics(y_true, y_pred, sample_weight, self._KEYS)

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes: ``(len(thresholds),)`` each."""
        return {key: (len(self.thresholds),) for key in self._KEYS}

    def _per_threshold(self, value: np.ndarray) -> float | np.ndarray:
        """A float for one threshold, a float32 array for several (Keras)."""
        return _scalar_or_array(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "thresholds": self.init_thresholds}


class Precision(_ThresholdedConfusion):
    """Precision: ``true_positives / (true_positives + false_positives)``.

    Statistics: the weighted true and false positives per threshold; a
    prediction is positive when it is strictly above the threshold.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5;
            use 0 for logits). With several, ``result`` gives an array.
        top_k: only the ``top_k`` largest predictions of each sample count.
        class_id: only this class (last axis index) counts.
        name: the metric's name.
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.

    Example:

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _KEYS = ("true_positives", "false_positives")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)
        self.top_k = top_k
        self.class_id = class_id

    def _ratio(self, totals: dict[str, np.ndarray], other: str) -> float | np.ndarray:
        tp = totals["true_positives"]
        return self._per_threshold(_divide_no_nan(tp, tp + totals[other]))

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the precision (an array for several thresholds)."""
        return self._ratio(self._totals_or_own(totals), "false_positives")

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """Recall: ``true_positives / (true_positives + false_negatives)``.

    Statistics: the weighted true positives and false negatives per
    threshold. Arguments as for ``Precision``.

    Example:

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _KEYS = ("true_positives", "false_negatives")

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the recall (an array for several thresholds)."""
        return self._ratio(self._totals_or_own(totals), "false_negatives")


_CONDITION_COUNT_ARGS = """    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5;
            use 0 for logits). With several, ``result`` gives an array.
        name: the metric's name (default ``"{name}"``).
        dtype: ``"float32"``.

    Raises:
        ValueError: for a threshold outside ``[0, 1]``.

"""


class _ConfusionMatrixConditionCount(_ThresholdedConfusion):
    """The weighted count of one confusion-matrix condition per threshold.

    ``_KEYS`` names the one count; ``result`` returns it as it is. Each
    subclass's docstring gets the Args and Raises sections they share.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        doc = cls.__doc__ or ""
        if "Args:" not in doc and "    Example:" in doc:
            shared = _CONDITION_COUNT_ARGS.format(name=cls._KEYS[0])
            cls.__doc__ = doc.replace("    Example:", shared + "    Example:", 1)

    def __init__(
        self,
        thresholds: Any = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self, totals: Mapping[str, Any] | None = None) -> float | np.ndarray:
        """Returns the count (an array for several thresholds)."""
        return self._per_threshold(self._totals_or_own(totals)[self._KEYS[0]])


class TruePositives(_ConfusionMatrixConditionCount):
    """The number of true positives: positive labels predicted positive.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample). A prediction is positive when it is strictly above the
    threshold; labels count as positive when nonzero.

    Example:

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    2.0
    >>> m = TruePositives(thresholds=[0.2, 0.8])
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 0.5])
    >>> m.result()
    array([2., 1.], dtype=float32)
    """

    _KEYS = ("true_positives",)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The number of false positives: negative labels predicted positive.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    1.0
    """

    _KEYS = ("false_positives",)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The number of true negatives: negative labels predicted negative.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _KEYS = ("true_negatives",)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The number of false negatives: positive labels predicted negative.

    With ``sample_weight`` it is the sum of their weights (0 masks a
    sample).

    Example:

    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _KEYS = ("false_negatives",)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, Keras's approximation.

    Predictions are compared with ``num_thresholds`` thresholds: ``-1e-7``,
    ``i / (num_thresholds - 1)`` for ``0 < i < num_thresholds - 1``, and
    ``1 + 1e-7``. Statistics: weighted true/false positives/negatives per
    threshold. ``result`` sums the Riemann terms of the curve:
    ``sum((x[i] - x[i+1]) * (y[i] + y[i+1]) / 2)`` for ROC (x the false
    positive rate, y the recall) with ``summation_method="interpolation"``,
    and Davis & Goadrich's interpolation for PR, exactly as Keras.

    Args:
        num_thresholds: the number of thresholds (> 1).
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: the metric's name.
        dtype: ``"float32"``.
        thresholds: explicit thresholds in ``[0, 1]`` (then
            ``num_thresholds`` is ``len(thresholds) + 2``).
        multi_label: compute one AUC per label (last axis) and average them.
        num_labels: the number of labels with ``multi_label``.
        label_weights: weights of the labels.
        from_logits: whether predictions are logits (a sigmoid is applied).

    Example:

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    """

    _KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: str | None = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.curve = _choice("curve", curve, ("ROC", "PR"))
        self.summation_method = _choice(
            "summation_method",
            summation_method,
            ("interpolation", "majoring", "minoring"),
        )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            _check_thresholds(inner)
            self.num_thresholds = len(inner) + 2
            evenly = is_evenly_distributed_thresholds([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self._thresholds = [0.0 - EPSILON, *inner, 1.0 + EPSILON]
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None
            if label_weights is None
            else np.asarray(label_weights, dtype="float32")
        )
        self.from_logits = from_logits
        self._confusion = _Confusion(
            self._thresholds,
            evenly,
            multi_label=multi_label,
            label_weights=None if multi_label else self.label_weights,
        )

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, the endpoints ``-1e-7`` and ``1 + 1e-7`` included."""
        return list(self._thresholds)

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's counts, each of shape ``(num_thresholds,)``
        (``(num_thresholds, num_labels)`` with ``multi_label``).

        Raises:
            ValueError: with ``multi_label``, for predictions not of rank 2.
        """
        with _shape_context(self.name, y_true, y_pred):
            y_pred = to_float(y_pred, "float32")
            if self.multi_label:
                if y_pred.ndim != 2 or y_pred.shape[1] is None:
                    raise ValueError(
                        "`y_pred` must have rank 2 (and a known number of labels) "
                        f"when `multi_label=True`. Received: y_pred.shape="
                        f"{errors.format_shape(y_pred.shape)}"
                    )
                self.num_labels = self.num_labels or y_pred.shape[1]
            if self.from_logits:
                y_pred = ops.sigmoid(y_pred)
            return self._confusion.statistics(y_true, y_pred, sample_weight, self._KEYS)

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the count shapes.

        Raises:
            ValueError: with ``multi_label`` before the number of labels is known.
        """
        shape: tuple[int, ...] = (self.num_thresholds,)
        if self.multi_label:
            if not self.num_labels:
                raise ValueError(
                    "AUC(multi_label=True) needs `num_labels` (or one batch) to "
                    "know the shape of its statistics. Received: num_labels=None"
                )
            shape = (self.num_thresholds, int(self.num_labels))
        return {key: shape for key in self._KEYS}

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the area under the curve."""
        totals = self._totals_or_own(totals)
        tp = totals["true_positives"].astype("float64")
        fp = totals["false_positives"].astype("float64")
        tn = totals["true_negatives"].astype("float64")
        fn = totals["false_negatives"].astype("float64")
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr(tp, fp, fn)
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        return float(self._average(terms))

    def _interpolate_pr(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> Any:
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return _divide_no_nan(
            slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)
        )

    def _average(self, terms: np.ndarray) -> Any:
        if not self.multi_label:
            return np.sum(terms)
        by_label = np.sum(terms, axis=0)
        if self.label_weights is None:
            return np.mean(by_label)
        return _divide_no_nan(
            np.sum(by_label * self.label_weights), np.sum(self.label_weights)
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": (
                None if self.label_weights is None else self.label_weights.tolist()
            ),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _choice(argument: str, value: str, allowed: tuple[str, ...]) -> str:
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ValueError(
        f"Invalid `{argument}` argument value. Expected one of: "
        f"{', '.join(allowed)}. Received: {argument}={value!r}"
    )


# -- lookup --

_CLASS_LIST: tuple[type[Metric], ...] = (
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    RootMeanSquaredError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
)

_CLASSES: dict[str, type[Metric]] = objects.name_table(
    _CLASS_LIST,
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
    },
)
del _CLASSES["mean_metric_wrapper"], _CLASSES["MeanMetricWrapper"]

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        losses.mean_squared_error,
        losses.mean_absolute_error,
        losses.mean_absolute_percentage_error,
        losses.binary_crossentropy,
        losses.categorical_crossentropy,
        losses.sparse_categorical_crossentropy,
        losses.huber,
    )
}


def accuracy_class(
    loss: Any = None,
    output_shape: Any = None,
    target_shape: Any = None,
) -> type[Metric]:
    """Chooses the accuracy that ``"accuracy"``/``"acc"`` stands for.

    Keras 3 (``compile_utils.get_metric``) decides from the shapes of the
    targets and outputs: an output whose last dimension is 1 gives
    ``BinaryAccuracy``; targets of lower rank than the output, or with a last
    dimension of 1 against a wider output, give
    ``SparseCategoricalAccuracy``; anything else ``CategoricalAccuracy``.
    When the target shape is not known yet, the loss stands in for it (a
    sparse categorical crossentropy means sparse targets); when the output
    shape is not known either, the loss decides alone (binary, sparse or
    categorical crossentropy; ``CategoricalAccuracy`` for other losses).

    Args:
        loss: the compiled loss (name, class, instance or function).
        output_shape: the model output's shape.
        target_shape: the targets' shape.

    Returns:
        The metric class.
    """
    kind = losses.crossentropy_kind(loss) if loss is not None else None
    if output_shape is not None and len(output_shape) > 0:
        output_shape = tuple(output_shape)
        if output_shape[-1] == 1:
            return BinaryAccuracy
        if target_shape is not None:
            target_shape = tuple(target_shape)
            last = target_shape[-1] if target_shape else None
            sparse = len(target_shape) < len(output_shape) or (
                last == 1 and (output_shape[-1] is None or output_shape[-1] > 1)
            )
            return SparseCategoricalAccuracy if sparse else CategoricalAccuracy
        return SparseCategoricalAccuracy if kind == "sparse" else CategoricalAccuracy
    if kind == "binary":
        return BinaryAccuracy
    if kind == "sparse":
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


class _Metrics(objects.ObjectFamily):
    """Metrics: a name keeps what the user wrote as the metric's name, and
    a callable is averaged over samples by a ``MeanMetricWrapper``."""

    def make(self, found: Any, name: str | None) -> Any:
        if not inspect.isclass(found):
            return MeanMetricWrapper(found, name=name or found.__name__)
        metric = found()
        if name is not None:
            metric.name = name
        return metric

    def from_callable(self, fn: Any) -> Any:
        name = getattr(fn, "name", None) or getattr(fn, "__name__", None)
        return MeanMetricWrapper(fn, name=name or objects.snake_case(type(fn).__name__))

    def names(self) -> list[str]:
        return sorted({"accuracy", "acc", *self.table})


MeanMetricWrapper._FUNCTIONS = _FUNCTIONS

FAMILY = _Metrics(
    "metric",
    Metric,
    _CLASSES,
    config_table={cls.__name__: cls for cls in _CLASS_LIST},
    accepts="a Metric class or instance, or a callable",
)
"""The metrics' ``ObjectFamily``: class names, snake-case names and aliases."""


def get(
    identifier: Any,
    loss: Any = None,
    output_shape: Any = None,
    target_shape: Any = None,
) -> Metric | None:
    """Resolves a metric identifier to a ``Metric``, as ``model.compile`` does.

    ``"accuracy"`` and ``"acc"`` (any case) become the binary, categorical
    or sparse categorical accuracy (see ``accuracy_class``). Names keep what
    the user wrote: ``get("acc").name == "acc"``, ``get("mse").name ==
    "mse"``. A class gives a new instance, an instance is returned as it is,
    and any other callable ``fn(y_true, y_pred)`` is averaged over samples by
    a ``MeanMetricWrapper`` named after it.

    Args:
        identifier: a name, a ``{"class_name", "config"}`` dict, a ``Metric``
            class or instance, or a callable.
        loss: the compiled loss, used to resolve ``"accuracy"``.
        output_shape: the model output's shape, used to resolve ``"accuracy"``.
        target_shape: the targets' shape, used to resolve ``"accuracy"``.

    Returns:
        A ``Metric``, or ``None`` for ``None``.

    Raises:
        ValueError: for an unknown name or an identifier that is not callable.

    Example:

    >>> m = get("accuracy", loss="sparse_categorical_crossentropy")
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'accuracy')
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return accuracy_class(loss, output_shape, target_shape)(name=identifier)
    return FAMILY.get(identifier)


_, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "serialize": """>>> serialize(Mean(name="loss"))
{'class_name': 'Mean', 'config': {'name': 'loss', 'dtype': 'float32'}}""",
    },
)


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "FalseNegatives",
    "FalsePositives",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "Sum",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "accuracy_class",
    "binary_accuracy",
    "categorical_accuracy",
    "deserialize",
    "get",
    "serialize",
    "sparse_categorical_accuracy",
]
