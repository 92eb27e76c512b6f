"""`History`: records the epoch logs; `fit()` returns it."""

from __future__ import annotations

from typing import Any

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs


class History(Callback):
    """Callback that records the logs of each epoch.

    `fit()` adds one automatically and returns it; it is also
    `model.history`.

    Attributes:
        history: Dict from each log key to its list of per-epoch values.
        epoch: List of the epoch indices seen (0-based).

    Example:

    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history, history.epoch
    ({'loss': [0.5]}, [0])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
