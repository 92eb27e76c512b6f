"""A fake model, and a driver that calls the hooks in the order `fit` does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kgraph.callbacks import Callback
from kgraph.callbacks import CallbackList


class FakeOptimizer:
    """An optimizer that only holds a learning rate."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate


class FakeModel:
    """Records what callbacks do to a model; its weights are [epoch, epoch]."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(2)]
        self.calls: list[tuple[str, Any]] = []
        self.history: Any = None

    def get_weights(self) -> list[np.ndarray]:
        self.calls.append(("get_weights", float(self.weights[0][0])))
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        self.calls.append(("set_weights", float(weights[0][0])))
        self.weights = [np.array(w) for w in weights]

    def save(self, path: str) -> None:
        self.calls.append(("save", path))
        Path(path).write_text("model")

    def save_weights(self, path: str) -> None:
        self.calls.append(("save_weights", path))
        Path(path).write_text("weights")


def run_fit(
    model: FakeModel,
    callbacks: Sequence[Callback],
    epoch_logs: Sequence[dict[str, Any]],
    steps: int = 4,
    chunk: int = 2,
    verbose: int = 0,
) -> CallbackList:
    """Calls the hooks as kgraph's `fit` does, one epoch per logs dict.

    The batch hooks run at chunk boundaries only; the weights of the model
    become `[epoch + 1] * 2` during epoch `epoch`.
    """
    callback_list = CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=len(epoch_logs),
        steps=steps,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    logs: dict[str, Any] = {}
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for begin in range(0, steps, chunk):
            end = min(begin + chunk, steps) - 1
            callback_list.on_train_batch_begin(begin)
            model.weights = [np.full(2, float(epoch + 1))]
            callback_list.on_train_batch_end(end, {"loss": logs.get("loss", 0.0)})
            if model.stop_training:
                break
        logs = dict(logs)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return callback_list


@pytest.fixture
def model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def fit():
    return run_fit
