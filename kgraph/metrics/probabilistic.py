"""Probabilistic metrics: crossentropies and divergences averaged over
samples, as in ``keras.metrics``.

Example:

>>> m = BinaryCrossentropy()
>>> m.update_state([[0.0, 1.0]], [[0.6, 0.4]])
>>> round(m.result(), 3)
0.916
"""

from __future__ import annotations

from kgraph import losses
from kgraph.metrics.base import MeanMetricWrapper


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


class KLDivergence(MeanMetricWrapper):
    """The Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``
    (both clipped to ``[EPSILON, 1]``), averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = KLDivergence()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(m.result(), 3)
    0.458
    """

    def __init__(self, name: str = "kl_divergence", dtype: str | None = None) -> None:
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The Poisson loss ``mean(y_pred - y_true * log(y_pred + EPSILON))``,
    averaged over samples.

    Args:
        name: the metric's name.
        dtype: ``"float32"``.

    Example:

    >>> m = Poisson()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> round(m.result(), 3)
    0.5
    """

    def __init__(self, name: str = "poisson", dtype: str | None = None) -> None:
        super().__init__(losses.poisson, name=name, dtype=dtype)
