"""A model's executable in a data-parallel job: each process runs the
backend's executable on its share of every batch.

- ``train``: every process takes its contiguous share of each global batch
  of the epoch's order (``world.shard``), so local step ``b`` is global step
  ``b`` on every process; the training step's ``all_reduce`` sums the
  gradients (``compiler.replicas``), and the statistics are summed here, so
  the logs are the global ones.
- ``evaluate``: each process takes a contiguous share of the rows; the
  statistics are summed.
- ``predict``: each process predicts a contiguous share; the outputs are
  gathered in rank order, on every process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.distribution.world import World
from kgraph.distribution.world import check_rows
from kgraph.distribution.world import shard

# Dropout draws differ between processes: each offsets its seed by this
# times its rank.
_SEED_STRIDE = 1 << 32


class DataParallelExecutable:
    """Wraps a backend executable (``backends.base.Executable``) for one
    process of a data-parallel job.

    Args:
        inner: the backend's executable, whose training programs sum their
            gradients over the processes.
        world: the job's processes.
    """

    def __init__(self, inner: Any, world: World) -> None:
        self.inner = inner
        self.world = world
        # The last epoch order seen (kept, so its id is not reused), with
        # this process's rows of it.
        self._order: tuple[np.ndarray, int, np.ndarray] | None = None
        self._checked: set[tuple] = set()
        self._synchronized = False

    def placement(self, array: np.ndarray) -> np.ndarray | None:
        """As the backend's (see ``Executable.placement``)."""
        return self.inner.placement(array)

    def synchronize(self, state: Mapping[str, np.ndarray], epoch: int = 0) -> int:
        """Gives every process process 0's state and first epoch (before
        training: each process initialized its weights from its own random
        draws, and only process 0 may have restored a backup); returns the
        epoch.

        Raises:
            ValueError: on every process, when their models differ.
        """
        self.world.check_same("model (weight names, shapes and dtypes)", _shapes(state))
        self.world.broadcast([state[name] for name in sorted(state)])
        self._synchronized = True
        return int(self.world.broadcast_object(epoch))

    def train(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        order: np.ndarray,
        batch_size: int,
        batches: range,
        step: int,
        seed: int,
        learning_rate: float,
    ) -> dict[str, np.ndarray]:
        """Trains this process's share of ``batches`` (global ``batch_size``)
        and returns the statistics summed over the processes."""
        world = self.world
        if not self._synchronized:
            # The first training of this executable (batches from a
            # generator, train_on_batch): start from process 0's state.
            self.synchronize(state)
        self._check_job(state, data, batch_size, len(order))
        local = self._local_order(order, batch_size)
        rows = shard(batch_size, world.size, world.rank)
        sums = self.inner.train(
            state,
            data,
            local,
            rows[1] - rows[0],
            batches,
            step,
            seed + _SEED_STRIDE * world.rank,
            learning_rate,
        )
        return world.sum_statistics(sums)

    def evaluate(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Evaluates this process's share of the rows; the statistics summed
        over the processes."""
        part = self._share(data)
        if part is None:
            return self.world.sum_statistics({}, present=False)
        sums = self.inner.evaluate(state, part, self._batch(batch_size), version)
        return self.world.sum_statistics(sums)

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Predicts this process's share of the rows; every process gets
        all the outputs, in row order."""
        part = self._share(data)
        outputs = None
        if part is not None:
            outputs = self.inner.predict(state, part, self._batch(batch_size), version)
        gathered = self.world.gather_rows(outputs)
        if gathered or part is not None:
            return gathered
        return self.inner.predict(state, data, batch_size, version)

    # -- shares ------------------------------------------------------------------

    def _batch(self, batch_size: int) -> int:
        start, stop = shard(batch_size, self.world.size, self.world.rank)
        return max(1, stop - start)

    def _share(self, data: Mapping[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        rows = len(next(iter(data.values()))) if data else 0
        start, stop = shard(rows, self.world.size, self.world.rank)
        if stop == start:
            return None
        return {name: array[start:stop] for name, array in data.items()}

    def _local_order(self, order: np.ndarray, batch_size: int) -> np.ndarray:
        """This process's rows of every batch of process 0's ``order``, batch
        after batch (its batch ``b`` is its share of global batch ``b``).
        Every process meets a new epoch's order at the same call: process 0
        sends it, so the processes need not have drawn the same one."""
        if self._order is not None:
            seen, size, local = self._order
            if seen is order and size == batch_size:
                return local
        world = self.world
        shared = np.ascontiguousarray(order, dtype=np.int64).copy()
        world.broadcast([shared])
        pieces = []
        for first in range(0, len(order), batch_size):
            rows = min(batch_size, len(order) - first)
            check_rows(rows, world.size, f"the batch of samples {first}..")
            start, stop = shard(rows, world.size, world.rank)
            pieces.append(shared[first + start : first + stop])
        local = np.concatenate(pieces) if pieces else shared[:0]
        self._order = (order, batch_size, local)
        return local

    def _check_job(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        samples: int,
    ) -> None:
        """At a job's first step: every process has the same model, data
        shapes and batches (a mismatch would hang the first sum)."""
        signature = (
            _shapes(state),
            tuple((n, a.shape[1:], str(a.dtype)) for n, a in sorted(data.items())),
            batch_size,
            samples,
            math.ceil(samples / batch_size) if batch_size else 0,
        )
        if signature in self._checked:
            return
        self.world.check_same("model, data shapes and batches", signature)
        self._checked.add(signature)


def _shapes(arrays: Mapping[str, np.ndarray]) -> tuple:
    """Each array's name, shape and dtype, by name."""
    return tuple((n, a.shape, str(a.dtype)) for n, a in sorted(arrays.items()))


__all__ = ["DataParallelExecutable"]
