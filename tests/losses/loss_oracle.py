"""NumPy transcriptions of Keras 3's losses (``keras/src/losses``), written
independently of kgraph: the oracle of the loss tests. Float64 throughout,
with Keras's float32 constants (``EPSILON``), so the results agree with
kgraph's float32 computations within ``RTOL``.

Also Keras's reduction (``reduce_weighted_values`` with ``apply_mask``) and
a helper that trains one small model on both backends.
"""

from __future__ import annotations

import numpy as np

import kgraph

EPSILON = 1e-7
RTOL = 1e-5
ATOL = 1e-6


def f64(x):
    return np.asarray(x, dtype="float64")


# -- reductions --


def reduce(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Keras's ``reduce_weighted_values`` (weights reconciled by rank)."""
    values = f64(values)
    weight = None if sample_weight is None else f64(sample_weight)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask.sum()
            factor = mask.size / valid if valid else 0.0
            float_mask = np.where(mask, factor, 0.0)
        else:
            float_mask = mask.astype("float64")
        weight = float_mask if weight is None else weight * float_mask
    if weight is not None:
        while weight.ndim < values.ndim:
            weight = weight[..., None]
        values = values * weight
    if reduction in (None, "none") or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        weights = weight.sum()
        return total / weights if weights else 0.0
    return total / values.size


# -- regression --


def msle(y, p):
    first = np.log(np.maximum(f64(p), EPSILON) + 1.0)
    second = np.log(np.maximum(f64(y), EPSILON) + 1.0)
    return ((first - second) ** 2).mean(axis=-1)


def log_cosh(y, p):
    return np.log(np.cosh(f64(p) - f64(y))).mean(axis=-1)


def l2_normalize(x, axis=-1):
    x = f64(x)
    squares = (x**2).sum(axis=axis, keepdims=True)
    return x * np.minimum(1.0 / np.sqrt(np.maximum(squares, 1e-300)), 1.0 / EPSILON)


def cosine_similarity(y, p, axis=-1):
    return -(l2_normalize(y, axis) * l2_normalize(p, axis)).sum(axis=axis)


# -- probabilistic --


def kl_divergence(y, p):
    y = np.clip(f64(y), EPSILON, 1.0)
    p = np.clip(f64(p), EPSILON, 1.0)
    return (y * np.log(y / p)).sum(axis=-1)


def poisson(y, p):
    return (f64(p) - f64(y) * np.log(f64(p) + EPSILON)).mean(axis=-1)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-f64(x)))


def softmax(x, axis=-1):
    x = f64(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def binary_focal(
    y,
    p,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    y = f64(y)
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    p = sigmoid(p) if from_logits else f64(p)
    o = np.clip(p, EPSILON, 1 - EPSILON)
    bce = -(y * np.log(o) + (1 - y) * np.log(1 - o))
    p_t = y * p + (1 - y) * (1 - p)
    values = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        values = (y * alpha + (1 - y) * (1 - alpha)) * values
    return values.mean(axis=axis)


def categorical_focal(
    y, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    y = f64(y)
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / y.shape[-1]
    p = softmax(p, axis) if from_logits else f64(p)
    o = np.clip(p / p.sum(axis=axis, keepdims=True), EPSILON, 1 - EPSILON)
    return (f64(alpha) * (1 - o) ** gamma * -y * np.log(o)).sum(axis=axis)


def generalized_cross_entropy(y, p, q):
    labels = np.asarray(y).astype(int).reshape(-1)
    chosen = f64(p)[np.arange(len(labels)), labels]
    return (1 - chosen**q) / q


# -- hinge --


def _hinge_labels(y):
    y = f64(y)
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def hinge(y, p):
    return np.maximum(1 - _hinge_labels(y) * f64(p), 0).mean(axis=-1)


def squared_hinge(y, p):
    return (np.maximum(1 - _hinge_labels(y) * f64(p), 0) ** 2).mean(axis=-1)


def categorical_hinge(y, p):
    y, p = f64(y), f64(p)
    pos = (y * p).sum(axis=-1)
    neg = ((1 - y) * p).max(axis=-1)
    return np.maximum(neg - pos + 1, 0)


# -- segmentation --


def dice(y, p, axis=None):
    y, p = f64(y), f64(p)
    inter = (y * p).sum(axis=axis)
    return 1 - 2 * inter / (y.sum(axis=axis) + p.sum(axis=axis) + EPSILON)


def tversky(y, p, alpha=0.5, beta=0.5, axis=None):
    y, p = f64(y), f64(p)
    inter = (y * p).sum(axis=axis)
    fp = ((1 - p) * y).sum(axis=axis)
    fn = (p * (1 - y)).sum(axis=axis)
    return 1 - inter / (inter + alpha * fp + beta * fn + EPSILON)


# -- similarity --


def _logsumexp_rows(values, mask):
    out = np.full(values.shape[0], -np.inf)
    for i in range(values.shape[0]):
        row = values[i][mask[i]]
        if row.size:
            top = row.max()
            out[i] = top + np.log(np.exp(row - top).sum())
    return out


def circle(y, p, remove_diagonal=True, gamma=80.0, margin=0.4):
    """Returns the per-sample losses and their mask (values > 0)."""
    labels = np.asarray(y).astype(int).reshape(-1)
    p = f64(p)
    d = np.maximum(1 - p @ p.T, 0)
    pos = labels[:, None] == labels[None, :]
    neg = ~pos
    if remove_diagonal:
        pos &= ~np.eye(len(labels), dtype=bool)
    w_p = np.maximum((margin + d) * pos, 0)
    w_n = np.maximum((1 + margin - d) * neg, 0)
    p_loss = _logsumexp_rows(-gamma * w_p * (margin - d), pos)
    n_loss = _logsumexp_rows(gamma * w_n * (1 - margin - d), neg)
    total = p_loss + n_loss
    values = np.where(np.isfinite(total), np.logaddexp(0.0, total), 0.0)
    return values, values > 0


# -- training --


def fit_on_both_backends(loss, x, y, activation=None, units=None, epochs=2):
    """Trains a Dense model with ``loss`` on each backend; returns the
    per-epoch losses followed by ``evaluate``'s, per backend."""
    results = {}
    for backend in ("numpy", "llvm"):
        kgraph.utils.set_random_seed(0)
        inputs = kgraph.Input((x.shape[1],))
        outputs = kgraph.layers.Dense(units or y.shape[-1], activation=activation)(
            inputs
        )
        model = kgraph.Model(inputs, outputs)
        model.compile(optimizer="sgd", loss=loss, backend=backend)
        history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0)
        value = model.evaluate(x, y, batch_size=8, verbose=0)
        results[backend] = [*history.history["loss"], value]
    return results


# -- checks --

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None)


def run_graph(fn, *arrays):
    """Calls ``fn`` on placeholders (batch dimension unknown), runs the
    graph in the interpreter and returns the output."""
    from kgraph import ops
    from kgraph.backends import interpreter

    graph = kgraph.Graph()
    args = []
    for i, array in enumerate(arrays):
        array = np.asarray(array)
        shape = (None, *array.shape[1:])
        args.append(ops.placeholder(graph, f"x{i}", shape, str(array.dtype)))
    out = fn(*args)
    graph.set_output("out", out.node_id)
    feeds = {f"x{i}": np.asarray(a) for i, a in enumerate(arrays)}
    return interpreter.run(graph, feeds)["out"]


def assert_function_matches(fn, expected, y_true, y_pred, **kwargs):
    """The function eagerly and in a graph (batch unknown) against the oracle."""
    np.testing.assert_allclose(
        np.asarray(fn(y_true, y_pred, **kwargs)), expected, rtol=RTOL, atol=ATOL
    )
    in_graph = run_graph(lambda t, p: fn(t, p, **kwargs), y_true, y_pred)
    np.testing.assert_allclose(in_graph, expected, rtol=RTOL, atol=ATOL)


def assert_class_matches(loss_class, kwargs, y_true, y_pred, values, mask=None):
    """Every reduction, with and without sample weights, against Keras's
    reduction of the oracle's per-sample ``values``."""
    weights = np.linspace(0.0, 2.0, len(y_true)).astype("float32")
    for reduction in REDUCTIONS:
        for sample_weight in (None, weights):
            loss = loss_class(reduction=reduction, **kwargs)
            got = np.asarray(loss(y_true, y_pred, sample_weight=sample_weight))
            expected = reduce(values, sample_weight, reduction, mask)
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def assert_config_round_trip(loss):
    """get_config/from_config and serialize/deserialize keep the loss."""
    config = loss.get_config()
    again = type(loss).from_config(config)
    assert again.get_config() == config
    restored = kgraph.losses.deserialize(kgraph.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == config


def assert_trains_alike(loss, x, y, **kwargs):
    """Both backends train and evaluate to the same finite values."""
    results = fit_on_both_backends(loss, x, y, **kwargs)
    assert np.all(np.isfinite(results["numpy"]))
    np.testing.assert_allclose(results["llvm"], results["numpy"], rtol=1e-4, atol=1e-5)
