"""Worker threads that enter native loops together.

``run(call, threads)`` calls ``call(tid)`` for ``tid`` in ``0..threads-1``,
thread 0 on the calling thread and the others on persistent workers, and
returns the results in tid order. ctypes releases the GIL for the duration
of a foreign call, so the native loops run in parallel; they synchronize
among themselves with the barrier in the generated code.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()
_WORKERS: list[_Worker] = []


class _Worker:
    """A daemon thread that runs the calls it is handed, one at a time."""

    def __init__(self) -> None:
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._serve, daemon=True, name="kgraph-worker"
        )
        self.thread.start()

    def _serve(self) -> None:
        while True:
            task = self.tasks.get()
            try:
                self.results.put((True, task()))
            except BaseException as error:
                self.results.put((False, error))


def _workers(count: int) -> list[_Worker]:
    with _LOCK:
        while len(_WORKERS) < count:
            _WORKERS.append(_Worker())
        return _WORKERS[:count]


def run(call: Callable[[int], Any], threads: int) -> list[Any]:
    """Calls ``call(tid)`` on ``threads`` threads at once.

    Returns:
        The results, in thread order.

    Raises:
        Whatever a call raised (after every thread finished).
    """
    if threads <= 1:
        return [call(0)]
    # One caller at a time: the native loops of one call wait for each other.
    with _RUN_LOCK:
        helpers = _workers(threads - 1)
        for tid, worker in enumerate(helpers, start=1):
            worker.tasks.put(lambda tid=tid: call(tid))
        try:
            first = (True, call(0))
        except BaseException as error:
            first = (False, error)
        outcomes = [first] + [worker.results.get() for worker in helpers]
    for ok, value in outcomes:
        if not ok:
            raise value
    return [value for _, value in outcomes]


_RUN_LOCK = threading.Lock()
