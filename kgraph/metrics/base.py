"""The base of the metrics: ``Metric`` (additive batch statistics, or
Keras-style variables), ``Mean``, ``Sum`` and ``MeanMetricWrapper``, and the
helpers the metric modules share.

Example:

>>> m = Mean()
>>> m.update_state([1.0, 3.0])
>>> m.result()
2.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import losses
from kgraph import objects
from kgraph import ops
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
        self._dtype = "float32"
        self._totals: dict[str, np.ndarray] | None = None
        self._variables: list[Variable] = []

    @property
    def dtype(self) -> str:
        """The dtype of the metric's computations and state: ``"float32"``."""
        return self._dtype

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

    # -- the functional (stateless) versions ------------------------------------

    def _state_keys(self) -> list[str]:
        return list(self.statistic_shapes())

    @contextlib.contextmanager
    def _swapped_variables(self, values: Any) -> Iterator[None]:
        """Gives the Keras-style variables ``values`` for the duration."""
        saved = [np.array(variable.numpy()) for variable in self._variables]
        try:
            for variable, value in zip(self._variables, values, strict=True):
                variable.assign(np.asarray(value, dtype=variable.dtype))
            yield
        finally:
            for variable, value in zip(self._variables, saved, strict=True):
                variable.assign(value)

    def _check_state(self, metric_variables: Any, expected: int) -> list[Any]:
        metric_variables = list(metric_variables)
        if len(metric_variables) != expected:
            raise ValueError(
                f"Metric '{self.name}' expects {expected} metric variables "
                f"(see stateless_reset_state()). "
                f"Received: {len(metric_variables)} metric variables"
            )
        return metric_variables

    def stateless_reset_state(self) -> list[Any]:
        """Returns the metric's initial state without changing the metric.

        The state is the list of the metric's variables for a Keras-style
        metric, and of its summed statistics (in ``statistic_shapes()``
        order) for kgraph's built-in metrics.

        Returns:
            A list of NumPy arrays.

        Example:

        >>> Mean().stateless_reset_state()
        [array(0., dtype=float32), array(0., dtype=float32)]
        """
        if self.stateful:
            with self._swapped_variables([v.numpy() for v in self._variables]):
                self.reset_state()
                return [np.array(variable.numpy()) for variable in self._variables]
        return list(self.initial_totals().values())

    def stateless_update_state(
        self, metric_variables: Any, *args: Any, **kwargs: Any
    ) -> list[Any]:
        """Returns the state after one more batch, without changing the metric.

        Args:
            metric_variables: the state (see ``stateless_reset_state``).
            *args: ``update_state``'s arguments (``y_true, y_pred``, ...).
            **kwargs: ``update_state``'s keyword arguments.

        Returns:
            The new state, a list like ``metric_variables``.

        Raises:
            ValueError: for a state of the wrong length.

        Example:

        >>> m = Mean()
        >>> state = m.stateless_update_state(m.stateless_reset_state(), [1.0, 3.0])
        >>> m.stateless_result(state), m.result()
        (2.0, 0.0)
        """
        if self.stateful:
            values = self._check_state(metric_variables, len(self._variables))
            with self._swapped_variables(values):
                self.update_state(*args, **kwargs)
                return [np.array(variable.numpy()) for variable in self._variables]
        stats = self.batch_statistics(*args, **kwargs)
        keys = self._state_keys()
        values = self._check_state(metric_variables, len(keys))
        return [
            _add_state(value, stats[key])
            for key, value in zip(keys, values, strict=True)
        ]

    def stateless_result(self, metric_variables: Any) -> Any:
        """Returns the metric's value for a state, without changing the metric.

        Args:
            metric_variables: the state (see ``stateless_reset_state``).

        Returns:
            What ``result()`` returns for that state.

        Raises:
            ValueError: for a state of the wrong length.
        """
        if self.stateful:
            values = self._check_state(metric_variables, len(self._variables))
            with self._swapped_variables(values):
                return self.result()
        keys = self._state_keys()
        values = self._check_state(metric_variables, len(keys))
        return self.result(dict(zip(keys, values, strict=True)))

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


def _add_state(total: Any, statistic: Any) -> Any:
    """``total + statistic``: NumPy for eager values, a graph node when the
    statistic is symbolic (``stateless_update_state`` in a traced step)."""
    if isinstance(statistic, SymbolicTensor) or isinstance(total, SymbolicTensor):
        return ops.add(to_float(total, "float32"), statistic)
    return np.asarray(total, dtype="float32") + np.asarray(statistic, dtype="float32")


def _samplewise(
    values: Any, sample_weight: Any, reduce: Callable[..., Any] = losses.mean
) -> tuple[Any, Any]:
    """Reduces values (and weights) to one per sample, as Keras's ``Mean``
    (``reduce``: the mean) and ``Sum`` (``ops.sum``) do.

    Values beyond the weights' rank are reduced; the weights are broadcast
    to the values, multiplied in, and reduced down to one per sample.
    """
    values = to_float(values, "float32")
    if sample_weight is not None:
        sample_weight = to_float(sample_weight, "float32")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank, value_rank = sample_weight.ndim, values.ndim
        if value_rank > weight_rank:
            values = reduce(values, axis=tuple(range(weight_rank, value_rank)))
        sample_weight = ops.multiply(sample_weight, ones_like(values))
        values = ops.multiply(values, sample_weight)
        if weight_rank > 1:
            sample_weight = reduce(
                sample_weight, axis=tuple(range(1, sample_weight.ndim))
            )
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
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
        values, _ = _samplewise(values, sample_weight, ops.sum)
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
