"""`BackupAndRestore`: resume an interrupted `fit` where it stopped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kgraph import distribution
from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs


class BackupAndRestore(Callback):
    """Backs up the training state so an interrupted `fit` resumes.

    At the end of every epoch (or every ``save_freq`` batches) the model's
    weights, with the optimizer's state, go to
    ``backup_dir/latest.weights.h5`` and the epoch reached to
    ``backup_dir/training_metadata.json``. When `fit` starts and a backup
    exists, the weights are restored and training resumes at the epoch
    after the last one backed up. The backup is deleted when `fit` ends
    normally (unless ``delete_checkpoint=False``), so the next `fit` starts
    afresh.

    Args:
        backup_dir: The folder of the backup (created when needed).
        save_freq: ``"epoch"``, or a number of batches between backups
            (counted at kgraph's chunk boundaries, where batch hooks run).
        double_checkpoint: Whether to keep the previous backup too
            (``*.bkp``), used when the latest is unreadable.
        delete_checkpoint: Whether to delete the backup when `fit` ends.

    Raises:
        ValueError: for an empty ``backup_dir`` or a bad ``save_freq``.

    Example:

    >>> callback = BackupAndRestore(backup_dir="/tmp/backup")
    >>> callback.save_freq
    'epoch'
    """

    def __init__(
        self,
        backup_dir: str | Path,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, int)
            or save_freq < 1
        ):
            raise ValueError(
                "Invalid value for argument `save_freq`. Expected either 'epoch' or "
                f"a positive integer. Received: save_freq={save_freq}"
            )
        self.backup_dir = str(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        folder = Path(self.backup_dir)
        self._weights_path = folder / "latest.weights.h5"
        self._metadata_path = folder / "training_metadata.json"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_saving = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Restores the backup, falling back on the previous one."""
        try:
            self._restore()
        except (OSError, ValueError):
            previous = _previous(self._weights_path)
            if not previous.exists():
                raise
            shutil.copyfile(previous, self._weights_path)
            if _previous(self._metadata_path).exists():
                shutil.copyfile(_previous(self._metadata_path), self._metadata_path)
            self._restore()

    def _restore(self) -> None:
        if self._weights_path.exists():
            self.model.load_weights(self._weights_path)
        if self._metadata_path.exists():
            metadata = json.loads(self._metadata_path.read_text())
            self._current_epoch = int(metadata["epoch"])
            self.model._initial_epoch = self._current_epoch

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            return
        seen = (
            batch + 1
            if batch <= self._last_batch_seen
            else batch - self._last_batch_seen
        )
        self._last_batch_seen = batch
        self._batches_since_saving += seen
        if self._batches_since_saving >= int(self.save_freq):
            self._batches_since_saving = 0
            self._save()

    def _save(self) -> None:
        if not distribution.is_chief():
            # In a data-parallel job, process 0 alone writes.
            return
        Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if path.exists():
                    shutil.copyfile(path, _previous(path))
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        self._metadata_path.write_text(json.dumps(metadata))

    def on_train_end(self, logs: Logs | None = None) -> None:
        if not distribution.is_chief():
            return
        if self.delete_checkpoint and Path(self.backup_dir).exists():
            shutil.rmtree(self.backup_dir)


def _previous(path: Path) -> Path:
    return path.with_name(path.name + ".bkp")
