"""Exported models (``model.export(path, format="c")``): the object's size
and one sample's latency from C, beside kgraph's in-process native predict
(the loop through ctypes) and ``predict_on_batch``, and PyTorch eager on
the same network when it is installed. Models: the digits MLP (64 -> 64 ->
10) and W1 (784 -> 128 -> 10), random weights.

Usage::

    python tools/bench_export.py

``tools/bench.py`` runs it too when there is a C compiler.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

MODELS = {"digits": (64, 64, 10), "w1": (784, 128, 10)}

# Times `calls` predictions of one sample, `rounds` times, and prints the
# median nanoseconds per call.
_TIMER = """\
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "NAME.h"

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    static float x[UPPER_INPUT_0_SIZE], y[UPPER_OUTPUT_0_SIZE];
    for (int i = 0; i < UPPER_INPUT_0_SIZE; i++) x[i] = (float)(i % 17) / 17.0f;
    enum { CALLS = 20000, ROUNDS = 15 };
    double times[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        struct timespec start, stop;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int c = 0; c < CALLS; c++) NAME_predict(x, y, 1);
        clock_gettime(CLOCK_MONOTONIC, &stop);
        times[r] = ((stop.tv_sec - start.tv_sec) * 1e9
                    + (stop.tv_nsec - start.tv_nsec)) / CALLS;
    }
    qsort(times, ROUNDS, sizeof(double), compare);
    printf("%f %f\\n", times[ROUNDS / 2], y[0]);
    return 0;
}
"""


def _model(name: str):
    import kgraph as kg

    features, hidden, classes = MODELS[name]
    kg.utils.set_random_seed(0)
    return kg.Sequential(
        [
            kg.Input((features,)),
            kg.layers.Dense(hidden, activation="relu"),
            kg.layers.Dense(classes, activation="softmax"),
        ],
        name=name,
    )


def _c_latency(model: object, folder: Path) -> tuple[float, int]:
    """Seconds per one-sample call from C, and the object's bytes."""
    name = model.name  # type: ignore[attr-defined]
    model.export(str(folder), format="c", verbose=False)  # type: ignore[attr-defined]
    source = _TIMER.replace("UPPER", name.upper()).replace("NAME", name)
    (folder / "timer.c").write_text(source)
    compiler = shutil.which("cc") or "cc"
    subprocess.run(
        [compiler, "-O2", "timer.c", f"{name}.o", "-lm", "-o", "timer"],
        cwd=folder,
        check=True,
    )
    output = subprocess.run(
        [str(folder / "timer")], capture_output=True, text=True, check=True
    ).stdout
    return float(output.split()[0]) * 1e-9, (folder / f"{name}.o").stat().st_size


def _median_call(function, calls: int = 2000, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - started) / calls)
    return statistics.median(times)


def _torch_latency(name: str) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    features, hidden, classes = MODELS[name]
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes),
        torch.nn.Softmax(dim=-1),
    ).eval()
    one = torch.rand(1, features)
    with torch.inference_mode():
        return _median_call(lambda: net(one))


def bench() -> dict:
    """Each model's object size and one-sample latencies."""
    import numpy as np
    from bench_serving import native_predict_time

    results: dict = {}
    for name in MODELS:
        model = _model(name)
        one = np.random.default_rng(0).random((1, MODELS[name][0]), dtype=np.float32)
        model.predict_on_batch(one)
        with tempfile.TemporaryDirectory() as folder:
            seconds, size = _c_latency(model, Path(folder))
        results[f"{name}_object_kb"] = size / 1024
        results[f"{name}_c_1"] = seconds
        results[f"{name}_native_1"] = native_predict_time(model, one)
        results[f"{name}_predict_on_batch_1"] = _median_call(
            lambda m=model, o=one: m.predict_on_batch(o)
        )
        torch_seconds = _torch_latency(name)
        if torch_seconds is not None:
            results[f"{name}_torch_1"] = torch_seconds
    return results


def available() -> bool:
    """Whether a C compiler is installed."""
    return shutil.which("cc") is not None


def format_results(results: dict) -> str:
    """One line per model, as tools/bench.py prints them."""
    lines = ["Exported predict, one sample (from C, single thread):"]
    for name in MODELS:
        parts = [
            f"object {results[f'{name}_object_kb']:.0f} KiB",
            f"C {results[f'{name}_c_1'] * 1e6:.2f} us",
            f"in-process native loop {results[f'{name}_native_1'] * 1e6:.2f} us",
            f"predict_on_batch {results[f'{name}_predict_on_batch_1'] * 1e6:.1f} us",
        ]
        if f"{name}_torch_1" in results:
            parts.append(f"PyTorch eager {results[f'{name}_torch_1'] * 1e6:.1f} us")
        lines.append(f"  {name} {MODELS[name]}: " + ", ".join(parts))
    return "\n".join(lines)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    print(format_results(bench()))


if __name__ == "__main__":
    main()
