"""The gradient sum as a direct call of the MPI library from native code.

``World``'s default reducer entry point is a ctypes callback: native code
calls into Python, which calls ``MPI_Allreduce`` through mpi4py. This module
compiles a small native function with the same signature that calls
``MPI_Allreduce`` itself, so a training step never enters Python. It reads
the MPI function, the handles and ``MPI_IN_PLACE`` from words of its own
module that ``direct_sum`` fills in, so its IR is the same in every process
(and the disk cache keeps one copy).

Only MPICH's ABI is known here (handles are ``int``, ``MPI_IN_PLACE`` is
``(void *) -1``); with another MPI library ``direct_sum`` gives ``None`` and
the callback stays.
"""

from __future__ import annotations

import ctypes
from typing import Any

from kgraph.backends.llvm import jit

# int32 kgraph_mpi_reduce(const float *send, float *receive, int64 count):
# MPI_Allreduce(send == receive ? MPI_IN_PLACE : send, receive, count,
# MPI_FLOAT, MPI_SUM, comm), and MPI_Abort(comm, code) if it fails. Counts
# past INT32_MAX (MPI_Allreduce's int) go to the callback instead.
_IR = """
@kgraph_mpi_allreduce = global ptr null, align 8
@kgraph_mpi_abort = global ptr null, align 8
@kgraph_mpi_callback = global ptr null, align 8
@kgraph_mpi_in_place = global ptr null, align 8
@kgraph_mpi_float = global i64 0, align 8
@kgraph_mpi_sum = global i64 0, align 8
@kgraph_mpi_comm = global i64 0, align 8

define i32 @kgraph_mpi_reduce(ptr %send, ptr %receive, i64 %count) {
entry:
  %large = icmp sgt i64 %count, 2147483647
  br i1 %large, label %slow, label %fast
slow:
  %callback = load ptr, ptr @kgraph_mpi_callback
  %status = call i32 %callback(ptr %send, ptr %receive, i64 %count)
  ret i32 %status
fast:
  %same = icmp eq ptr %send, %receive
  %in_place = load ptr, ptr @kgraph_mpi_in_place
  %source = select i1 %same, ptr %in_place, ptr %send
  %n = trunc i64 %count to i32
  %type = load i64, ptr @kgraph_mpi_float
  %op = load i64, ptr @kgraph_mpi_sum
  %comm = load i64, ptr @kgraph_mpi_comm
  %allreduce = load ptr, ptr @kgraph_mpi_allreduce
  %code = call i32 %allreduce(ptr %source, ptr %receive, i32 %n,
                              i64 %type, i64 %op, i64 %comm)
  %failed = icmp ne i32 %code, 0
  br i1 %failed, label %abort, label %done
abort:
  %stop = load ptr, ptr @kgraph_mpi_abort
  %ignored = call i32 %stop(i64 %comm, i32 %code)
  ret i32 %code
done:
  ret i32 0
}
"""

# MPICH's MPI_IN_PLACE.
_MPICH_IN_PLACE = ctypes.c_void_p(-1 & (2**64 - 1)).value


def _library(mpi: Any) -> ctypes.CDLL | None:
    """The MPI library mpi4py loaded (found by its exported symbol)."""
    for name in ("libmpi.so.12", "libmpi.so", "libmpich.so.12"):
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        if hasattr(library, "MPI_Allreduce"):
            return library
    return None


def direct_sum(mpi: Any, comm: Any, callback: int) -> tuple[Any, int] | None:
    """The native entry point calling ``MPI_Allreduce`` directly, with the
    library that must outlive it, or ``None`` where only the callback works.

    Args:
        mpi: the ``mpi4py.MPI`` module.
        comm: the communicator to sum over.
        callback: the callback entry point (for counts past ``INT32_MAX``).
    """
    if not mpi.Get_library_version().startswith("MPICH"):
        return None
    library = _library(mpi)
    if library is None:
        return None
    compiled = jit.compile_ir(_IR)
    words: dict[str, int | None] = {
        "kgraph_mpi_allreduce": ctypes.cast(
            library.MPI_Allreduce, ctypes.c_void_p
        ).value,
        "kgraph_mpi_abort": ctypes.cast(library.MPI_Abort, ctypes.c_void_p).value,
        "kgraph_mpi_callback": callback,
        "kgraph_mpi_in_place": _MPICH_IN_PLACE,
        "kgraph_mpi_float": mpi._handleof(mpi.FLOAT),
        "kgraph_mpi_sum": mpi._handleof(mpi.SUM),
        "kgraph_mpi_comm": mpi._handleof(comm),
    }
    for name, value in words.items():
        address = compiled.engine.get_global_value_address(name)
        ctypes.c_uint64.from_address(address).value = (value or 0) & (2**64 - 1)
    return (compiled, library), compiled.address("kgraph_mpi_reduce")
