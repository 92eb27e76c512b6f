"""``PyDataset``: batches computed by Python code, as ``keras.utils.PyDataset``.

A subclass implements ``__getitem__`` (batch ``index``) and ``__len__`` (or
the ``num_batches`` property, ``None`` for an endless dataset); ``fit``,
``evaluate`` and ``predict`` take it instead of arrays. ``iterate`` walks a
dataset's batches in an order, computing them ahead on a thread pool when
the dataset asks for ``workers > 1``.
"""

from __future__ import annotations

import itertools
import warnings
from collections import deque
from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class PyDataset:
    """Base class for datasets that compute their batches in Python.

    Every ``PyDataset`` must implement ``__getitem__`` and ``__len__`` (or
    the ``num_batches`` property). A batch is ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)``, each structured as the model's inputs and
    outputs. ``on_epoch_end`` runs after every epoch (to reshuffle, say).

    With ``workers > 1`` kgraph computes up to ``max_queue_size`` batches
    ahead on a pool of threads, in order. ``use_multiprocessing=True`` is
    accepted and also runs on threads: kgraph's native training loops
    release the GIL, so NumPy batch code overlaps with training without
    forking processes (and without pickling the dataset).

    Args:
        workers: how many threads compute batches (1: in the training
            thread, one batch at a time).
        use_multiprocessing: accepted for Keras compatibility; threads are
            used.
        max_queue_size: how many batches may be computed ahead when
            ``workers > 1``.

    Example:

    >>> import numpy as np
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, index):
    ...         part = slice(index * self.batch_size, (index + 1) * self.batch_size)
    ...         return self.x[part], self.y[part]
    >>> data = Batches(np.zeros((10, 2)), np.ones((10, 1)), batch_size=4)
    >>> data.num_batches, data[2][0].shape
    (3, (2, 2))
    """

    def __init__(
        self,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = False
        for name, default in (
            ("_workers", 1),
            ("_use_multiprocessing", False),
            ("_max_queue_size", 10),
        ):
            if name not in self.__dict__:
                setattr(self, name, default)
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` "
                "in its constructor. `**kwargs` can include `workers`, "
                "`use_multiprocessing`, `max_queue_size`. Do not pass these "
                "arguments to `fit()`, as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        """How many threads compute batches."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Accepted for Keras compatibility (kgraph uses threads)."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """How many batches may be computed ahead."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """Returns batch ``index``.

        Raises:
            NotImplementedError: unless a subclass implements it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)` "
            f"returning a batch. Received: index={index}"
        )

    def __iter__(self) -> Iterator[Any]:
        """Yields every batch in order (forever if ``num_batches`` is ``None``)."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]

    @property
    def num_batches(self) -> int | None:
        """The number of batches, ``None`` for an endless dataset.

        Raises:
            NotImplementedError: when the class defines neither ``__len__``
                nor ``num_batches``.
        """
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n"
            "@property\ndef num_batches(self):\n  return ..."
        )

    def on_epoch_begin(self) -> None:
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


Sequence = PyDataset


def iterate(dataset: PyDataset, indices: Iterable[int]) -> Iterator[Any]:
    """Yields ``dataset[i]`` for each index, in order.

    With ``dataset.workers > 1`` the next ``max_queue_size`` batches are
    computed ahead on a thread pool; the pool stops when the iteration
    ends or is abandoned.

    Args:
        dataset: the dataset.
        indices: the batch indices (possibly endless).

    Returns:
        An iterator of batches.
    """
    workers = int(dataset.workers or 1)
    if workers <= 1:
        return (dataset[index] for index in indices)
    return _prefetched(dataset, iter(indices), workers, max(1, dataset.max_queue_size))


def _prefetched(
    dataset: PyDataset, indices: Iterator[int], workers: int, ahead: int
) -> Iterator[Any]:
    pending: deque[Any] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for index in itertools.islice(indices, ahead):
                pending.append(pool.submit(dataset.__getitem__, index))
            while pending:
                batch = pending.popleft().result()
                for index in itertools.islice(indices, 1):
                    pending.append(pool.submit(dataset.__getitem__, index))
                yield batch
        finally:
            for future in pending:
                future.cancel()


__all__ = ["PyDataset", "Sequence", "iterate"]
