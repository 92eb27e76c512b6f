"""`CSVLogger`: stream the epoch logs to a CSV file."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import IO
from typing import Any

import numpy as np

from kgraph import distribution
from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs


def _cell(value: Any) -> Any:
    """Formats one value: 1-D iterables as `"[a, b]"`, others as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if isinstance(value, Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


def _has_header(filename: str) -> bool:
    """Returns whether `filename` exists and its first line is not empty."""
    if not os.path.exists(filename):
        return False
    with open(filename, encoding="utf-8") as file:
        return bool(file.readline())


class CSVLogger(Callback):
    """Streams the epoch results to a CSV file.

    The header is `epoch` then the log keys sorted; `epoch` is 0-based. When
    the first epoch has no `val_` keys, `val_` columns are added for every
    key (written as `NA` until validation runs), as Keras does.

    Args:
        filename: Path of the CSV file, e.g. `"run/log.csv"`.
        separator: String separating the fields.
        append: Whether to append to an existing file (for resumed
            training) instead of overwriting it.

    Example:

    ```python
    csv_logger = kg.callbacks.CSVLogger("training.log")
    model.fit(x, y, callbacks=[csv_logger])
    ```
    """

    def __init__(
        self,
        filename: str | os.PathLike[str],
        separator: str = ",",
        append: bool = False,
    ) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter[str] | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: IO[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if not distribution.is_chief():
            # In a data-parallel job, process 0 alone writes.
            return
        mode = "w"
        if self.append:
            self.append_header = not _has_header(self.filename)
            mode = "a"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(  # noqa: SIM115 - closed in on_train_end.
            self.filename, mode, newline="", encoding="utf-8"
        )
        self.writer = None
        self.keys = None

    def _columns(self, logs: Logs) -> list[str]:
        """Returns the sorted keys, plus `val_` keys if none are present."""
        keys = sorted(logs.keys())
        if keys and not any(key.startswith("val_") for key in keys):
            keys += [f"val_{key}" for key in keys]
        return keys

    def _make_writer(self) -> csv.DictWriter[str]:
        """Creates the writer and, if due, writes the header."""
        dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
        writer = csv.DictWriter(
            self.csv_file, fieldnames=["epoch", *(self.keys or [])], dialect=dialect
        )
        if self.append_header:
            writer.writeheader()
        return writer

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.csv_file is None:
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = self._columns(logs)
        if self.writer is None:
            self.writer = self._make_writer()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
