"""`ModelCheckpoint`: save the model or its weights during training."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from kgraph import distribution
from kgraph.callbacks.callback import Logs
from kgraph.callbacks.monitor_callback import MonitorCallback
from kgraph.utils.progbar import print_msg

WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz")
# Keras also takes legacy `.h5` models; kgraph saves `.kgraph` and `.keras`.
MODEL_SUFFIXES = (".kgraph", ".keras")


def _check_filepath(filepath: str, save_weights_only: bool) -> None:
    """Raises if `filepath` has no suffix that the save method accepts."""
    if save_weights_only and not filepath.endswith(WEIGHTS_SUFFIXES):
        raise ValueError(
            "When using `save_weights_only=True` in `ModelCheckpoint`, the "
            "filepath provided must end in `.weights.h5` or `.weights.npz`. "
            f"Received: filepath={filepath}"
        )
    if not save_weights_only and not filepath.endswith(MODEL_SUFFIXES):
        raise ValueError(
            "The filepath provided must end in `.kgraph` or `.keras`. "
            f"Received: filepath={filepath}"
        )


class ModelCheckpoint(MonitorCallback):
    """Saves the model, or its weights, at some frequency.

    Args:
        filepath: Path to save to. It may hold format fields filled from the
            epoch (1-based) and the logs, e.g.
            `"ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5"`; with
            `save_freq` an integer, `{batch}` (1-based) too. It must end in
            `.weights.h5` or `.weights.npz` when `save_weights_only`, else in
            `.kgraph` or `.keras`.
        monitor: The metric to watch for `save_best_only`.
        verbose: 0 is silent, 1 prints a message when the callback acts.
        save_best_only: Save only when the monitored value improves on the
            best so far.
        save_weights_only: Call `model.save_weights(path)` instead of
            `model.save(path)`.
        mode: One of `"auto"`, `"min"`, `"max"`, as in `EarlyStopping`.
        save_freq: `"epoch"`, or an integer number of batches. kgraph calls
            the batch hooks at chunk boundaries only, so a save happens at
            the first boundary after every `save_freq` batches.
        initial_value_threshold: Initial "best" value for `save_best_only`.

    Raises:
        ValueError: If `save_freq` is not `"epoch"` or an integer, or the
            suffix of `filepath` does not fit `save_weights_only`.

    Example:

    ```python
    checkpoint = kg.callbacks.ModelCheckpoint(
        "best.weights.h5", monitor="val_accuracy", save_best_only=True,
        save_weights_only=True)
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    model.load_weights("best.weights.h5")
    ```
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. "
                "Expected save_freq are 'epoch' or integer values"
            )
        _check_filepath(self.filepath, save_weights_only)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts the batches done since the last save (chunk aware)."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # A new epoch: batches are 0-based.
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        """Fills the format fields of `filepath`."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". '
                f"Reason: {error}"
            ) from error

    def _should_save_model(self, epoch: int, logs: Logs, filepath: str) -> bool:
        """Decides whether to save, updating `best` for `save_best_only`."""
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available.",
                stacklevel=2,
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        return self._improved(epoch, current, filepath)

    def _improved(self, epoch: int, current: Any, filepath: str) -> bool:
        """Returns whether `current` is a new best, and records it if so."""
        best = "None" if self.best is None else f"{self.best:.5f}"
        if not self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}"
                )
            return False
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                f"{current:.5f}, saving model to {filepath}"
            )
        self.best = current
        return True

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        """Saves the model or its weights if due (in a data-parallel job,
        process 0 alone writes)."""
        if not distribution.is_chief():
            return
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")
