"""Runtime configuration: the only module that reads ``KGRAPH_*`` variables.

Every other module asks this one, so the set of knobs is visible in one place.
"""

from __future__ import annotations

import os
from pathlib import Path


def dump_dir() -> Path | None:
    """Returns the folder named by ``KGRAPH_DUMP_DIR``, or ``None``."""
    value = os.environ.get("KGRAPH_DUMP_DIR")
    return Path(value) if value else None


# kgraph's version (``kgraph.__version__``), here so that any module can
# read it without importing the whole package.
VERSION = "0.1.0"


def default_backend() -> str:
    """Returns the backend ``compile()`` uses when none is given."""
    return os.environ.get("KGRAPH_BACKEND", "llvm")


def cache_dir() -> Path:
    """Returns the folder of the on-disk compile cache (``KGRAPH_CACHE_DIR``)."""
    value = os.environ.get("KGRAPH_CACHE_DIR")
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgraph"


def verify_passes() -> bool:
    """Whether the pass runner verifies the graph after every pass."""
    return os.environ.get("KGRAPH_VERIFY", "0") not in ("", "0", "false")


# Processes sharing this machine's cores (a data-parallel job's local
# processes; see ``share_cores``).
_SHARING = 1


def share_cores(processes: int) -> None:
    """Says how many processes of a job share this machine: each one's
    native loops then take its share of the cores by default."""
    global _SHARING
    _SHARING = max(1, int(processes))


def num_threads() -> int:
    """Threads the native loops use (``KGRAPH_NUM_THREADS``, default: all
    cores, or this process's share of them when a job's processes share
    the machine)."""
    value = os.environ.get("KGRAPH_NUM_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                "KGRAPH_NUM_THREADS must be a positive integer. "
                f"Received: KGRAPH_NUM_THREADS={value!r}"
            ) from None
    return max(1, (os.cpu_count() or 1) // _SHARING)


def mpi_direct_calls() -> bool:
    """Whether a data-parallel training step calls ``MPI_Allreduce`` from
    native code (``KGRAPH_MPI_DIRECT``, default on where the MPI library's
    ABI is known; ``0`` goes through a Python callback, which measures its
    time; see ``distribution/native_sum.py``)."""
    return os.environ.get("KGRAPH_MPI_DIRECT", "1") not in ("", "0", "false")


def compile_helper() -> bool:
    """Whether big loops compile partly in a helper process
    (``KGRAPH_COMPILE_HELPER``, default on; ``0`` compiles everything in
    this process)."""
    return os.environ.get("KGRAPH_COMPILE_HELPER", "1") != "0"


def perf_map() -> bool:
    """Whether loaded native code is listed in ``/tmp/perf-<pid>.map`` so
    ``perf report`` names its kernels (``KGRAPH_PERF_MAP``, default off; see
    ``backends/llvm/perf_map.py``)."""
    return os.environ.get("KGRAPH_PERF_MAP", "0") not in ("", "0", "false")


def flush_denormals() -> bool:
    """Whether the native loops flush denormal results to zero
    (``KGRAPH_FLUSH_DENORMALS``, default on; see ``backends/llvm/fpenv.py``)."""
    return os.environ.get("KGRAPH_FLUSH_DENORMALS", "1") not in ("", "0", "false")


# Keras's fuzz factor (``keras.backend.epsilon``): the clipping of
# probabilities in crossentropies and the floor of norms in ``kgraph.ops``.
_EPSILON = [1e-7]


def epsilon() -> float:
    """Returns the fuzz factor ops use to avoid dividing by zero (1e-7)."""
    return _EPSILON[0]


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor returned by ``epsilon()``."""
    _EPSILON[0] = float(value)
