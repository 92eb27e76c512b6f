"""``timeseries_dataset_from_array``: sliding windows over a series, in
batches, as ``keras.utils.timeseries_dataset_from_array`` makes them (a
``PyDataset`` here: kgraph has no ``tf.data``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph.utils.py_dataset import PyDataset


class TimeseriesDataset(PyDataset):
    """Batches of windows ``data[start + p + k * sampling_rate]`` (``k <
    sequence_length``) for the start positions ``p``, with the targets
    ``targets[start + p]``; made by ``timeseries_dataset_from_array``.

    Args:
        data: the series (samples along axis 0).
        targets: one target per time step, or ``None``.
        positions: the windows' start positions (relative to ``start``).
        offsets: the time steps of a window relative to its start.
        start: the first time step used.
        batch_size: windows per batch, or ``None`` for single windows.
        rng: reshuffles ``positions`` after every epoch, if given.
    """

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray | None,
        positions: np.ndarray,
        offsets: np.ndarray,
        start: int,
        batch_size: int | None,
        rng: np.random.RandomState | None = None,
    ) -> None:
        super().__init__()
        self.data = data
        self.targets = targets
        self.positions = positions
        self.offsets = offsets
        self.start = start
        self.batch_size = batch_size
        self.rng = rng

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.positions)
        return math.ceil(len(self.positions) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(
                f"Batch index out of range: the dataset has {len(self)} batches. "
                f"Received: index={index}"
            )
        size = self.batch_size or 1
        starts = self.start + self.positions[index * size : (index + 1) * size]
        windows = self.data[starts[:, None] + self.offsets[None, :]]
        targets = None if self.targets is None else self.targets[starts]
        if self.batch_size is None:
            windows = windows[0]
            targets = None if targets is None else targets[0]
        return windows if targets is None else (windows, targets)

    def on_epoch_end(self) -> None:
        """Reshuffles the windows when the dataset was made with ``shuffle``."""
        if self.rng is not None:
            self.rng.shuffle(self.positions)


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> TimeseriesDataset:
    """Makes a dataset of sliding windows over a series.

    Window ``i`` holds ``sequence_length`` time steps ``sampling_rate``
    apart, starting at ``start_index + i * sequence_stride``; its target is
    the target of its first time step. ``fit``, ``evaluate`` and ``predict``
    take the result as they take any ``PyDataset``.

    Args:
        data: the series: an array with time along axis 0.
        targets: the target of each time step (``targets[i]`` belongs to the
            window starting at ``i``), or ``None``.
        sequence_length: time steps per window.
        sequence_stride: time steps between the starts of windows.
        sampling_rate: time steps between the entries of a window.
        batch_size: windows per batch (``None``: single windows).
        shuffle: shuffle the windows (again after every epoch).
        seed: the shuffle's seed.
        start_index: the first time step used.
        end_index: the time step before which windows end.
        format: ``"tf"`` or ``"grain"`` (accepted for Keras compatibility:
            kgraph returns its own ``PyDataset`` either way).

    Returns:
        A ``PyDataset`` of batches ``x`` or ``(x, y)``.

    Raises:
        ValueError: for indices, rates or strides out of range.

    Example:

    >>> dataset = timeseries_dataset_from_array(
    ...     np.arange(10), None, sequence_length=3, sequence_stride=2, batch_size=2)
    >>> dataset[0].tolist(), len(dataset)
    ([[0, 1, 2], [2, 3, 4]], 2)
    """
    if format not in ("tf", "grain"):
        raise ValueError(
            f'`format` should be either "tf" or "grain". Received: format={format}'
        )
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    _check(len(data), sampling_rate, sequence_stride, start_index, end_index)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets) - start)
    positions = np.arange(0, max(count, 0), sequence_stride)
    rng = None
    if shuffle:
        rng = np.random.RandomState(np.random.randint(1e6) if seed is None else seed)
        rng.shuffle(positions)
    offsets = np.arange(sequence_length) * sampling_rate
    return TimeseriesDataset(data, targets, positions, offsets, start, batch_size, rng)


def _check(
    length: int,
    sampling_rate: int,
    sequence_stride: int,
    start_index: int | None,
    end_index: int | None,
) -> None:
    if start_index and not 0 <= start_index < length:
        raise ValueError(
            "`start_index` must be 0 or greater and lower than the length of the "
            f"data. Received: start_index={start_index}, for data of length {length}"
        )
    if end_index is not None:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if not 0 < end_index < length:
            raise ValueError(
                "`end_index` must be higher than 0 and lower than the length of "
                f"the data. Received: end_index={end_index}, for data of length "
                f"{length}"
            )
    for name, value in (
        ("sampling_rate", sampling_rate),
        ("sequence_stride", sequence_stride),
    ):
        if not 0 < value < length:
            raise ValueError(
                f"`{name}` must be higher than 0 and lower than the length of the "
                f"data. Received: {name}={value}, for data of length {length}"
            )


__all__ = ["TimeseriesDataset", "timeseries_dataset_from_array"]
