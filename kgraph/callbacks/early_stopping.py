"""`EarlyStopping`: stop training when a metric stops improving."""

from __future__ import annotations

import warnings
from typing import Any

from kgraph.callbacks.callback import Logs
from kgraph.callbacks.monitor_callback import MonitorCallback
from kgraph.utils.progbar import print_msg


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored metric has stopped improving.

    At the end of each epoch the monitored value is compared with the best
    so far; after `patience` epochs without improvement `model.stop_training`
    is set to `True` (never after the first epoch).

    Args:
        monitor: Quantity to be monitored. Defaults to `"val_loss"`.
        min_delta: Minimum change in the monitored quantity to qualify as an
            improvement. Defaults to `0`.
        patience: Number of epochs with no improvement after which training
            is stopped. Defaults to `0`.
        verbose: 0 is silent, 1 prints a message when the callback acts.
        mode: One of `"auto"`, `"min"`, `"max"`. In `"auto"` mode names with
            "acc", "auc", "precision" or "recall" are maximized, others
            minimized.
        baseline: Baseline value for the monitored quantity: training stops
            if the model does not improve on it within `patience` epochs.
        restore_best_weights: Whether to restore, at the end of training,
            the weights of the epoch with the best monitored value (through
            `model.get_weights()`/`model.set_weights()`). The best epoch is
            restored even if it does not beat `baseline`.
        start_from_epoch: Number of warm-up epochs before monitoring starts.

    Attributes:
        stopped_epoch: Index of the epoch training stopped at (0 if none).
        best: Best monitored value seen.
        best_epoch: Index of the best epoch.
        wait: Epochs since the last improvement.

    Example:

    ```python
    callback = kg.callbacks.EarlyStopping(monitor="loss", patience=3)
    history = model.fit(x, y, epochs=10, callbacks=[callback], verbose=0)
    len(history.history["loss"])  # 4 when the loss never improves.
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: list[Any] | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # Instances may be reused across `fit()` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch's weights are the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self._record_best(epoch, current)
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def _record_best(self, epoch: int, current: float) -> None:
        """Stores a new best value (and weights); resets the wait if due."""
        self.best = current
        self.best_epoch = epoch
        if self.restore_best_weights:
            self.best_weights = self.model.get_weights()
        # Restart waiting only when beating both the baseline and the best.
        if self.baseline is None or self._is_improvement(current, self.baseline):
            self.wait = 0

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: Logs | None) -> Any:
        """Returns the monitored value from `logs`, warning if absent.

        Args:
            logs: The epoch logs.

        Returns:
            The value, or `None` when `logs` does not hold it.
        """
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` "
                "which is not available. "
                f"Available metrics are: {','.join(logs.keys())}",
                stacklevel=2,
            )
        return value
