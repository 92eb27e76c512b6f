"""The examples run as a user runs them (a subprocess, the default backend) and
exit 0; digits_mlp with its default settings reaches 95% test accuracy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(script: str, *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=EXAMPLES.parent,
        check=False,
    )
    assert result.returncode == 0, (
        f"{script} exited {result.returncode}\nstdout:\n{result.stdout[-3000:]}\n"
        f"stderr:\n{result.stderr[-3000:]}"
    )
    return result.stdout


def test_quickstart():
    out = _run("quickstart.py", "--epochs", "1")
    match = re.search(r"test loss, test accuracy: \[([-\d.e]+), ([-\d.e]+)\]", out)
    assert match, out[-2000:]
    loss, accuracy = float(match.group(1)), float(match.group(2))
    assert loss < 0.5
    assert accuracy > 0.9
    assert "predicted classes of the first 10:" in out


def test_functional_multi_io():
    out = _run("functional_multi_io.py", "--epochs", "2")
    assert "Epoch 2/2" in out
    match = re.search(r"^test: (\{.*\})$", out, flags=re.MULTILINE)
    assert match, out[-2000:]
    for key in ("loss", "priority_loss", "department_loss", "department_accuracy"):
        assert f"'{key}'" in match.group(1)
    assert "priority of the first ticket:" in out


def test_digits_mlp_reaches_95_percent():
    pytest.importorskip("sklearn")
    out = _run("digits_mlp.py", timeout=300)
    match = re.search(r"test loss ([\d.]+) - test accuracy ([\d.]+)", out)
    assert match, out[-2000:]
    accuracy = float(match.group(2))
    assert accuracy >= 0.95, out[-2000:]


def test_export_digits_builds_a_c_program_that_agrees(tmp_path):
    pytest.importorskip("sklearn")
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    out = _run("export_digits.py", "--epochs", "20", "--out", str(tmp_path / "c"))
    assert "agrees with model.predict on 20 of 20 test digits" in out, out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.85, out
