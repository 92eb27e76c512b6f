"""examples/digits_cnn.py runs as a user runs it (a subprocess, the default
backend), exits 0 and reaches 97% test accuracy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "digits_cnn.py"


def test_digits_cnn_reaches_97_percent():
    pytest.importorskip("sklearn")
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=SCRIPT.parent.parent,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, f"{out[-3000:]}\n{result.stderr[-3000:]}"
    match = re.search(r"test loss ([\d.]+) - test accuracy ([\d.]+)", out)
    assert match, out[-2000:]
    assert float(match.group(2)) >= 0.97, out[-2000:]
