"""W1 over an MPI job (``kg.distribution.DataParallel``): one epoch at a
global batch of 256 on 1 and on 2 processes of this machine, one thread
each, with the gradient sums called from native code; and on 2 processes
with the sums through the Python callback, which also measures the share
of the epoch the processes spend in them (waiting for each other
included).

Usage::

    python tools/bench_mpi.py              # medians of 3 epochs
    python tools/bench_mpi.py --repeats 5

``tools/bench.py`` runs it too when mpi4py and ``mpiexec`` are installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BATCH = 256


def job(repeats: int) -> None:
    """One process of the job: W1's epochs; process 0 prints the medians."""
    from bench import CLASSES
    from bench import FEATURES
    from bench import HIDDEN
    from bench import make_data

    import kgraph as kg

    strategy = kg.distribution.DataParallel()
    kg.distribution.set_distribution(strategy)
    x, y = make_data()
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.Input((FEATURES,)),
            kg.layers.Dense(HIDDEN, activation="relu"),
            kg.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    epochs, shares = [], []
    for _ in range(repeats):
        before = strategy.world.reduce_seconds
        started = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        seconds = time.perf_counter() - started
        epochs.append(seconds)
        shares.append((strategy.world.reduce_seconds - before) / seconds)
    if strategy.is_chief:
        print(
            json.dumps(
                {"epoch": statistics.median(epochs), "share": statistics.median(shares)}
            )
        )


def mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python, or on the path."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def available() -> bool:
    """Whether mpi4py and ``mpiexec`` are installed."""
    from importlib import util

    return util.find_spec("mpi4py") is not None and mpiexec() is not None


def _run(processes: int, repeats: int, direct: bool) -> dict:
    environment = dict(
        os.environ,
        KGRAPH_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        KGRAPH_MPI_DIRECT="1" if direct else "0",
    )
    command = [mpiexec(), "-n", str(processes), sys.executable, __file__]
    output = subprocess.run(
        [*command, "--job", "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=Path(__file__).parent,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def scaling(repeats: int) -> dict:
    """W1's epoch on 1 and 2 processes of one thread (the sums called from
    native code), the scaling efficiency ``t1 / (2 * t2)``, and the
    2-process epoch with the sums through the Python callback, which also
    gives their share of the epoch."""
    results: dict = {}
    for processes in (1, 2):
        results[f"w1_mpi{processes}_b256"] = _run(processes, repeats, True)["epoch"]
    through_python = _run(2, repeats, False)
    results["w1_mpi2_callback_b256"] = through_python["epoch"]
    results["w1_mpi2_allreduce_share"] = through_python["share"]
    results["w1_mpi2_efficiency"] = results["w1_mpi1_b256"] / (
        2 * results["w1_mpi2_b256"]
    )
    return results


def format_scaling(results: dict) -> str:
    """One line per process count, as tools/bench.py prints them."""
    one, two = results["w1_mpi1_b256"], results["w1_mpi2_b256"]
    callback = results["w1_mpi2_callback_b256"]
    return "\n".join(
        [
            f"W1 over MPI, global batch {BATCH}, 1 thread per process:",
            f"  1 process: {one:.3f} s/epoch",
            f"  2 processes: {two:.3f} s/epoch = {one / two:.2f}x faster, "
            f"scaling efficiency {results['w1_mpi2_efficiency']:.0%}",
            f"  2 processes, sums through a Python callback: {callback:.3f} "
            f"s/epoch, {results['w1_mpi2_allreduce_share']:.1%} of it in the "
            "gradient sums (waiting for the other process included)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.repeats)
        return
    print(format_scaling(scaling(args.repeats)))


if __name__ == "__main__":
    main()
