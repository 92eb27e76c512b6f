"""Data-parallel jobs of 2 and 3 local processes (``mpiexec``) against one
process, and a job whose process fails. Skipped without mpi4py (the
``distributed`` extra)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import dtypes

pytest.importorskip("mpi4py")

JOB = Path(__file__).with_name("dp_job.py")
sys.path.insert(0, str(JOB.parent))
import dp_job  # noqa: E402


def _mpiexec() -> str:
    found = shutil.which("mpiexec") or str(Path(sys.executable).with_name("mpiexec"))
    if not Path(found).exists():
        pytest.skip("no mpiexec: install the distributed extra")
    return found


def _launch(
    processes: int, *arguments: str, timeout: float = 120, direct: bool = True
) -> tuple:
    """Runs the job; ``direct=False`` sums through the Python callback."""
    started = time.monotonic()
    result = subprocess.run(
        [_mpiexec(), "-n", str(processes), sys.executable, str(JOB), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, KGRAPH_MPI_DIRECT="1" if direct else "0"),
    )
    return result, time.monotonic() - started


def _one_process(backend: str) -> dict:
    """The same training in this process, without a distribution."""
    x, y = dp_job.data()
    model = dp_job.build()
    dp_job.compile_model(model, backend)
    kg.utils.set_random_seed(100)  # process 0's epoch orders
    history = model.fit(
        x,
        y,
        batch_size=dp_job.BATCH,
        epochs=dp_job.EPOCHS,
        verbose=0,
        validation_data=(x[:50], y[:50]),
    )
    return {
        "weights": model.get_weights(),
        "history": history.history,
        "evaluation": np.asarray(
            model.evaluate(x, y, batch_size=dp_job.BATCH, verbose=0)
        ),
        "predictions": model.predict(x[:37], verbose=0),
    }


@pytest.mark.parametrize(("processes", "direct"), [(2, True), (3, True), (2, False)])
def test_a_job_trains_as_one_process_does(processes, direct, tmp_path):
    result, _ = _launch(processes, "train", str(tmp_path), direct=direct)
    assert result.returncode == 0, result.stdout + result.stderr
    saved = np.load(tmp_path / "result.npz")
    assert int(saved["processes"]) == processes
    # Every process held the same weights, bit for bit, after every epoch
    # (of both models: the second has BatchNormalization and Dropout).
    assert saved["same"].tolist() == [True] * 5
    alone = _one_process("llvm")
    # The job sums each process's mean gradient weighted by its rows; one
    # process takes one mean over the batch. The few-ulp differences feed
    # the next Adam steps as between two backends.
    rtol, atol = dtypes.REPLICA_TOLERANCE
    weights = [saved[f"arr_{i}"] for i in range(len(alone["weights"]))]
    for got, want in zip(weights, alone["weights"], strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    history = json.loads(str(saved["history"]))
    assert history.keys() == alone["history"].keys()
    for name, values in alone["history"].items():
        np.testing.assert_allclose(history[name], values, rtol=rtol, atol=atol)
    np.testing.assert_allclose(
        saved["evaluation"], alone["evaluation"], rtol=rtol, atol=atol
    )
    np.testing.assert_allclose(
        saved["predictions"], alone["predictions"], rtol=rtol, atol=atol
    )


def test_the_numpy_backend_sums_through_the_same_job(tmp_path):
    result, _ = _launch(2, "train", str(tmp_path), "numpy")
    assert result.returncode == 0, result.stdout + result.stderr
    saved = np.load(tmp_path / "result.npz")
    assert saved["same"].tolist() == [True] * 5
    alone = _one_process("numpy")
    rtol, atol = dtypes.REPLICA_TOLERANCE
    for i, want in enumerate(alone["weights"]):
        np.testing.assert_allclose(saved[f"arr_{i}"], want, rtol=rtol, atol=atol)


def test_a_process_that_raises_ends_the_job_naming_it(tmp_path):
    result, seconds = _launch(2, "raise", str(tmp_path), timeout=60)
    assert result.returncode != 0
    assert seconds < 30
    output = result.stdout + result.stderr
    assert "process 1 of 2 raised ValueError" in output
    assert "boom on purpose" in output


@pytest.mark.parametrize(
    ("mode", "difference"),
    [
        ("mismatch", "Received: ('adam/dense/kernel/momentum', (13, 16)"),
        ("fewer", "Process 0 has 203. Received: 193 on process 1"),
    ],
)
def test_processes_that_differ_stop_at_the_first_step(mode, difference, tmp_path):
    result, seconds = _launch(2, mode, str(tmp_path), timeout=60)
    assert result.returncode != 0
    assert seconds < 30
    output = result.stdout + result.stderr
    assert "process(es) [1] differ from process 0" in output
    assert difference in output


def test_the_example_trains_over_two_processes_and_one_prints():
    example = JOB.parents[2] / "examples" / "distributed_mnist.py"
    result = subprocess.run(
        [_mpiexec(), "-n", "2", sys.executable, str(example), "--epochs", "4"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("test accuracy") == 1
    assert result.stdout.count("Epoch 4/4") == 1
    accuracy = float(result.stdout.rsplit("test accuracy", 1)[1].split()[0])
    assert accuracy > 0.8, result.stdout
