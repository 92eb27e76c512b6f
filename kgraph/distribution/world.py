"""The processes of an MPI job, as data-parallel training uses them.

``World`` wraps ``mpi4py``'s ``COMM_WORLD`` (a duplicate, so that a
program's own MPI traffic never mixes with kgraph's): the sums, broadcasts
and gathers the trainer needs between native calls, and the reducer the
``all_reduce`` op of a training step calls from native code
(``ops.collective``).

A process that raises an exception nobody catches would leave the others
waiting in their next sum for ever; ``World`` installs an exception hook
that prints the error with the process's rank and then aborts the whole
job (``MPI_Abort``), as ``python -m mpi4py`` does.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import config

INSTALL_HINT = 'pip install "kgraph[distributed]"'

# int32 reduce(const float *send, float *receive, int64 count): the C entry
# point of ops.collective.REDUCER_SYMBOL.
_NATIVE_REDUCE = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64
)


def load_mpi() -> Any:
    """Imports ``mpi4py.MPI``.

    Raises:
        ImportError: saying what to install, when mpi4py (or the MPI
            library it needs) is missing.
    """
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "kg.distribution runs data-parallel jobs over MPI through mpi4py, "
            f"which could not be imported: install it with {INSTALL_HINT} "
            "(mpi4py and an MPI library wheel, with its `mpiexec`). "
            f"Received: {error}"
        ) from None
    return MPI


class World:
    """This process's view of the job: its rank, the process count, and the
    collective operations on NumPy arrays."""

    def __init__(self) -> None:
        self.mpi = load_mpi()
        self.comm = self.mpi.COMM_WORLD.Dup()
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()
        local = self.comm.Split_type(self.mpi.COMM_TYPE_SHARED)
        # Processes sharing this machine (they share its cores too).
        self.local_size: int = local.Get_size()
        local.Free()
        self._views: dict[tuple[int, int], np.ndarray] = {}
        # Seconds spent in the training steps' sums (waiting for the other
        # processes included) when they go through the callback: what
        # tools/bench.py reports as their share.
        self.reduce_seconds = 0.0
        self._entry = _NATIVE_REDUCE(self._native_reduce)
        # The direct entry point (native_sum), once built: False where the
        # MPI library's ABI is not known.
        self._direct: tuple[Any, int] | bool | None = None
        if self.size > 1:
            _abort_on_uncaught_exceptions(self)

    # -- the reducer of ops.collective ------------------------------------------

    def all_reduce(self, array: np.ndarray) -> np.ndarray:
        """The element-wise sum of a float32 array over every process."""
        started = time.perf_counter()
        send = np.ascontiguousarray(array, dtype=np.float32)
        receive = np.empty_like(send)
        self.comm.Allreduce(send, receive, op=self.mpi.SUM)
        self.reduce_seconds += time.perf_counter() - started
        return receive

    def native(self) -> int:
        """The address of the reducer's C entry point."""
        callback = ctypes.cast(self._entry, ctypes.c_void_p).value or 0
        if not config.mpi_direct_calls():
            return callback
        if self._direct is None:
            # Imported here: it needs LLVM, which ``import kgraph`` does not.
            from kgraph.distribution.native_sum import direct_sum

            self._direct = direct_sum(self.mpi, self.comm, callback) or False
        return self._direct[1] if self._direct else callback

    def _view(self, address: int, count: int) -> np.ndarray:
        key = (address, count)
        view = self._views.get(key)
        if view is None:
            if len(self._views) > 64:
                self._views.clear()
            array = (ctypes.c_float * count).from_address(address)
            view = self._views[key] = np.ctypeslib.as_array(array)
        return view

    def _native_reduce(self, send: int, receive: int, count: int) -> int:
        started = time.perf_counter()
        try:
            target = self._view(receive, count)
            if send == receive:
                self.comm.Allreduce(self.mpi.IN_PLACE, target, op=self.mpi.SUM)
            else:
                source = self._view(send, count)
                self.comm.Allreduce(source, target, op=self.mpi.SUM)
            self.reduce_seconds += time.perf_counter() - started
            return 0
        except BaseException:
            # Native code cannot raise: stop the job rather than go on with
            # gradients that are not summed.
            self.abort("the gradient sum of a training step failed")
            return 1

    # -- collectives between native calls ---------------------------------------

    def sum_statistics(
        self, sums: Mapping[str, np.ndarray], present: bool = True
    ) -> dict[str, np.ndarray]:
        """Sums each statistic over the processes (``present=False``: this
        process has none, its share is zero)."""
        gathered = self.comm.allgather(dict(sums) if present else None)
        totals: dict[str, np.ndarray] = {}
        for part in gathered:
            for name, value in (part or {}).items():
                totals[name] = totals[name] + value if name in totals else value
        return totals

    def broadcast(self, arrays: Sequence[np.ndarray]) -> None:
        """Overwrites ``arrays`` in place with process 0's."""
        for array in arrays:
            self.comm.Bcast(array, root=0)

    def broadcast_object(self, value: Any) -> Any:
        """Process 0's ``value``, on every process."""
        return self.comm.bcast(value, root=0)

    def gather_rows(
        self, parts: Mapping[str, np.ndarray] | None
    ) -> dict[str, np.ndarray]:
        """Every process's arrays joined along the rows, in rank order
        (``None``: this process has no rows)."""
        gathered = [p for p in self.comm.allgather(parts) if p is not None]
        if not gathered:
            return {}
        return {
            name: np.concatenate([p[name] for p in gathered], axis=0)
            for name in gathered[0]
        }

    def check_same(self, what: str, value: Any) -> None:
        """Raises on every process when processes disagree on ``value``.

        Raises:
            ValueError: naming the processes that differ from process 0.
        """
        values = self.comm.allgather(value)
        differ = [rank for rank, v in enumerate(values) if v != values[0]]
        if differ:
            mine, theirs = _first_difference(values[0], values[differ[0]])
            raise ValueError(
                f"DataParallel: every process must run the same {what}, but "
                f"process(es) {differ} differ from process 0. Process 0 has "
                f"{mine!r}. Received: {theirs!r} on process {differ[0]}"
            )

    def abort(self, reason: str) -> None:
        """Prints the current exception and ends the whole job."""
        sys.stderr.write(
            f"kgraph: process {self.rank} of {self.size} stops the job: {reason}\n"
        )
        traceback.print_exc()
        sys.stderr.flush()
        self.comm.Abort(1)


def _abort_on_uncaught_exceptions(world: World) -> None:
    """Makes an exception that ends this process end the job too."""
    previous = sys.excepthook

    def hook(kind: Any, value: Any, trace: Any) -> None:
        sys.stderr.write(
            f"kgraph: process {world.rank} of {world.size} raised "
            f"{kind.__name__}; stopping every process of the job.\n"
        )
        previous(kind, value, trace)
        sys.stderr.flush()
        world.comm.Abort(1)

    def thread_hook(arguments: Any) -> None:
        hook(arguments.exc_type, arguments.exc_value, arguments.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _first_difference(first: Any, second: Any) -> tuple[Any, Any]:
    """The first items where two equally long tuples differ (or the
    values themselves)."""
    same_length = isinstance(first, tuple) and isinstance(second, tuple)
    if same_length and len(first) == len(second):
        for mine, theirs in zip(first, second, strict=True):
            if mine != theirs:
                return mine, theirs
    return first, second


def shard(total: int, size: int, rank: int) -> tuple[int, int]:
    """The rows ``[start, stop)`` of ``total`` that process ``rank`` of
    ``size`` takes: contiguous, the first ``total % size`` processes one
    more (so a process's share never shrinks as ``total`` grows)."""
    quotient, remainder = divmod(total, size)
    start = rank * quotient + min(rank, remainder)
    return start, start + quotient + (1 if rank < remainder else 0)


def check_rows(total: int, size: int, what: str) -> None:
    """Raises unless every process gets a row of a step of ``total`` rows.

    Raises:
        ValueError: naming the step's rows and the process count.
    """
    if total < size:
        raise ValueError(
            f"DataParallel: {what} has {total} row(s), fewer than the {size} "
            "processes, so some would train on nothing: use a batch size and "
            "sample count that leave at least one row per process in every "
            f"batch. Received: {total} rows for {size} processes"
        )


__all__ = ["INSTALL_HINT", "World", "check_rows", "load_mpi", "shard"]
