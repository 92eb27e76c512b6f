"""NumPy transcriptions of Keras 3's metrics (``keras/src/metrics``),
written independently of kgraph: the oracle of the metric tests. Float64
throughout, with Keras's float32 constants, so the results agree with
kgraph's float32 statistics within ``RTOL``.

Also the checks the metric tests share: two batches sum to the whole, a
metric in a compiled model on both backends, config round trips.
"""

from __future__ import annotations

import itertools

import numpy as np

import kgraph

EPSILON = 1e-7
RTOL = 2e-5
ATOL = 2e-6


def f64(x):
    return np.asarray(x, dtype="float64")


def weighted_mean(values, sample_weight=None):
    """Keras's ``Mean`` of per-sample values (one weight per sample)."""
    values = f64(values).reshape(len(values), -1).mean(axis=1)
    weights = np.ones_like(values) if sample_weight is None else f64(sample_weight)
    total = weights.sum()
    return float((values * weights).sum() / total) if total else 0.0


# -- mean metrics (per-sample functions) --


def l2_normalize(x, axis=-1):
    x = f64(x)
    squares = (x**2).sum(axis=axis, keepdims=True)
    return x * np.minimum(1.0 / np.sqrt(np.maximum(squares, 1e-300)), 1.0 / EPSILON)


def cosine_similarity(y, p, axis=-1):
    return (l2_normalize(y, axis) * l2_normalize(p, axis)).sum(axis=axis)


def in_top_k(labels, scores, k):
    scores = f64(scores)
    labels = np.asarray(labels).astype(int).reshape(-1)
    at_label = scores[np.arange(len(labels)), labels]
    at_label = np.where(np.isnan(at_label), -np.inf, at_label)
    rank = 1 + (scores > at_label[:, None]).sum(axis=1)
    return (rank <= k).astype("float64")


def pearson(y, p, axis=-1):
    y = f64(y) - f64(y).mean(axis=axis, keepdims=True)
    p = f64(p) - f64(p).mean(axis=axis, keepdims=True)
    y = y / y.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return (y * p).mean(axis=axis)


def concordance(y, p, axis=-1):
    y, p = f64(y), f64(p)
    mt = y.mean(axis=axis, keepdims=True)
    mp = p.mean(axis=axis, keepdims=True)
    norm = y.var(axis=axis, keepdims=True) + p.var(axis=axis, keepdims=True)
    norm = norm + (mt - mp) ** 2
    # Keras centers y_true on the mean of y_pred in the covariance.
    return (2 * (y - mp) * (p - mp) / (norm + EPSILON)).mean(axis=axis)


# -- F-scores --


def fbeta(y, p, beta=1.0, threshold=None, average=None, sample_weight=None):
    y, p = f64(y), f64(p)
    if threshold is None:
        pred = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
    else:
        pred = p > threshold
    pred = pred.astype("float64")
    w = np.ones((len(y), 1)) if sample_weight is None else f64(sample_weight)[:, None]
    axis = None if average == "micro" else 0
    tp = (pred * y * w).sum(axis=axis)
    fp = (pred * (1 - y) * w).sum(axis=axis)
    fn = ((1 - pred) * y * w).sum(axis=axis)
    support = (y * w).sum(axis=axis)
    precision = tp / (tp + fp + EPSILON)
    recall = tp / (tp + fn + EPSILON)
    score = (
        (1 + beta**2) * precision * recall / (beta**2 * precision + recall + EPSILON)
    )
    if average == "weighted":
        return (score * support / (support.sum() + EPSILON)).sum()
    if average is not None:
        return score.mean()
    return score


# -- R2 --


def r2(y, p, class_aggregation="uniform_average", num_regressors=0, sample_weight=None):
    y, p = f64(y), f64(p)
    w = (
        np.ones_like(y)
        if sample_weight is None
        else f64(sample_weight)[:, None] * (np.ones_like(y))
    )
    total_sum = (y * w).sum(axis=0)
    squared = (y * y * w).sum(axis=0)
    residual = ((y - p) ** 2 * w).sum(axis=0)
    count = w.sum(axis=0)
    total = squared - total_sum * total_sum / count
    raw = 1 - residual / total
    raw = np.where(np.isinf(raw), 0.0, raw)
    if class_aggregation == "uniform_average":
        score = raw.mean()
    elif class_aggregation == "variance_weighted_average":
        score = (total * raw).sum() / total.sum()
    else:
        score = raw
    n = y.size
    if num_regressors and num_regressors < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


# -- IoU --


def confusion_matrix(labels, preds, num_classes, weights=None, ignore_class=None):
    labels = np.asarray(labels).astype("int64").reshape(-1)
    preds = np.asarray(preds).astype("int64").reshape(-1)
    w = np.ones(len(labels)) if weights is None else f64(weights).reshape(-1)
    w = np.broadcast_to(w, labels.shape)
    valid = (labels >= 0) & (labels < num_classes) & (preds >= 0)
    valid &= preds < num_classes
    if ignore_class is not None:
        valid &= labels != ignore_class
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (labels[valid], preds[valid]), w[valid])
    return matrix


def iou(matrix, target_class_ids):
    tp = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    tp, union = tp[target_class_ids], union[target_class_ids]
    valid = union > 1e-9
    values = np.where(valid, tp / (union + EPSILON), 0.0)
    return values.sum() / (valid.sum() + EPSILON)


# -- rates at thresholds --


def thresholds(num_thresholds):
    if num_thresholds == 1:
        return [0.5]
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0, *inner, 1.0]


def rates(y, p, num_thresholds, sample_weight=None):
    """Sensitivity, specificity and precision (float32) per threshold."""
    labels = np.asarray(y).astype(bool).reshape(-1)
    preds = f64(p).reshape(-1)
    w = np.ones(len(preds)) if sample_weight is None else f64(sample_weight)
    levels = np.asarray(thresholds(num_thresholds))[:, None]
    positive = preds[None, :] > levels
    tp = (positive & labels) @ w
    fp = (positive & ~labels) @ w
    fn = (~positive & labels) @ w
    tn = (~positive & ~labels) @ w

    def ratio(a, b):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0).astype("float32")

    return ratio(tp, tp + fn), ratio(tn, tn + fp), ratio(tp, tp + fp)


def max_under_constraint(constrained, dependent, value):
    feasible = constrained >= np.float32(value)
    return float(np.max(np.where(feasible, dependent, 0.0), initial=0.0))


# -- checks --


def update_in_batches(metric, y_true, y_pred, sample_weight=None, batches=2):
    """Feeds the data in ``batches`` uneven pieces; returns ``result()``."""
    metric.reset_state()
    edges = np.linspace(0, len(y_true), batches + 1).astype(int)
    edges[1] = max(1, edges[1] - 1)
    for start, stop in itertools.pairwise(edges):
        weight = None if sample_weight is None else sample_weight[start:stop]
        metric.update_state(
            y_true[start:stop], y_pred[start:stop], sample_weight=weight
        )
    return metric.result()


def assert_matches(got, expected):
    np.testing.assert_allclose(
        np.asarray(got, "float64"), expected, rtol=RTOL, atol=ATOL, equal_nan=True
    )


def assert_config_round_trip(metric):
    config = metric.get_config()
    again = type(metric).from_config(config)
    assert again.get_config() == config
    restored = kgraph.metrics.deserialize(kgraph.metrics.serialize(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == config


def evaluate_on_both_backends(
    metric, x, y, activation=None, sample_weight=None, units=None, loss="mse"
):
    """Fits a Dense model briefly with ``metric`` on each backend, then
    evaluates; returns ``(results, predictions)`` per backend, the
    metric's value from ``evaluate`` and the model's predictions."""
    out = {}
    for backend in ("numpy", "llvm"):
        kgraph.utils.set_random_seed(0)
        inputs = kgraph.Input((x.shape[1],))
        dense = kgraph.layers.Dense(units or y.shape[-1], activation=activation)
        outputs = dense(inputs)
        model = kgraph.Model(inputs, outputs)
        fresh = type(metric).from_config(metric.get_config())
        # With sample weights the metric is a weighted one (Keras's
        # ``metrics`` ignore the weights).
        listed = {
            "weighted_metrics" if sample_weight is not None else "metrics": [fresh]
        }
        model.compile(optimizer="sgd", loss=loss, backend=backend, **listed)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, sample_weight=sample_weight)
        logs = model.evaluate(
            x, y, batch_size=8, verbose=0, sample_weight=sample_weight, return_dict=True
        )
        out[backend] = (logs[fresh.name], model.predict(x, verbose=0))
    return out


def assert_compiled_matches(
    metric, x, y, oracle, activation=None, sample_weight=None, units=None, loss="mse"
):
    """The metric in a compiled model, on both backends, equals the oracle
    applied to the model's predictions (summed over batches of 8)."""
    out = evaluate_on_both_backends(
        metric, x, y, activation, sample_weight, units, loss
    )
    for value, predictions in out.values():
        assert_matches(value, oracle(y, predictions))
    assert_matches(out["llvm"][0], np.asarray(out["numpy"][0], "float64"))
