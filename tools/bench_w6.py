"""Workload W6 of ``tools/bench.py``: a sequence classifier.

LSTM(64) -> Dense(1, sigmoid) on 2,048 sequences of 200 steps of 16
features, batch 64, Adam, binary crossentropy; the same with GRU(64).
``w6_fit_b64`` and ``w6_gru_fit_b64`` time one epoch after a warm-up epoch;
for kgraph ``w6_first_fit`` / ``w6_gru_first_fit`` is the first ``fit`` with
an empty kernel cache (compiling included), and ``w6_compile_50`` /
``w6_compile_500`` (``w6_gru_...`` for the GRU) the compile time (first fit
minus a later fit) at 50 and 500 steps, on 256 sequences.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

SAMPLES = 2048
STEPS = 200
FEATURES = 16
UNITS = 64
BATCH = 64
METRICS = (
    "w6_fit_b64",
    "w6_gru_fit_b64",
    "w6_first_fit",
    "w6_gru_first_fit",
    "w6_compile_50",
    "w6_compile_500",
    "w6_gru_compile_50",
    "w6_gru_compile_500",
)


def make_sequences(samples: int = SAMPLES, steps: int = STEPS) -> tuple:
    """Seeded sequences and binary labels."""
    import numpy as np

    rng = np.random.default_rng(6)
    x = rng.normal(size=(samples, steps, FEATURES)).astype(np.float32)
    y = (rng.random((samples, 1)) > 0.5).astype(np.float32)
    return x, y


def median_of(fn: Callable[[], object], repeats: int) -> float:
    """The median of ``repeats`` timed calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timed(fn: Callable[[], object]) -> float:
    """Seconds of one call of ``fn``."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_kgraph(repeats: int) -> dict:
    """kgraph's W6 figures (an empty kernel cache for the first fits)."""
    os.environ["KGRAPH_CACHE_DIR"] = tempfile.mkdtemp(prefix="kgraph-w6-")
    import kgraph as kg

    def model(kind: str, steps: int) -> object:
        kg.utils.clear_session()
        kg.utils.set_random_seed(0)
        layer = kg.layers.LSTM(UNITS) if kind == "lstm" else kg.layers.GRU(UNITS)
        net = kg.Sequential(
            [
                kg.Input((steps, FEATURES)),
                layer,
                kg.layers.Dense(1, activation="sigmoid"),
            ]
        )
        net.compile(optimizer="adam", loss="binary_crossentropy")
        return net

    results = {}
    x, y = make_sequences()
    for kind, key in (("lstm", "w6_fit_b64"), ("gru", "w6_gru_fit_b64")):
        net = model(kind, STEPS)
        first = timed(lambda n=net: n.fit(x, y, batch_size=BATCH, verbose=0))
        prefix = "w6_" if kind == "lstm" else "w6_gru_"
        results[f"{prefix}first_fit"] = first
        results[key] = median_of(
            lambda n=net: n.fit(x, y, batch_size=BATCH, verbose=0), repeats
        )
    for kind in ("lstm", "gru"):
        prefix = "w6_" if kind == "lstm" else "w6_gru_"
        for steps in (50, 500):
            xs, ys = make_sequences(256, steps)
            net = model(kind, steps)
            first = timed(
                lambda n=net, a=xs, b=ys: n.fit(a, b, batch_size=BATCH, verbose=0)
            )
            later = median_of(
                lambda n=net, a=xs, b=ys: n.fit(a, b, batch_size=BATCH, verbose=0), 3
            )
            results[f"{prefix}compile_{steps}"] = first - later
    return results


def bench_torch(repeats: int) -> dict:
    """PyTorch's W6 epochs (``nn.LSTM`` / ``nn.GRU``, eager)."""
    import torch

    x_np, y_np = make_sequences()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    results = {}
    for kind, key in (("lstm", "w6_fit_b64"), ("gru", "w6_gru_fit_b64")):
        torch.manual_seed(0)
        recurrent = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(
            FEATURES, UNITS, batch_first=True
        )
        head = torch.nn.Linear(UNITS, 1)
        parameters = [*recurrent.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=1e-3, eps=1e-7)
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def epoch(r=recurrent, h=head, o=optimizer, f=loss_fn) -> None:
            for start in range(0, SAMPLES, BATCH):
                o.zero_grad()
                outputs, _ = r(x[start : start + BATCH])
                f(h(outputs[:, -1]), y[start : start + BATCH]).backward()
                o.step()

        epoch()
        results[key] = median_of(epoch, repeats)
    return results


def bench_keras(repeats: int) -> dict:
    """Keras's W6 epochs on its configured backend."""
    import keras

    x, y = make_sequences()
    results = {}
    for kind, key in (("lstm", "w6_fit_b64"), ("gru", "w6_gru_fit_b64")):
        keras.utils.set_random_seed(0)
        layer = keras.layers.LSTM(UNITS) if kind == "lstm" else keras.layers.GRU(UNITS)
        net = keras.Sequential(
            [
                keras.Input((STEPS, FEATURES)),
                layer,
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        net.compile(optimizer="adam", loss="binary_crossentropy")
        net.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        results[key] = median_of(
            lambda n=net: n.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), repeats
        )
    return results
