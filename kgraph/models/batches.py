"""Data given as batches: a ``PyDataset`` or a Python generator/iterator,
walked epoch by epoch as Keras's ``EpochIterator`` walks it.

Arrays are trained on by whole native epochs; batches computed by Python
code arrive one at a time instead. ``BatchSource`` yields the batches of
one epoch (``steps_per_epoch`` of them, or until the data ends);
``chunks`` groups consecutive batches that share a batch size and shapes
into one set of arrays, so the native loop still runs many steps per
call (see ``models.dataset_loops``).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.utils import py_dataset
from kgraph.utils import random as random_utils

_RAN_OUT = (
    "Your input ran out of data; interrupting training. Make sure that your "
    "dataset or generator can generate at least `steps_per_epoch * epochs` "
    "batches."
)


def is_batch_source(data: Any) -> bool:
    """Whether ``data`` gives batches (a ``PyDataset``, a generator or any
    iterator) rather than arrays."""
    if isinstance(data, py_dataset.PyDataset):
        return True
    if isinstance(data, np.ndarray | Mapping | list | tuple | str | bytes):
        return False
    return inspect.isgenerator(data) or (
        hasattr(data, "__next__") and hasattr(data, "__iter__")
    )


class BatchSource:
    """The batches of ``fit``, ``evaluate`` or ``predict`` data, one epoch
    at a time.

    A ``PyDataset`` gives its ``num_batches`` batches per epoch (shuffled
    in order when ``shuffle``), or ``steps`` of them continuing from where
    the last epoch stopped; ``on_epoch_begin``/``on_epoch_end`` run around
    every epoch. An iterator is read on across epochs: ``steps`` batches per
    epoch, or until it ends.

    Args:
        data: a ``PyDataset``, generator or iterator.
        steps: batches per epoch (``steps_per_epoch``, ``validation_steps``,
            ``steps``); ``None`` for all of them.
        shuffle: shuffle a ``PyDataset``'s batch order every epoch (a
            generator's order is its own, as in Keras).
        argument: the argument that set ``steps``, for messages.

    Raises:
        ValueError: for an endless ``PyDataset`` without ``steps``, or a
            ``steps`` that is not a positive integer.
    """

    def __init__(
        self,
        data: Any,
        steps: int | None = None,
        shuffle: bool = False,
        argument: str = "steps_per_epoch",
    ) -> None:
        if steps is not None and (
            isinstance(steps, bool)
            or not isinstance(steps, int | np.integer)
            or steps < 1
        ):
            raise ValueError(
                f"`{argument}` must be a positive integer or None. "
                f"Received: {argument}={steps!r}"
            )
        self.data = data
        self.steps = None if steps is None else int(steps)
        self.shuffle = shuffle
        self.is_dataset = isinstance(data, py_dataset.PyDataset)
        self.exhausted = False
        self._iterator: Iterator[Any] | None = None
        self._cursor = 0
        self._order: list[int] = []
        if self.is_dataset:
            count = data.num_batches
            if count is None and self.steps is None:
                raise ValueError(
                    f"The PyDataset {type(data).__name__} is endless (num_batches "
                    f"is None): pass `{argument}` to say how many batches make "
                    f"an epoch. Received: {argument}=None"
                )
            self._count = None if count is None else int(count)
        else:
            self._iterator = iter(data)
            self._count = None

    @property
    def steps_per_epoch(self) -> int | None:
        """Batches in an epoch, ``None`` while unknown (an iterator)."""
        if self.steps is not None:
            return self.steps
        return self._count

    def epoch(self) -> Iterator[Any]:
        """Yields the next epoch's batches (each as the data gives it)."""
        if self.is_dataset:
            yield from self._dataset_epoch()
        else:
            yield from self._iterator_epoch()

    def _dataset_epoch(self) -> Iterator[Any]:
        dataset = self.data
        dataset.on_epoch_begin()
        if self._count is None:
            indices: Any = range(self._cursor, self._cursor + (self.steps or 0))
            self._cursor += self.steps or 0
        else:
            if self._cursor == 0 or self._cursor >= self._count:
                # A dataset may change its length between epochs (Keras
                # asks again at every new pass).
                self._count = int(dataset.num_batches or 0)
                self._order = list(range(self._count))
                if self.shuffle:
                    self._order = (
                        random_utils.generator().permutation(self._count).tolist()
                    )
                self._cursor = 0
            wanted = self.steps or self._count
            indices = self._order[self._cursor : self._cursor + wanted]
            self._cursor += len(indices)
            if len(indices) < wanted:
                warnings.warn(_RAN_OUT, stacklevel=4)
        try:
            yield from py_dataset.iterate(dataset, indices)
        finally:
            dataset.on_epoch_end()

    def _iterator_epoch(self) -> Iterator[Any]:
        assert self._iterator is not None
        taken = 0
        while self.steps is None or taken < self.steps:
            try:
                batch = next(self._iterator)
            except StopIteration:
                self.exhausted = True
                if self.steps is not None:
                    warnings.warn(_RAN_OUT, stacklevel=4)
                return
            taken += 1
            yield batch


def is_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``PyDataset`` (not a generator or iterator)."""
    return isinstance(data, py_dataset.PyDataset)


def check_batch(batch: Any, what: str) -> Any:
    """A batch as a tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``
    (a lone array or dict is ``(x,)``).

    Raises:
        ValueError: for anything else, naming where it came from.
    """
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return (batch,)
    if len(batch) not in (1, 2, 3):
        raise ValueError(
            f"{what} must give batches `x`, `(x,)`, `(x, y)` or `(x, y, "
            f"sample_weight)`. Received: a tuple of {len(batch)} elements"
        )
    return batch


__all__ = ["BatchSource", "check_batch", "is_batch_source", "is_dataset"]
