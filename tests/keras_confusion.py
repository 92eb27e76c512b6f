"""A NumPy transcription of Keras 3's confusion-matrix metrics
(``metrics_utils.update_confusion_matrix_variables`` and the ``result`` of
``Precision``, ``Recall``, ``AUC`` and the four counts), written
independently of kgraph: the oracle of the metric tests.

Keras counts a prediction as positive at a threshold when it is strictly
greater, and a label as positive when it is nonzero; sample weights weight
each prediction. With three or more evenly spaced thresholds it takes
another path: predictions are clipped to ``[0, 1]`` and bucketed by
``ceil(p * (n - 1)) - 1`` in float32, bucket -1 is lifted to 0 when the
thresholds carry AUC's epsilon endpoints (and dropped otherwise), and the
counts are sums over the buckets from the top.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EPSILON = 1e-7
KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def is_evenly_distributed(thresholds: Sequence[float]) -> bool:
    """Keras's ``is_evenly_distributed_thresholds``."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype="float32") / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _flat(y_true, y_pred, weights):
    labels = np.asarray(y_true).astype(bool).ravel()
    preds = np.asarray(y_pred, dtype="float32").ravel()
    w = np.ones_like(preds) if weights is None else np.asarray(weights).ravel()
    return labels, preds, w.astype("float64")


def confusion_compare(y_true, y_pred, thresholds, weights=None):
    """The general path: positive when strictly above a threshold."""
    labels, preds, w = _flat(y_true, y_pred, weights)
    positive = preds[None, :] > np.asarray(thresholds, dtype="float32")[:, None]
    return {
        "true_positives": ((positive & labels) * w).sum(1),
        "false_positives": ((positive & ~labels) * w).sum(1),
        "true_negatives": ((~positive & ~labels) * w).sum(1),
        "false_negatives": ((~positive & labels) * w).sum(1),
    }


def confusion_buckets(y_true, y_pred, num_thresholds, weights=None, epsilon=True):
    """The evenly spaced path (``epsilon``: the thresholds are AUC's, with
    ``-1e-7`` and ``1 + 1e-7`` at the ends)."""
    labels, preds, w = _flat(y_true, y_pred, weights)
    labels = labels.astype("float64")
    preds = np.clip(preds, 0.0, 1.0)
    buckets = np.ceil(preds * np.float32(num_thresholds - 1)) - 1
    if epsilon:
        buckets = np.maximum(buckets, 0)
    kept = buckets >= 0
    buckets = buckets[kept].astype(int)
    true_w, false_w = (labels * w)[kept], ((1 - labels) * w)[kept]
    tp = np.cumsum(np.bincount(buckets, true_w, minlength=num_thresholds)[::-1])[::-1]
    fp = np.cumsum(np.bincount(buckets, false_w, minlength=num_thresholds)[::-1])[::-1]
    return {
        "true_positives": tp,
        "false_positives": fp,
        "true_negatives": ((1 - labels) * w).sum() - fp,
        "false_negatives": (labels * w).sum() - tp,
    }


def confusion_counts(y_true, y_pred, thresholds, weights=None):
    """The counts per threshold by the path Keras takes for ``thresholds``."""
    thresholds = list(thresholds)
    if is_evenly_distributed(thresholds):
        epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        return confusion_buckets(y_true, y_pred, len(thresholds), weights, epsilon)
    return confusion_compare(y_true, y_pred, thresholds, weights)


def thresholds_of(thresholds=None) -> list[float]:
    """Keras's ``parse_init_thresholds`` (default 0.5)."""
    if thresholds is None:
        return [0.5]
    return list(thresholds) if isinstance(thresholds, list | tuple) else [thresholds]


def auc_thresholds(num_thresholds: int = 200) -> list[float]:
    """AUC's thresholds: ``-1e-7``, ``i / (n - 1)`` inside, ``1 + 1e-7``."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [-EPSILON, *inner, 1.0 + EPSILON]


def divide_no_nan(a, b):
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def per_threshold(value, thresholds):
    """What ``result()`` returns: the value for one threshold, else all."""
    value = np.asarray(value)
    return value[0] if len(thresholds) == 1 else value


def precision(counts):
    tp = counts["true_positives"]
    return divide_no_nan(tp, tp + counts["false_positives"])


def recall(counts):
    tp = counts["true_positives"]
    return divide_no_nan(tp, tp + counts["false_negatives"])


def roc_auc(counts):
    """``AUC(curve="ROC", summation_method="interpolation")``'s result."""
    tpr = recall(counts)
    fpr = divide_no_nan(
        counts["false_positives"],
        counts["false_positives"] + counts["true_negatives"],
    )
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
