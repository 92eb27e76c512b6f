"""The data and NumPy transcriptions the crossentropy, regression and base
loss tests share (Keras 3's formulas in float32, as kgraph computes them),
and ``run_graph``, which runs a function on placeholders in the
interpreter."""

from __future__ import annotations

import numpy as np

import kgraph
from kgraph import ops
from kgraph.backends import interpreter

EPS = np.float32(1e-7)
ONE_MINUS_EPS = np.float32(1.0 - 1e-7)


def f32(x):
    return np.asarray(x, dtype="float32")


def run_graph(fn, *arrays, dtypes=None, batch_none=True):
    """Calls ``fn`` on placeholders (batch dimension unknown) and runs it."""
    graph = kgraph.Graph()
    dtypes = dtypes or ["float32"] * len(arrays)
    args = []
    for i, (array, dtype) in enumerate(zip(arrays, dtypes, strict=True)):
        shape = tuple(array.shape)
        if batch_none and shape:
            shape = (None, *shape[1:])
        args.append(ops.placeholder(graph, f"x{i}", shape, dtype))
    out = fn(*args)
    graph.set_output("out", out.node_id)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    return interpreter.run(graph, feeds)["out"]


def eager(fn, *arrays):
    return np.asarray(fn(*arrays))


# -- NumPy transcriptions of Keras 3's formulas --


def np_bce(y, p, from_logits=False, label_smoothing=0.0):
    y = f32(y)
    p = f32(p)
    if label_smoothing:
        y = y * np.float32(1 - label_smoothing) + np.float32(0.5 * label_smoothing)
    if from_logits:
        x = p.astype("float64")
        values = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    else:
        p = np.clip(p, EPS, ONE_MINUS_EPS)
        values = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return values.mean(axis=-1)


def np_log_softmax(x):
    x = np.asarray(x, dtype="float64")
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def np_cce(y, p, from_logits=False, label_smoothing=0.0):
    y = f32(y)
    if label_smoothing:
        y = y * np.float32(1 - label_smoothing) + np.float32(
            label_smoothing / y.shape[-1]
        )
    if from_logits:
        log_p = np_log_softmax(p)
    else:
        p = f32(p)
        p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, ONE_MINUS_EPS)
        log_p = np.log(p)
    return -(y * log_p).sum(axis=-1)


def np_huber(y, p, delta=1.0):
    error = f32(p) - f32(y)
    abs_error = np.abs(error)
    values = np.where(
        abs_error <= delta, 0.5 * error**2, delta * abs_error - 0.5 * delta**2
    )
    return values.mean(axis=-1)


RNG = np.random.default_rng(0)
Y_BIN = f32(RNG.integers(0, 2, size=(6, 3)))
P_BIN = f32(RNG.uniform(0.01, 0.99, size=(6, 3)))
LOGITS = f32(RNG.normal(scale=3.0, size=(6, 4)))
Y_ONEHOT = f32(np.eye(4)[RNG.integers(0, 4, size=6)])
P_CAT = f32(np.exp(LOGITS) / np.exp(LOGITS).sum(axis=-1, keepdims=True))
LABELS = np.array([1, 2, 0, 2, 1, 0])
P3 = f32(RNG.dirichlet(np.ones(3), size=6))
L3 = f32(RNG.normal(scale=5.0, size=(6, 3)))
