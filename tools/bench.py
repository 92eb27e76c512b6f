"""Benchmarks kgraph against the peers installed on this machine.

Workload W1 (the MNIST-shaped MLP of the Keras quickstart): 784 -> Dense(128,
relu) -> Dense(10, softmax), Adam, categorical crossentropy, 60,000 samples.
Workload W3 (a small CNN): Conv2D(32, 3x3, relu) -> MaxPooling2D(2) ->
Flatten -> Dense(10, softmax) on 28x28x1 images, Adam, batch 64; timed on
12,000 images and scaled to a 60,000-image epoch (``w3_fit_b64``).
Workload W6 (sequences, ``tools/bench_w6.py``): LSTM(64) and GRU(64) ->
Dense(1, sigmoid) on 2,048 x 200 x 16, batch 64, Adam; epochs, kgraph's cold
first fit and its compile time at 50 and 500 steps.
Workloads W5 and W7 (``tools/bench_cnn.py``): a CIFAR-style CNN's training
epoch (batch 64) and the inference latency of MobileNetV2 (96x96), ResNet50
and VGG16 (224x224) at batch 1 and 32, with ResNet50's cold and cached first
predict.
For each framework it times one training epoch after a warm-up epoch
(batch 32 and 128), predict on 10,000 samples, predict on one sample, and for
kgraph the compile time in a fresh process, cold and from the disk cache,
and the cold compile split into passes, IR generation and LLVM
(``tools/compile_profile.py``, W1 and an LSTM over 64 steps), and W1 over an
MPI job of 1 and 2 processes (``tools/bench_mpi.py``, with mpi4py), and
the exported digits and W1 MLPs called from C (``tools/bench_export.py``).
Serving (``tools/bench_serving.py``): one sample of W1 and W3 through the
native loop alone, ``model(x)``, ``predict_on_batch`` and ``predict``, and
requests per second from 4 threads, beside PyTorch eager and ONNX Runtime.
Each framework runs in its own subprocess; absent packages are skipped.

Usage::

    python tools/bench.py            # everything installed, medians of 3
    python tools/bench.py --repeats 5 --json results.json
    python tools/bench.py --only kgraph-llvm numpy

Peers: kgraph-llvm, kgraph-numpy (the reference interpreter), numpy (a
hand-written NumPy MLP with the same math), torch (eager), torch-compile,
keras-jax, keras-tensorflow, jax (a jitted step), onnxruntime (serving
only). Timings are medians; ratios
are against kgraph-llvm from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import util
from pathlib import Path

import bench_cnn
import bench_export
import bench_mpi
import bench_serving
import bench_w6
import compile_profile

SAMPLES = 60_000
FEATURES = 784
HIDDEN = 128
CLASSES = 10
PREDICT_SAMPLES = 10_000
PEERS = (
    "kgraph-llvm",
    "kgraph-llvm-1thread",
    "kgraph-numpy",
    "numpy",
    "torch",
    "torch-compile",
    "keras-jax",
    "keras-tensorflow",
    "jax",
    "onnxruntime",
)
# What each peer needs installed.
_REQUIRES = {
    "torch": ("torch",),
    "torch-compile": ("torch",),
    "keras-jax": ("keras", "jax"),
    "keras-tensorflow": ("keras", "tensorflow"),
    "jax": ("jax",),
    "onnxruntime": ("onnxruntime", "onnx"),
}


def make_data() -> tuple:
    """Seeded MNIST-shaped data: 60,000 x 784 floats in [0, 1), one-hot labels."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, FEATURES), dtype=np.float32)
    labels = rng.integers(0, CLASSES, SAMPLES)
    y = np.eye(CLASSES, dtype=np.float32)[labels]
    return x, y


def _short(repeats: int) -> int:
    """Samples for a measurement of a few milliseconds: more than for an
    epoch, so one slow moment of a shared machine does not decide it."""
    return max(repeats, 15)


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """The median wall time of ``fn`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- peers -------------------------------------------------------------------------


def bench_kgraph(backend: str, repeats: int) -> dict:
    import kgraph as kg

    x, y = make_data()
    # The interpreter is slow: it runs a tenth of the epoch, scaled up.
    subset = slice(None) if backend == "llvm" else slice(0, SAMPLES // 10)
    scale = 1 if backend == "llvm" else 10
    results = {}
    for batch in (32, 128):
        kg.utils.clear_session()
        kg.utils.set_random_seed(0)
        model = kg.Sequential(
            [
                kg.layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
                kg.layers.Dense(CLASSES, activation="softmax"),
            ]
        )
        model.compile(
            optimizer="adam", loss="categorical_crossentropy", backend=backend
        )
        model.fit(x[subset], y[subset], batch_size=batch, epochs=1, verbose=0)
        seconds = median_time(
            lambda m=model, b=batch, s=subset: m.fit(
                x[s], y[s], batch_size=b, epochs=1, verbose=0
            ),
            repeats if backend == "llvm" else 1,
        )
        results[f"fit_b{batch}"] = seconds * scale
        if backend == "llvm" and batch == 32:
            results["fit_alloc_mb"] = _fit_allocations_mb(model, x, y, batch)
    model.predict(x[:PREDICT_SAMPLES], batch_size=128, verbose=0)
    results["predict_10k"] = median_time(
        lambda: model.predict(x[:PREDICT_SAMPLES], batch_size=128, verbose=0),
        _short(repeats),
    )
    one = x[:1]
    model.predict(one, verbose=0)
    results["predict_1"] = median_time(lambda: model.predict(one, verbose=0), 200)
    if backend == "llvm":
        results["predict_1_native"] = bench_serving.native_predict_time(model, one)
        results["predict_1_4threads"] = _threaded_speedup(model, one)
        results["fit_peak_rss_mb"] = _peak_rss_mb()
    return results


def _threaded_speedup(model: object, one: object, calls: int = 2000) -> float:
    """Serving from threads: the throughput of one-row predictions from 4
    Python threads over that of one thread (above 1: threads help)."""
    import threading

    def serve(count: int) -> None:
        for _ in range(count):
            model.predict(one, verbose=0)  # type: ignore[attr-defined]

    started = time.perf_counter()
    serve(calls)
    alone = calls / (time.perf_counter() - started)
    workers = [threading.Thread(target=serve, args=(calls // 4,)) for _ in range(4)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    together = calls / (time.perf_counter() - started)
    return together / alone


# W3: Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(10,
# softmax) on 28x28x1 images, Adam, batch 64; CNN epochs are timed on a
# fifth of the data (12,000 images) and scaled to 60,000.
W3_SAMPLES = 12_000
W3_SCALE = SAMPLES / W3_SAMPLES


def make_images() -> tuple:
    """Seeded 28x28x1 images and one-hot labels for W3."""
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.random((W3_SAMPLES, 28, 28, 1), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, W3_SAMPLES)]
    return x, y


def bench_w3_kgraph(repeats: int) -> dict:
    import kgraph as kg

    x, y = make_images()
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
            kg.layers.MaxPooling2D(2),
            kg.layers.Flatten(),
            kg.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    seconds = median_time(
        lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0), repeats
    )
    return {"w3_fit_b64": seconds * W3_SCALE}


def bench_w3_torch(repeats: int) -> dict:
    import torch

    x_np, y_np = make_images()
    x = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(y_np.argmax(1))
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 13 * 13, CLASSES),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch() -> None:
        for start in range(0, W3_SAMPLES, 64):
            optimizer.zero_grad()
            loss_fn(model(x[start : start + 64]), labels[start : start + 64]).backward()
            optimizer.step()

    epoch()
    return {"w3_fit_b64": median_time(epoch, repeats) * W3_SCALE}


def bench_w3_keras(repeats: int) -> dict:
    import keras

    x, y = make_images()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    seconds = median_time(
        lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0), repeats
    )
    return {"w3_fit_b64": seconds * W3_SCALE}


def _fit_allocations_mb(model: object, x: object, y: object, batch: int) -> float:
    """The most memory one more epoch of ``fit`` allocates through NumPy
    (arrays are traced by ``tracemalloc``), in MiB: what training needs on
    top of the data and the model."""
    import tracemalloc

    tracemalloc.start()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # type: ignore[attr-defined]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sgemm(repeats: int) -> dict:
    """NumPy's SGEMM peak at 512^3 on this machine (GFLOP/s), for the floor."""
    import numpy as np

    a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    a @ a
    seconds = min(median_time(lambda: a @ a, 20) for _ in range(repeats))
    return {"sgemm_gflops": 2 * 512**3 / seconds / 1e9}


def bench_numpy(repeats: int) -> dict:
    import numpy as np

    x, y = make_data()
    rng = np.random.default_rng(0)
    limit1 = np.sqrt(6 / (FEATURES + HIDDEN))
    limit2 = np.sqrt(6 / (HIDDEN + CLASSES))
    params = [
        rng.uniform(-limit1, limit1, (FEATURES, HIDDEN)).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
        rng.uniform(-limit2, limit2, (HIDDEN, CLASSES)).astype(np.float32),
        np.zeros(CLASSES, np.float32),
    ]
    slots = [[np.zeros_like(p), np.zeros_like(p)] for p in params]

    def forward(xb: np.ndarray) -> tuple:
        hidden = np.maximum(xb @ params[0] + params[1], 0)
        logits = hidden @ params[2] + params[3]
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        return hidden, exps / exps.sum(axis=1, keepdims=True)

    steps = [0]

    def epoch(batch: int) -> None:
        for start in range(0, SAMPLES, batch):
            xb, yb = x[start : start + batch], y[start : start + batch]
            hidden, probs = forward(xb)
            grad_logits = (probs - yb) / len(xb)
            grad_hidden = (grad_logits @ params[2].T) * (hidden > 0)
            grads = [
                xb.T @ grad_hidden,
                grad_hidden.sum(0),
                hidden.T @ grad_logits,
                grad_logits.sum(0),
            ]
            steps[0] += 1
            step = steps[0]
            alpha = 1e-3 * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
            for p, g, (m, v) in zip(params, grads, slots, strict=True):
                m += (g - m) * 0.1
                v += (g * g - v) * 0.001
                p -= alpha * m / (np.sqrt(v) + 1e-7)

    results = {}
    for batch in (32, 128):
        epoch(batch)
        results[f"fit_b{batch}"] = median_time(lambda b=batch: epoch(b), repeats)
    results["predict_10k"] = median_time(
        lambda: [forward(x[s : s + 128]) for s in range(0, PREDICT_SAMPLES, 128)],
        _short(repeats),
    )
    results["predict_1"] = median_time(lambda: forward(x[:1]), 200)
    return results


def bench_torch(repeats: int, compiled: bool) -> dict:
    import torch

    x_np, y_np = make_data()
    x, labels = torch.from_numpy(x_np), torch.from_numpy(y_np.argmax(1))
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, CLASSES),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(xb: torch.Tensor, yb: torch.Tensor) -> None:
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()

    run = torch.compile(step) if compiled else step

    def epoch(batch: int) -> None:
        for start in range(0, SAMPLES, batch):
            run(x[start : start + batch], labels[start : start + batch])

    results = {}
    for batch in (32, 128):
        epoch(batch)
        results[f"fit_b{batch}"] = median_time(lambda b=batch: epoch(b), repeats)
    forward = torch.compile(model) if compiled else model
    with torch.no_grad():

        def predict() -> None:
            for s in range(0, PREDICT_SAMPLES, 128):
                forward(x[s : s + 128])

        predict()
        results["predict_10k"] = median_time(predict, _short(repeats))
        forward(x[:1])
        results["predict_1"] = median_time(lambda: forward(x[:1]), 200)
    return results


def bench_keras(repeats: int) -> dict:
    import keras

    x, y = make_data()
    keras.utils.set_random_seed(0)
    results = {}
    for batch in (32, 128):
        model = keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(HIDDEN, activation="relu"),
                keras.layers.Dense(CLASSES, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        results[f"fit_b{batch}"] = median_time(
            lambda m=model, b=batch: m.fit(x, y, batch_size=b, epochs=1, verbose=0),
            repeats,
        )
    model.predict(x[:PREDICT_SAMPLES], batch_size=128, verbose=0)
    results["predict_10k"] = median_time(
        lambda: model.predict(x[:PREDICT_SAMPLES], batch_size=128, verbose=0),
        _short(repeats),
    )
    model.predict(x[:1], verbose=0)
    results["predict_1"] = median_time(lambda: model.predict(x[:1], verbose=0), 20)
    return results


def bench_jax(repeats: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    x_np, y_np = make_data()
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    key1, key2 = jax.random.split(jax.random.PRNGKey(0))
    params = [
        jax.random.uniform(key1, (FEATURES, HIDDEN), minval=-0.07, maxval=0.07),
        jnp.zeros(HIDDEN),
        jax.random.uniform(key2, (HIDDEN, CLASSES), minval=-0.2, maxval=0.2),
        jnp.zeros(CLASSES),
    ]

    def forward(p: list, xb: jnp.ndarray) -> jnp.ndarray:
        hidden = jax.nn.relu(xb @ p[0] + p[1])
        return jax.nn.softmax(hidden @ p[2] + p[3])

    def loss(p: list, xb: jnp.ndarray, yb: jnp.ndarray) -> jnp.ndarray:
        probs = jnp.clip(forward(p, xb), 1e-7, 1 - 1e-7)
        return -jnp.mean(jnp.sum(yb * jnp.log(probs), axis=1))

    @jax.jit
    def step(
        p: list, m: list, v: list, t: jnp.ndarray, xb: jnp.ndarray, yb: jnp.ndarray
    ) -> tuple:
        grads = jax.grad(loss)(p, xb, yb)
        t = t + 1
        alpha = 1e-3 * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        m = [mi + (g - mi) * 0.1 for mi, g in zip(m, grads, strict=True)]
        v = [vi + (g * g - vi) * 0.001 for vi, g in zip(v, grads, strict=True)]
        p = [
            pi - alpha * mi / (jnp.sqrt(vi) + 1e-7)
            for pi, mi, vi in zip(p, m, v, strict=True)
        ]
        return p, m, v, t

    state = [
        params,
        [jnp.zeros_like(q) for q in params],
        [jnp.zeros_like(q) for q in params],
        jnp.float32(0),
    ]

    def epoch(batch: int) -> None:
        nonlocal state
        for start in range(0, SAMPLES, batch):
            state = list(
                step(*state, x[start : start + batch], y[start : start + batch])
            )
        jax.block_until_ready(state[0])

    results = {}
    for batch in (32, 128):
        epoch(batch)
        results[f"fit_b{batch}"] = median_time(lambda b=batch: epoch(b), repeats)
    jitted = jax.jit(forward)

    def predict() -> None:
        outs = [
            jitted(state[0], x[s : s + 128]) for s in range(0, PREDICT_SAMPLES, 128)
        ]
        jax.block_until_ready(outs)

    predict()
    results["predict_10k"] = median_time(predict, _short(repeats))
    one = x[:1]
    jitted(state[0], one).block_until_ready()
    results["predict_1"] = median_time(lambda: np.asarray(jitted(state[0], one)), 200)
    return results


_COMPILE_SCRIPT = """
import time, numpy as np
started = time.perf_counter()
import kgraph as kg
import kgraph.backends.llvm
imported = time.perf_counter()
model = kg.Sequential([kg.layers.Dense(128, activation="relu", input_shape=(784,)),
                       kg.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
x = np.zeros((64, 784), np.float32); y = np.zeros((64, 10), np.float32)
before = time.perf_counter()
model.fit(x, y, batch_size=32, epochs=1, verbose=0)
print(time.perf_counter() - before)
"""


def bench_compile() -> dict:
    """kgraph's first fit of W1 in a fresh process: cold, then cached."""
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "KGRAPH_CACHE_DIR": cache}
        for label in ("compile_cold", "compile_cached"):
            output = subprocess.run(
                [sys.executable, "-c", _COMPILE_SCRIPT],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            results[label] = float(output.stdout.strip().splitlines()[-1])
    return results


def run_peer(name: str, repeats: int) -> dict:
    """Runs one peer's benchmark in this process."""
    if name == "kgraph-llvm":
        return {
            **bench_kgraph("llvm", repeats),
            **bench_compile(),
            **bench_w3_kgraph(repeats),
            **bench_w6.bench_kgraph(repeats),
            **bench_cnn.bench_kgraph(repeats),
            **bench_serving.bench_kgraph(),
        }
    if name == "kgraph-llvm-1thread":
        return {
            key: value
            for key, value in bench_kgraph("llvm", repeats).items()
            if key.startswith("fit")
        }
    if name.startswith("sgemm-"):
        return bench_sgemm(repeats)
    if name == "kgraph-numpy":
        return bench_kgraph("numpy", repeats)
    if name == "numpy":
        return bench_numpy(repeats)
    if name == "torch":
        return {
            **bench_torch(repeats, compiled=False),
            **bench_w3_torch(repeats),
            **bench_w6.bench_torch(repeats),
            **bench_cnn.bench_torch(repeats),
            **bench_serving.bench_torch(),
        }
    if name == "torch-compile":
        return bench_torch(repeats, compiled=True)
    if name.startswith("keras"):
        return {
            **bench_keras(repeats),
            **bench_w3_keras(repeats),
            **bench_w6.bench_keras(repeats),
            **bench_cnn.bench_keras(repeats),
        }
    if name == "jax":
        return bench_jax(repeats)
    if name == "onnxruntime":
        return bench_serving.bench_onnxruntime()
    raise ValueError(f"Unknown peer. Expected one of {PEERS}. Received: {name}")


def available(name: str) -> bool:
    """Whether the packages a peer needs are importable here."""
    return all(util.find_spec(module) is not None for module in _REQUIRES.get(name, ()))


# -- driver ------------------------------------------------------------------------


def _subprocess(name: str, repeats: int) -> dict | None:
    env = dict(os.environ)
    # This machine may pin OpenBLAS to an old kernel for safety; that slows
    # NumPy (and whatever links OpenBLAS), so peers run without the pin.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if name.startswith("keras-"):
        env["KERAS_BACKEND"] = name.split("-", 1)[1]
    if name == "kgraph-llvm-1thread":
        env["KGRAPH_NUM_THREADS"] = "1"
    if name.startswith("sgemm-"):
        env["OPENBLAS_NUM_THREADS"] = name.split("-", 1)[1]
    command = [sys.executable, __file__, "--peer", name, "--repeats", str(repeats)]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(f"  {name} failed:\n{result.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    """A one-line description of this machine: the CPU, its vector
    extensions, the cores and Python."""
    cpu = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    vectors = [name for name in VECTOR_EXTENSIONS if name in flags]
    extensions = f" ({', '.join(vectors)})" if vectors else ""
    return (
        f"{cpu}{extensions}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


# The vector extensions that decide the kernels' width, as /proc/cpuinfo
# names them.
VECTOR_EXTENSIONS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl")


W1_METRICS = (
    "fit_b32",
    "fit_b128",
    "predict_10k",
    "predict_1",
    "predict_1_native",
    "predict_1_4threads",
    "compile_cold",
    "compile_cached",
    "fit_peak_rss_mb",
    "fit_alloc_mb",
    "w3_fit_b64",
)


def format_table(
    results: dict[str, dict], metrics: tuple[str, ...] = W1_METRICS
) -> str:
    """A Markdown table of medians with ratios against kgraph-llvm."""
    results = {
        name: values
        for name, values in results.items()
        if any(metric in values for metric in metrics)
    }
    base = results.get("kgraph-llvm", {})
    lines = [
        "| framework | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for name, values in results.items():
        cells = []
        for metric in metrics:
            if metric not in values:
                cells.append("-")
                continue
            value = values[metric]
            if metric.endswith("_mb"):
                cells.append(f"{value:.1f} MiB" if value < 10 else f"{value:.0f} MiB")
                continue
            if metric.endswith("_4threads"):
                cells.append(f"{value:.2f}x")
                continue
            if metric.endswith("_rps4"):
                text = f"{value / 1000:.1f}k/s"
                if name != "kgraph-llvm" and metric in base:
                    text += f" ({value / base[metric]:.2f}x)"
                cells.append(text)
                continue
            if value < 1e-3:
                text = f"{value * 1e6:.1f} us"
            elif value < 0.1:
                text = f"{value * 1e3:.2f} ms"
            else:
                text = f"{value:.3f} s"
            if name != "kgraph-llvm" and metric in base:
                text += f" ({value / base[metric]:.2f}x)"
            cells.append(text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=PEERS)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        print(json.dumps(run_peer(args.peer, args.repeats)))
        return
    print(f"# W1: MLP 784-128-10, Adam, {SAMPLES} samples; {machine()}")
    results = {}
    for name in args.only or PEERS:
        if not available(name):
            print(f"  {name}: not installed, skipped")
            continue
        print(f"  running {name} ...", flush=True)
        outcome = _subprocess(name, args.repeats)
        if outcome is not None:
            results[name] = outcome
    print(
        "Times are medians; ratios are against kgraph-llvm (lower is faster "
        "for kgraph when the ratio is above 1)."
    )
    print(format_table(results))
    print()
    print(format_table(results, bench_w6.METRICS))
    print()
    print(format_table(results, bench_cnn.W5_METRICS))
    print()
    print(format_table(results, bench_cnn.W7_METRICS))
    print()
    print(
        "Serving one sample (tools/bench_serving.py): per-call medians; rps4 is "
        "requests per second from 4 threads calling model(x) (higher is better)."
    )
    print(format_table(results, bench_serving.METRICS))
    floors = _floors(args.repeats, results)
    for line in floors["lines"]:
        print(line)
    split = {}
    if "kgraph-llvm" in results:
        print()
        split = {name: compile_profile.profile(name) for name in ("w1", "lstm64")}
        print(compile_profile.format_split(split))
    mpi = {}
    if "kgraph-llvm" in results and bench_mpi.available():
        print()
        mpi = bench_mpi.scaling(args.repeats)
        print(bench_mpi.format_scaling(mpi))
    exported = {}
    if "kgraph-llvm" in results and bench_export.available():
        print()
        exported = bench_export.bench()
        print(bench_export.format_results(exported))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "results": results,
                    "floors": floors,
                    "compile_split": split,
                    "mpi": mpi,
                    "export": exported,
                },
                indent=1,
            )
        )


# One W1 epoch's floating-point work: forward, the weight gradients and the
# input gradient of the second layer, multiply-adds counted as 2 operations.
W1_FLOPS = 24.5e9


def _floors(repeats: int, results: dict) -> dict:
    """The physical floor of W1 from this machine's SGEMM peak (NumPy at
    512^3, 1 and 2 threads), and kgraph's ratios to it and to the peers."""
    peaks = {}
    for threads in ("1", "2"):
        outcome = _subprocess(f"sgemm-{threads}", repeats)
        if outcome:
            peaks[threads] = outcome["sgemm_gflops"]
    lines = []
    summary: dict = {"sgemm_gflops": peaks}
    base = results.get("kgraph-llvm", {})
    single = results.get("kgraph-llvm-1thread", {})
    if "2" in peaks and "fit_b32" in base:
        floor = W1_FLOPS / (peaks["2"] * 1e9)
        summary["floor_2_threads"] = floor
        lines.append(
            f"W1 batch 32, 2 threads: {base['fit_b32']:.3f} s = "
            f"{base['fit_b32'] / floor:.2f}x the floor ({floor:.3f} s at "
            f"{peaks['2']:.0f} GFLOP/s)"
        )
    if "1" in peaks and "fit_b32" in single:
        floor = W1_FLOPS / (peaks["1"] * 1e9)
        summary["floor_1_thread"] = floor
        lines.append(
            f"W1 batch 32, 1 thread: {single['fit_b32']:.3f} s = "
            f"{single['fit_b32'] / floor:.2f}x the floor ({floor:.3f} s at "
            f"{peaks['1']:.0f} GFLOP/s)"
        )
    peers = [
        v["fit_b32"]
        for k, v in results.items()
        if not k.startswith("kgraph") and k != "numpy" and "fit_b32" in v
    ]
    if peers and "fit_b32" in base:
        fastest = min(peers)
        summary["vs_fastest_peer_b32"] = base["fit_b32"] / fastest
        lines.append(
            f"W1 batch 32: kgraph takes {base['fit_b32'] / fastest:.2f}x the time of "
            f"the fastest installed peer ({fastest:.3f} s)"
        )
    summary["lines"] = lines
    return summary


if __name__ == "__main__":
    main()
