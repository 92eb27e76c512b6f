"""Where kgraph's cold compile time goes: the pass pipelines, LLVM IR
generation and LLVM itself, for W1 (the MLP of tools/bench.py) and an LSTM
over 64 steps, in a fresh process with an empty kernel cache.

Usage::

    python tools/compile_profile.py            # both models, a table
    python tools/compile_profile.py --json     # one JSON object per model

The timers wrap the three stages from outside (this file only), so the
numbers hold for any version of kgraph that has these entry points. The
kernel count is the number of functions defined in the generated IR.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_SCRIPT = r"""
import json, re, sys, time
import numpy as np
import kgraph as kg
from kgraph.backends.llvm import jit, runtime
from kgraph.compiler import passes
from kgraph.models import training

totals = {"passes": 0.0, "ir": 0.0, "llvm": 0.0, "kernels": 0, "programs": 0}

def timed(module, name, key, after=None):
    original = getattr(module, name)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = original(*args, **kwargs)
        totals[key] += time.perf_counter() - started
        if after:
            after(result)
        return result
    setattr(module, name, wrapper)

def count(result):
    texts, _ = result
    totals["kernels"] += sum(len(re.findall(r"^define ", t, re.M)) for t in texts)

def program(result):
    totals["programs"] += 1

timed(training, "run_pipeline", "passes", program)
timed(runtime, "build_module", "ir", count)
timed(jit, "compile_ir", "llvm")

which = sys.argv[1]
rng = np.random.default_rng(0)
if which == "w1":
    model = kg.Sequential([kg.layers.Dense(128, activation="relu", input_shape=(784,)),
                           kg.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = rng.normal(size=(64, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 64)]
else:
    model = kg.Sequential([kg.Input(shape=(64, 8)), kg.layers.LSTM(32),
                           kg.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(64, 64, 8)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
started = time.perf_counter()
model.fit(x, y, batch_size=32, epochs=1, verbose=0)
totals["total"] = time.perf_counter() - started
print(json.dumps(totals))
"""


def profile(which: str) -> dict:
    """One model's cold first ``fit`` in a fresh process, split by stage."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "KGRAPH_CACHE_DIR": cache}
        output = subprocess.run(
            [sys.executable, "-c", _SCRIPT, which],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    """Prints the split for W1 and the LSTM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args()
    rows = {"w1": profile("w1"), "lstm64": profile("lstm64")}
    if args.json:
        for name, row in rows.items():
            print(json.dumps({"model": name, **row}))
        return
    print(format_split(rows))


def format_split(rows: dict[str, dict]) -> str:
    """A Markdown table of ``profile`` results by model."""
    lines = [
        "| model | first fit | passes | IR generation | LLVM | kernels | programs |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['total']:.3f} s | {row['passes']:.3f} s | "
            f"{row['ir']:.3f} s | {row['llvm']:.3f} s | {row['kernels']} | "
            f"{row['programs']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
