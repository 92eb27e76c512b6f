"""Small predictions through a call planned once.

A ``PredictPlan`` is made for one compiled prediction loop, one set of
state arrays and one input signature (each input's shape and dtype). It
does once what the general path (``LLVMExecutable.predict``) does on every
call: check the state arrays and the loop's outputs, build the pointer
tables and the argument list, choose the thread count. A call then copies
the inputs into buffers of the plan's own (which converts dtype, byte order
and layout as ``data.inputs`` does, and cannot be handed an array of
another shape: the caller matched the signature), runs the loop, and
returns copies of the outputs.

Calls from several Python threads each take a slot (buffers, arenas,
arguments) of their own from a pool, as ``CompiledLoop.take_arenas`` does,
so they never share memory; ``list.pop`` and ``append`` are atomic, so the
pool needs no lock.
"""

from __future__ import annotations

import ctypes
import statistics
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kgraph import errors
from kgraph.backends.llvm import parallel
from kgraph.backends.llvm import runtime
from kgraph.ops import lowering

# One-thread loops slower than this release the GIL during the call (see
# ``PredictPlan._timed``): measured on W1 (4.5 us: keeping it serves 4
# threads about 15% faster) and on the small CNN (13.5 us: releasing it
# serves them about 50% faster, on 2 cores).
RELEASE_GIL_SECONDS = 8e-6
_TIMED_CALLS = 5


@dataclass
class _Slot:
    """One caller's memory: input and output buffers, arenas, and the
    arguments of each thread's call."""

    inputs: list[np.ndarray]
    outputs: list[np.ndarray]
    # Kept alive: the arguments hold their addresses.
    keep: tuple[Any, ...]
    arguments: list[tuple[Any, ...]]
    # The arenas' prepared words, and the state version they were derived
    # from (-1: none yet).
    prepared: list[np.ndarray]
    version: int = -1


class PredictPlan:
    """A prediction loop's call for one input signature (see the module).

    Args:
        compiled: the loop, compiled for batches of all the rows.
        state: the state arrays by name (checked by the caller).
        inputs: each data array's ``(shape, dtype)``, in ``spec.data`` order.
        outputs: each output's ``(shape, dtype)``, in ``spec.results`` order.
        rows: the samples of a call.
        threads: the threads a call runs on.
    """

    def __init__(
        self,
        compiled: runtime.CompiledLoop,
        state: Mapping[str, np.ndarray],
        inputs: Sequence[tuple[tuple[int, ...], np.dtype]],
        outputs: Sequence[tuple[tuple[int, ...], np.dtype]],
        rows: int,
        threads: int,
    ) -> None:
        self.compiled = compiled
        self.state = [state[name] for name in compiled.spec.state]
        self.state_table = runtime.pointers(self.state)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.threads = threads
        self.single_input = len(self.inputs) == 1
        self.single_output = len(self.outputs) == 1
        # One thread starts keeping the GIL (see
        # runtime._SIGNATURE_HOLDING_GIL); the first calls are timed, and a
        # loop slower than RELEASE_GIL_SECONDS then releases it.
        call = compiled.short_call if threads == 1 else None
        self.function: Callable[..., Any] = call or compiled.function
        self._timings: list[float] | None = [] if call is not None else None
        self.rows = rows
        address = runtime._address_of(compiled, lowering.INDEX_ERROR_FLAG)
        self.flag = ctypes.c_int32.from_address(address) if address else None
        # Whether the loop keeps state derived from the weights.
        self.prepares = any(ready >= 0 for ready in compiled.spec.prepared)
        self._spare: list[_Slot] = []

    def __call__(self, arrays: Sequence[np.ndarray], version: int) -> list[np.ndarray]:
        """Runs the loop on ``arrays`` (of the plan's signature, in
        ``spec.data`` order) with the state at ``version``.

        Returns:
            Fresh arrays of the outputs, in ``spec.results`` order.

        Raises:
            KGraphError: when the native loop fails.
            ShapeError: for a gather index outside its table.
        """
        try:
            slot = self._spare.pop()
        except IndexError:
            slot = self._slot()
        try:
            if self.single_input:
                slot.inputs[0][...] = arrays[0]
            else:
                for buffer, array in zip(slot.inputs, arrays, strict=True):
                    buffer[...] = array
            if version != slot.version:
                # Prepared state (a transformed kernel) is derived again.
                for word in slot.prepared:
                    word[...] = 0
                slot.version = version
            runtime.note_native_call()
            if self._timings is not None:
                failed = self._timed(slot.arguments[0]) != 0
            elif self.threads == 1:
                failed = self.function(*slot.arguments[0]) != 0
            else:
                function = self.function
                statuses = parallel.run(
                    lambda tid: function(*slot.arguments[tid]), self.threads
                )
                failed = any(status != 0 for status in statuses)
            if failed:
                slot.version = -1
                raise errors.KGraphError("The native predict loop failed.")
            if self.flag is not None and self.flag.value:
                runtime._check_index_flag(self.compiled)
            if self.single_output:
                return [slot.outputs[0].copy()]
            return [output.copy() for output in slot.outputs]
        finally:
            self._spare.append(slot)

    def _timed(self, arguments: tuple[Any, ...]) -> int:
        """One of the first calls, timed; after ``_TIMED_CALLS`` of them a
        loop whose median exceeds ``RELEASE_GIL_SECONDS`` releases the GIL
        from then on: other Python threads (concurrent requests) run while
        it computes, and handing the GIL over costs little beside it."""
        started = time.perf_counter()
        status = self.function(*arguments)
        timings = self._timings
        if timings is not None:
            timings.append(time.perf_counter() - started)
            if len(timings) >= _TIMED_CALLS:
                if statistics.median(timings) > RELEASE_GIL_SECONDS:
                    self.function = self.compiled.function
                self._timings = None
        return status

    def _slot(self) -> _Slot:
        """A new slot: buffers on cache lines, and a pair of arenas."""
        spec = self.compiled.spec
        inputs = [_buffer(shape, dtype) for shape, dtype in self.inputs]
        outputs = [_buffer(shape, dtype) for shape, dtype in self.outputs]
        arenas = self.compiled.take_arenas(None)
        data_table = runtime.pointers(inputs)
        output_table = runtime.pointers(outputs)
        words = self.compiled.barrier.ctypes.data
        common = (
            self.state_table.ctypes.data,
            data_table.ctypes.data,
            None,
            self.rows,
            0,
            1,
            0,
            0,
            ctypes.c_float(0.0),
            output_table.ctypes.data,
            arenas[0].ctypes.data,
            arenas[1].ctypes.data,
        )
        arguments = [(*common, tid, self.threads, words) for tid in range(self.threads)]
        prepared = [
            storage[ready : ready + 8]
            for storage, ready in zip(arenas, spec.prepared, strict=True)
            if ready >= 0
        ]
        return _Slot(
            inputs,
            outputs,
            (arenas, data_table, output_table),
            arguments,
            prepared,
        )


def _buffer(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An empty C-contiguous array that starts on a cache line."""
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    storage = runtime.arena(max(size, 1))[:size]
    return storage.view(dtype).reshape(shape)
