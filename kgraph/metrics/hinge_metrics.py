"""Hinge metrics: the hinge losses averaged over samples, as in
``keras.metrics``.

Example:

>>> m = Hinge()
>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
>>> round(m.result(), 3)
1.3
"""

from __future__ import annotations

from kgraph import losses
from kgraph.metrics.base import MeanMetricWrapper


class Hinge(MeanMetricWrapper):
    """The hinge loss ``mean(maximum(1 - y_true * y_pred, 0))``, averaged
    over samples; 0/1 labels are converted to -1/1.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = Hinge()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(m.result(), 3)
    1.3
    """

    def __init__(self, name: str = "hinge", dtype: str | None = None) -> None:
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The squared hinge loss ``mean(square(maximum(1 - y_true * y_pred,
    0)))``, averaged over samples; 0/1 labels are converted to -1/1.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = SquaredHinge()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(m.result(), 3)
    1.86
    """

    def __init__(self, name: str = "squared_hinge", dtype: str | None = None) -> None:
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The categorical hinge loss, averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = CategoricalHinge()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(m.result(), 3)
    1.4
    """

    def __init__(
        self, name: str = "categorical_hinge", dtype: str | None = None
    ) -> None:
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
