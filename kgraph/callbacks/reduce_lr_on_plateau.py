"""`ReduceLROnPlateau`: lower the learning rate when a metric plateaus."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from kgraph.callbacks.callback import Logs
from kgraph.callbacks.learning_rate_scheduler import get_learning_rate
from kgraph.callbacks.monitor_callback import MonitorCallback
from kgraph.utils.progbar import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Reduces the learning rate when a metric has stopped improving.

    After `patience` epochs without improvement the learning rate becomes
    `max(lr * factor, min_lr)`; then `cooldown` epochs pass before waiting
    starts again. The learning rate is added to the logs as
    `"learning_rate"`.

    Args:
        monitor: Quantity to be monitored.
        factor: Factor by which the learning rate is reduced.
        patience: Number of epochs with no improvement after which the
            learning rate is reduced.
        verbose: 0 is quiet, 1 prints a message at each reduction.
        mode: One of `"auto"`, `"min"`, `"max"`, as in `EarlyStopping`.
        min_delta: Threshold for measuring the new optimum.
        cooldown: Number of epochs to wait after a reduction before resuming
            normal operation.
        min_lr: Lower bound on the learning rate.
        **kwargs: Accepted and ignored, as in Keras.

    Raises:
        ValueError: If `factor >= 1.0`.

    Example:

    ```python
    reduce_lr = kg.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
    model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0. "
                f"Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        """Resets the wait and cooldown counters and the best value."""
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Returns whether the callback is cooling down after a reduction."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                "Learning rate reduction is conditioned on metric "
                f"`{self.monitor}` which is not available. Available metrics "
                f"are: {','.join(logs.keys())}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_lr(self, epoch: int) -> bool:
        """Multiplies the learning rate by `factor`, down to `min_lr`."""
        optimizer = self.model.optimizer
        old_lr = get_learning_rate(optimizer)
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing "
                f"learning rate to {new_lr}."
            )
        return True
