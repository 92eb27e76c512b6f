"""A plain NumPy transcription of what Keras 3 does in ``fit`` for a stack of
Dense layers: forward pass, loss (Keras's formulas, reduction
``sum_over_batch_size``), regularization, backward pass and the optimizer
rules of ``keras/src/optimizers/{sgd,adam}.py``.

Everything runs in float64, so it is an independent oracle for kgraph's
float32 graph (compare with a float32 tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import numpy as np

EPSILON = 1e-7


# -- activations: value and backward ---------------------------------------------


def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise ValueError(name)


def activate_backward(name: str, z: np.ndarray, a: np.ndarray, da: np.ndarray):
    if name == "linear":
        return da
    if name == "relu":
        return da * (z > 0)
    if name == "sigmoid":
        return da * a * (1.0 - a)
    if name == "softmax":
        return a * (da - np.sum(da * a, axis=-1, keepdims=True))
    raise ValueError(name)


# -- losses: per-sample value and its gradient with respect to y_pred --------------


def per_sample_loss(name: str, y_true: np.ndarray, y_pred: np.ndarray):
    """Returns (values of shape (batch,), d values / d y_pred)."""
    if name == "categorical_crossentropy":
        s = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / s
        c = np.clip(q, EPSILON, 1.0 - EPSILON)
        values = -np.sum(y_true * np.log(c), axis=-1)
        dc = -y_true / c
        dq = dc * ((q >= EPSILON) & (q <= 1.0 - EPSILON))
        dp = (dq - np.sum(dq * q, axis=-1, keepdims=True)) / s
        return values, dp
    if name == "sparse_categorical_crossentropy":
        labels = y_true.reshape(len(y_true)).astype(int)
        one_hot = np.eye(y_pred.shape[-1])[labels]
        return per_sample_loss("categorical_crossentropy", one_hot, y_pred)
    if name == "binary_crossentropy":
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
        elementwise = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
        d = -(y_true / p - (1.0 - y_true) / (1.0 - p)) * inside
        k = y_pred.shape[-1]
        return elementwise.mean(axis=-1), d / k
    if name == "mse":
        y_true = y_true.reshape(y_pred.shape)
        diff = y_pred - y_true
        k = y_pred.shape[-1]
        return np.mean(diff**2, axis=-1), 2.0 * diff / k
    raise ValueError(name)


# -- optimizers ---------------------------------------------------------------------


@dataclass
class SGD:
    learning_rate: float = 0.01
    momentum: float = 0.0
    slots: list = field(default_factory=list)

    def update(self, step: int, params: list, grads: list) -> None:
        if not self.slots:
            self.slots = [np.zeros_like(p) for p in params]
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self.momentum:
                self.slots[i] = self.momentum * self.slots[i] - self.learning_rate * g
                p += self.slots[i]
            else:
                p -= self.learning_rate * g


@dataclass
class Adam:
    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    m: list = field(default_factory=list)
    v: list = field(default_factory=list)

    def update(self, step: int, params: list, grads: list) -> None:
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        t = step + 1
        alpha = (
            self.learning_rate * np.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        )
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self.m[i] += (g - self.m[i]) * (1.0 - self.beta_1)
            self.v[i] += (g * g - self.v[i]) * (1.0 - self.beta_2)
            p -= alpha * self.m[i] / (np.sqrt(self.v[i]) + self.epsilon)


# -- the model ------------------------------------------------------------------------


@dataclass
class DenseStack:
    """Dense layers: ``weights`` is Keras's flat list [k0, b0, k1, b1, ...]."""

    weights: list
    activations: Sequence[str]
    loss: str
    l2: Sequence[float] = ()  # per layer, on the kernel
    activity_l2: Sequence[float] = ()  # per layer, on its output

    def __post_init__(self) -> None:
        self.weights = [np.array(w, dtype=np.float64) for w in self.weights]
        if not self.l2:
            self.l2 = [0.0] * len(self.activations)
        if not self.activity_l2:
            self.activity_l2 = [0.0] * len(self.activations)

    def forward(self, x: np.ndarray):
        zs, activations = [], [np.asarray(x, dtype=np.float64)]
        for i, name in enumerate(self.activations):
            kernel, bias = self.weights[2 * i], self.weights[2 * i + 1]
            z = activations[-1] @ kernel + bias
            zs.append(z)
            activations.append(activate(name, z))
        return zs, activations

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[1][-1]

    def penalty(self) -> float:
        return sum(
            l2 * float(np.sum(self.weights[2 * i] ** 2)) for i, l2 in enumerate(self.l2)
        )

    def loss_and_grads(self, x, y, sample_weight=None):
        """The batch loss Keras trains on and its gradients."""
        zs, activations = self.forward(x)
        n = len(x)
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
        values, d_pred = per_sample_loss(self.loss, np.asarray(y), activations[-1])
        loss = float(np.sum(values * weight) / n) + self.penalty()
        # Activity penalties: l2 * sum(output**2) divided by the batch size
        # (Keras 3 normalizes them by the batch size).
        for i, l2 in enumerate(self.activity_l2):
            loss += l2 * float(np.sum(activations[i + 1] ** 2)) / n
        delta = d_pred * (weight / n)[:, None]
        grads = [None] * len(self.weights)
        for i in reversed(range(len(self.activations))):
            delta = delta + 2.0 * self.activity_l2[i] * activations[i + 1] / n
            dz = activate_backward(
                self.activations[i], zs[i], activations[i + 1], delta
            )
            kernel = self.weights[2 * i]
            grads[2 * i] = activations[i].T @ dz + 2.0 * self.l2[i] * kernel
            grads[2 * i + 1] = dz.sum(axis=0)
            delta = dz @ kernel.T
        return loss, grads

    def evaluate(self, x, y, sample_weight=None) -> float:
        return self.loss_and_grads(x, y, sample_weight)[0]

    def fit_epoch(self, optimizer, x, y, batch_size, step=0, sample_weight=None):
        """One epoch without shuffling; returns (epoch loss, steps taken).

        The epoch loss is the mean of the batch losses weighted by batch size,
        the last partial batch included, as Keras's loss tracker computes it.
        """
        total, count = 0.0, 0
        for start in range(0, len(x), batch_size):
            end = min(start + batch_size, len(x))
            sw = None if sample_weight is None else sample_weight[start:end]
            loss, grads = self.loss_and_grads(x[start:end], y[start:end], sw)
            optimizer.update(step, self.weights, grads)
            step += 1
            total += loss * (end - start)
            count += end - start
        return total / count, step


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Keras's conversion: argmax of one-hot targets, else rounded labels;
    a class the mapping does not name weighs 1.0."""
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = np.round(y.reshape(len(y))).astype(int)
    return np.array([class_weight.get(int(c), 1.0) for c in classes], dtype=np.float64)
