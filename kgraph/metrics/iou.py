"""Intersection-over-union metrics for segmentation: ``IoU``, ``MeanIoU``,
``BinaryIoU``, ``OneHotIoU`` and ``OneHotMeanIoU``, from a weighted
confusion matrix that sums over batches, as in ``keras.metrics``.

Keras keeps the confusion matrix in ``int32`` by default: labels and
predictions are truncated to integers, and so are sample weights (a
weight of 0.5 counts as 0; float weights give Keras's warning). kgraph
does the same unless ``dtype`` is a float dtype.

Example:

>>> m = MeanIoU(num_classes=2)
>>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
>>> round(m.result(), 4)
0.3333
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.losses import ones_like
from kgraph.losses import to_float
from kgraph.metrics.base import EPSILON
from kgraph.metrics.base import Metric
from kgraph.metrics.base import _shape_context


def _standard_dtype(dtype: Any) -> str:
    if dtype is None or dtype == "int":
        return "int32"
    return dtypes.canonical(dtype)


class _IoUBase(Metric):
    """The weighted confusion matrix of integer labels and predictions:
    ``matrix[i, j]`` sums the weights of the values labelled ``i`` and
    predicted ``j``; values out of ``[0, num_classes)`` (and of
    ``ignore_class``) are left out."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name)
        self._dtype = _standard_dtype(dtype)
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis

    def _classes(self, values: Any, sparse: bool) -> Any:
        """Integer classes (float32) of labels or predictions, flattened."""
        if not sparse:
            values = ops.argmax(to_float(values), axis=self.axis)
        values = to_float(values, "float32")
        if not dtypes.is_float(self._dtype):
            values = ops.cast(ops.cast(values, "int32"), "float32")
        return ops.reshape(values, (-1,))

    def _weights(self, sample_weight: Any, y_true: Any) -> Any:
        if sample_weight is None:
            return ones_like(y_true)
        given = str(getattr(sample_weight, "dtype", ""))
        weight = to_float(sample_weight, "float32")
        if not dtypes.is_float(self._dtype):
            if "float" in given:
                warnings.warn(
                    f"Metric '{self.name}': you are passing weight as `float`, "
                    f"but dtype is `{self._dtype}`. This may result in an "
                    "incorrect weight due to type casting. Consider using "
                    "integer weights.",
                    stacklevel=4,
                )
            weight = ops.cast(ops.cast(weight, "int32"), "float32")
        if weight.ndim > 1:
            weight = ops.reshape(weight, (-1,))
        return ops.multiply(weight, ones_like(y_true))

    def _confusion_matrix(self, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        y_true = self._classes(y_true, self.sparse_y_true)
        y_pred = self._classes(y_pred, self.sparse_y_pred)
        weight = self._weights(sample_weight, y_true)
        count = float(self.num_classes)
        valid = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0.0), ops.less(y_true, count)),
            ops.logical_and(ops.greater_equal(y_pred, 0.0), ops.less(y_pred, count)),
        )
        if self.ignore_class is not None:
            ignored = ops.not_equal(y_true, float(self.ignore_class))
            valid = ops.logical_and(valid, ignored)
        weight = ops.where(valid, weight, 0.0)
        y_true = ops.cast(ops.where(valid, y_true, 0.0), "int32")
        y_pred = ops.cast(ops.where(valid, y_pred, 0.0), "int32")
        rows = ops.one_hot(y_true, self.num_classes, dtype="float32")
        rows = ops.multiply(rows, ops.expand_dims(weight, 1))
        columns = ops.one_hot(y_pred, self.num_classes, dtype="float32")
        return ops.matmul(ops.transpose(rows), columns)

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns ``{"total_confusion_matrix"}`` of the batch, shape
        ``(num_classes, num_classes)``: rows are labels, columns predictions.
        """
        with _shape_context(self.name, y_true, y_pred):
            matrix = self._confusion_matrix(y_true, y_pred, sample_weight)
            return {"total_confusion_matrix": matrix}

    def statistic_shapes(self) -> dict[str, tuple[int, ...]]:
        """Returns the confusion matrix's shape."""
        return {"total_confusion_matrix": (self.num_classes, self.num_classes)}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {"name": self.name, "dtype": self._dtype}


class IoU(_IoUBase):
    """The mean intersection over union of the target classes:
    ``IoU = true_positives / (true_positives + false_positives +
    false_negatives)`` per class, from the confusion matrix of the
    predicted classes.

    Classes that never occur (no label and no prediction) are left out of
    the mean.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (``"int32"`` by default:
            labels, predictions and weights are truncated to integers).
        ignore_class: a label left out of the confusion matrix.
        sparse_y_true: whether labels are class indices (else one-hot or
            scores, reduced by arg-max along ``axis``).
        sparse_y_pred: whether predictions are class indices (else scores).
        axis: the class axis of non-sparse inputs.

    Raises:
        ValueError: for a target class id out of ``[0, num_classes)``.

    Example:

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which "
                f"is [0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self, totals: Mapping[str, Any] | None = None) -> float:
        """Returns the mean IoU of the target classes that occur."""
        matrix = self._totals_or_own(totals)["total_confusion_matrix"]
        matrix = matrix.astype("float64")
        true_positives = np.diag(matrix)
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
        ids = np.asarray(self.target_class_ids)
        true_positives, union = true_positives[ids], union[ids]
        valid = union > 1e-9
        iou = np.where(valid, true_positives / (union + EPSILON), 0.0)
        return float(np.sum(iou) / (np.sum(valid) + EPSILON))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """The IoU of binary predictions: a prediction counts as class 1 when it
    is at least ``threshold``.

    Args:
        target_class_ids: the classes (0, 1 or both) whose IoU is averaged.
        threshold: predictions at or above it are class 1.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (``"int32"`` by default).

    Example:

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(
        self,
        target_class_ids: Any = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype
        )
        self.threshold = threshold

    def batch_statistics(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Returns the batch's confusion matrix of thresholded predictions."""
        with _shape_context(self.name, y_true, y_pred):
            above = ops.greater_equal(to_float(y_pred, "float32"), self.threshold)
            classes = ops.cast(above, "float32")
            return super().batch_statistics(y_true, classes, sample_weight)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self._dtype,
        }


class MeanIoU(IoU):
    """The mean IoU over all classes.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (``"int32"`` by default).
        ignore_class: a label left out of the confusion matrix.
        sparse_y_true: whether labels are class indices.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis of non-sparse inputs.

    Example:

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> m.result()
    0.0
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """The IoU of the target classes for one-hot labels (and scores, or
    class indices with ``sparse_y_pred``).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (``"int32"`` by default).
        ignore_class: a label left out of the confusion matrix.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis.

    Example:

    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                 [0.1, 0.4, 0.5]])
    >>> round(m.result(), 4)
    0.1667
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """The mean IoU over all classes for one-hot labels.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (``"int32"`` by default).
        ignore_class: a label left out of the confusion matrix.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis.

    Example:

    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                 [0.1, 0.4, 0.5]])
    >>> round(m.result(), 4)
    0.1111
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        del config["sparse_y_true"]
        return config
