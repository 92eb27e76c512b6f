"""Times kgraph's generated GEMM against NumPy's, shape by shape.

Usage::

    python tools/gemm_bench.py                  # 512^3 and the MNIST MLP's shapes
    python tools/gemm_bench.py --clock cpu      # thread CPU time (busy machines)

NumPy's BLAS threads follow the environment it was imported with: run with
``OPENBLAS_NUM_THREADS=1`` for a single-thread comparison::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \\
        python tools/gemm_bench.py
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph.backends.llvm.kernels.gemm import GemmPlan
from kgraph.testing.native import compile_gemm


def _operands(
    m: int,
    n: int,
    k: int,
    transpose_a: bool,
    transpose_b: bool,
    dtype: str,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(dtype)
    return a, b, np.zeros((m, n), dtype)


_CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def benchmark(
    m: int,
    n: int,
    k: int,
    transpose_a: bool = False,
    transpose_b: bool = False,
    repeats: int = 7,
    dtype: str = "float32",
    plan: GemmPlan | None = None,
    per_call: bool = False,
    clock: str = "wall",
) -> float:
    """Median seconds of one single-threaded GEMM of this shape.

    Each of ``repeats`` samples runs the kernel enough times (inside native
    code, so ctypes costs nothing) to take about 2 ms, and reports the time
    per call; with ``per_call`` every call goes through ctypes instead.
    ``clock="cpu"`` counts the calling thread's CPU time instead of wall
    time, which ignores the time other processes take the core away.
    """
    compiled = compile_gemm(m, n, k, transpose_a, transpose_b, dtype, plan)
    a, b, out = _operands(m, n, k, transpose_a, transpose_b, dtype)
    pointers = (a.ctypes.data, b.ctypes.data, out.ctypes.data)
    count = _calls_per_sample(m, n, k)

    def run() -> None:
        if per_call:
            for _ in range(count):
                compiled.function(*pointers)
        else:
            compiled.repeat(*pointers, count)

    return _median_per_call(run, count, clock, repeats)


def benchmark_numpy(
    m: int,
    n: int,
    k: int,
    transpose_a: bool = False,
    transpose_b: bool = False,
    repeats: int = 7,
    dtype: str = "float32",
    clock: str = "wall",
) -> float:
    """Median seconds of ``np.matmul`` on the same operands (same sampling)."""
    a, b, out = _operands(m, n, k, transpose_a, transpose_b, dtype)
    left = a.T if transpose_a else a
    right = b.T if transpose_b else b
    count = _calls_per_sample(m, n, k)

    def run() -> None:
        for _ in range(count):
            np.matmul(left, right, out=out)

    return _median_per_call(run, count, clock, repeats)


def _calls_per_sample(m: int, n: int, k: int) -> int:
    """Calls enough for a sample of about 2 ms (at 50 GFLOP/s)."""
    return max(1, int(2e-3 * 50e9 / (2.0 * m * n * max(k, 1))))


def _median_per_call(run: Any, count: int, clock: str, repeats: int) -> float:
    """Runs ``run`` (``count`` calls) once to warm up, then ``repeats``
    times; the median seconds per call."""
    timer = _CLOCKS[clock]
    run()

    def sample() -> float:
        started = timer()
        run()
        return (timer() - started) / count

    return statistics.median(sample() for _ in range(max(1, repeats)))


def gflops(m: int, n: int, k: int, seconds: float) -> float:
    """GFLOP/s of an ``m x n x k`` product taking ``seconds``."""
    return 2.0 * m * n * k / seconds / 1e9 if seconds > 0 else math.inf


# The MNIST MLP training step (batch 32, 784 -> 128 -> 10): the forward
# products, and the gradient products that take transposed operands.
MNIST_SHAPES = (
    (32, 128, 784, False, False),
    (784, 128, 32, True, False),
    (32, 784, 128, False, True),
    (32, 10, 128, False, False),
)


def report(
    shapes: Sequence[tuple] = ((512, 512, 512, False, False), *MNIST_SHAPES),
    repeats: int = 15,
    clock: str = "wall",
) -> list[dict[str, Any]]:
    """Times each shape with kgraph and NumPy, alternating, and prints
    GFLOP/s (see the module docstring for NumPy's threads). On a busy
    machine ``clock="cpu"`` (thread CPU time, for both) keeps the time other
    processes hold the core out of the comparison.
    """
    rows = []
    for m, n, k, ta, tb in shapes:
        ours, theirs = [], []
        for _ in range(3):
            ours.append(benchmark(m, n, k, ta, tb, repeats, clock=clock))
            theirs.append(benchmark_numpy(m, n, k, ta, tb, repeats, clock=clock))
        mine, numpy_time = statistics.median(ours), statistics.median(theirs)
        row = {
            "shape": f"{m}x{k} @ {k}x{n}",
            "transpose_a": ta,
            "transpose_b": tb,
            "kgraph_us": mine * 1e6,
            "numpy_us": numpy_time * 1e6,
            "kgraph_gflops": gflops(m, n, k, mine),
            "numpy_gflops": gflops(m, n, k, numpy_time),
        }
        rows.append(row)
        print(
            f"m={m:4d} n={n:4d} k={k:4d} ta={int(ta)} tb={int(tb)}  "
            f"kgraph {row['kgraph_gflops']:6.1f} GFLOP/s ({row['kgraph_us']:8.1f} us)  "
            f"numpy {row['numpy_gflops']:6.1f} GFLOP/s ({row['numpy_us']:8.1f} us)  "
            f"ratio {numpy_time / mine:4.2f}x",
            flush=True,
        )
    return rows


def main() -> None:
    """Runs ``report`` from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    report(repeats=args.repeats, clock=args.clock)


if __name__ == "__main__":
    main()
