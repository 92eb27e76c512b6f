"""Probabilistic metrics: crossentropies and divergences averaged over
samples, as in ``keras.metrics``.

Example:

>>> m = BinaryCrossentropy()
>>> m.update_state([[0.0, 1.0]], [[0.6, 0.4]])
>>> round(m.result(), 3)
0.916
"""

from __future__ import annotations

from typing import Any

from kgraph import losses
from kgraph import ops
from kgraph.losses import squeeze_or_expand_to_same_rank
from kgraph.losses import to_float
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
        ignore_class: a label whose samples have a crossentropy of 0. As in
            Keras, they still count in the mean unless sample weights are
            given, which they then replace by 0.
        axis: the class axis.

    Example:

    >>> m = SparseCategoricalCrossentropy(ignore_class=0)
    >>> y_pred = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]]
    >>> m.update_state([0, 1], y_pred, sample_weight=[1.0, 1.0])
    >>> round(m.result(), 4)
    0.6931
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total", "count"}`` over a batch; with ``ignore_class``
        and sample weights, the ignored samples weigh 0."""
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is not None and sample_weight is not None:
            labels = to_float(y_true, "float32")
            if labels.ndim and labels.shape[-1] == 1 and labels.ndim > 1:
                labels = ops.squeeze(labels, -1)
            valid = ops.cast(ops.not_equal(labels, float(ignore_class)), "float32")
            weights = to_float(sample_weight, "float32")
            valid, weights = squeeze_or_expand_to_same_rank(valid, weights)
            sample_weight = ops.multiply(weights, valid)
        return super().batch_statistics(y_true, y_pred, sample_weight)


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
