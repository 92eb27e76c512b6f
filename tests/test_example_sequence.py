"""examples/sequence_classification.py runs as a user runs it (a subprocess,
the default backend), with fewer samples and epochs, exits 0 and classifies
the sequences well above chance (0.5)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = (
    Path(__file__).resolve().parent.parent / "examples" / "sequence_classification.py"
)


def test_sequence_classification_beats_chance():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--samples", "1500", "--epochs", "6"],
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
    assert float(match.group(2)) > 0.6, out[-2000:]
