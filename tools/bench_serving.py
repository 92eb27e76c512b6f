"""Serving latency: one sample at a time, as a web handler or a control loop
asks for it.

For W1 (the MLP 784 -> 128 -> 10) and W3 (the small CNN: Conv2D(32, 3x3,
relu) -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax) on 28x28x1) it
times, per sample: kgraph's native loop alone (called through ctypes with
its arguments ready), ``model(x)``, ``predict_on_batch(x)`` and
``predict(x, verbose=0)``; and the requests per second of 4 Python threads
calling ``model(x)`` at once. Beside them, when installed: PyTorch eager
(``model(x)`` under ``torch.inference_mode``) and ONNX Runtime
(``InferenceSession.run``, the same networks built with ``onnx.helper``).
Weights are random: they do not change the time.

Usage::

    python tools/bench_serving.py             # kgraph and the peers here
    python tools/bench_serving.py --peer torch

``tools/bench.py`` runs it for each peer in that peer's process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable
from importlib import util
from typing import Any

# Per-call medians come from this many rounds of this many calls.
ROUNDS = 7
CALLS = 2000
# Requests per second: this many threads, each making CALLS / THREADS calls.
THREADS = 4

METRICS = tuple(
    f"serve_{workload}_{what}"
    for workload in ("w1", "w3")
    for what in ("native", "call", "on_batch", "predict", "rps4")
)


def per_call(function: Callable[[], object], calls: int = CALLS) -> float:
    """The median over ``ROUNDS`` rounds of the mean seconds per call."""
    for _ in range(calls // 10):
        function()
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - started) / calls)
    return statistics.median(times)


def requests_per_second(function: Callable[[], object], calls: int = CALLS) -> float:
    """Calls per second of ``THREADS`` Python threads calling ``function``
    at once (the median of 3 runs)."""

    def serve() -> None:
        for _ in range(calls // THREADS):
            function()

    rates = []
    for _ in range(3):
        workers = [threading.Thread(target=serve) for _ in range(THREADS)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rates.append(calls // THREADS * THREADS / (time.perf_counter() - started))
    return statistics.median(rates)


# -- kgraph --------------------------------------------------------------------


def _kgraph_models() -> dict[str, tuple[Any, Any]]:
    import numpy as np

    import kgraph as kg

    layers = kg.layers
    rng = np.random.default_rng(0)
    kg.utils.set_random_seed(0)
    w1 = kg.Sequential(
        [
            kg.Input((784,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    w3 = kg.Sequential(
        [
            kg.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    models = {}
    for name, model, shape in (("w1", w1, (1, 784)), ("w3", w3, (1, 28, 28, 1))):
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        models[name] = (model, rng.random(shape, dtype=np.float32))
    return models


def native_predict_time(model: Any, one: Any) -> float:
    """Seconds of one native predict call for one sample: the loop function
    alone, called through ctypes with its arguments ready, without kgraph's
    Python around it."""
    import numpy as np

    model.predict(one, verbose=0)
    executable = model._executable({})
    compiled = executable.loop("predict", 1, 1)
    arrays = {model.input_names[0]: np.ascontiguousarray(one)}
    state = model._state()
    graph = compiled.programs[0].graph
    out = np.empty(
        (1, *graph.node(graph.outputs[model.output_names[0]]).type.shape[1:]),
        np.float32,
    )
    state_table = np.array(
        [state[n].ctypes.data for n in compiled.spec.state], np.uintp
    )
    data_table = np.array([arrays[n].ctypes.data for n in compiled.spec.data], np.uintp)
    outs = np.array([out.ctypes.data], np.uintp)
    arenas = compiled.take_arenas(None)
    arguments = (
        state_table.ctypes.data,
        data_table.ctypes.data,
        None,
        1,
        0,
        1,
        0,
        0,
        0.0,
        outs.ctypes.data,
        arenas[0].ctypes.data,
        arenas[1].ctypes.data,
        0,
        1,
        compiled.barrier.ctypes.data,
    )
    function = compiled.function
    try:
        return per_call(lambda: function(*arguments))
    finally:
        compiled.give_back(arenas, None)


def bench_kgraph() -> dict[str, float]:
    results = {}
    for name, (model, one) in _kgraph_models().items():
        model(one)  # compiles, and leaves the plan
        results[f"serve_{name}_native"] = native_predict_time(model, one)
        results[f"serve_{name}_call"] = per_call(lambda m=model, x=one: m(x))
        results[f"serve_{name}_on_batch"] = per_call(
            lambda m=model, x=one: m.predict_on_batch(x)
        )
        results[f"serve_{name}_predict"] = per_call(
            lambda m=model, x=one: m.predict(x, verbose=0)
        )
        results[f"serve_{name}_rps4"] = requests_per_second(lambda m=model, x=one: m(x))
    return results


# -- PyTorch ------------------------------------------------------------------------


def bench_torch() -> dict[str, float]:
    import torch

    torch.manual_seed(0)
    w1 = torch.nn.Sequential(
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
        torch.nn.Softmax(-1),
    )
    w3 = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 13 * 13, 10),
        torch.nn.Softmax(-1),
    )
    results = {}
    with torch.inference_mode():
        for name, model, one in (
            ("w1", w1, torch.rand(1, 784)),
            ("w3", w3, torch.rand(1, 1, 28, 28)),
        ):
            results[f"serve_{name}_call"] = per_call(lambda m=model, x=one: m(x))
            results[f"serve_{name}_rps4"] = _torch_rps(model, one)
    return results


def _torch_rps(model: Any, one: Any) -> float:
    import torch

    def call() -> None:
        # Inference mode is per thread.
        with torch.inference_mode():
            model(one)

    return requests_per_second(call)


# -- ONNX Runtime -------------------------------------------------------------------


def _onnx_models() -> dict[str, tuple[bytes, Any]]:
    import numpy as np
    import onnx
    from onnx import TensorProto
    from onnx import helper

    rng = np.random.default_rng(0)

    def weight(name: str, *shape: int) -> Any:
        values = rng.normal(0, 0.05, shape).astype(np.float32)
        return onnx.numpy_helper.from_array(values, name)

    def model(nodes: list, weights: list, shape: list[int]) -> bytes:
        graph = helper.make_graph(
            nodes,
            "net",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
            weights,
        )
        made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        return made.SerializeToString()

    w1 = model(
        [
            helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("Gemm", ["r", "w2", "b2"], ["z"]),
            helper.make_node("Softmax", ["z"], ["y"], axis=-1),
        ],
        [
            weight("w1", 784, 128),
            weight("b1", 128),
            weight("w2", 128, 10),
            weight("b2", 10),
        ],
        [1, 784],
    )
    w3 = model(
        [
            helper.make_node("Conv", ["x", "k", "c"], ["h"], kernel_shape=[3, 3]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node(
                "MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]
            ),
            helper.make_node("Flatten", ["p"], ["f"]),
            helper.make_node("Gemm", ["f", "w", "b"], ["z"]),
            helper.make_node("Softmax", ["z"], ["y"], axis=-1),
        ],
        [
            weight("k", 32, 1, 3, 3),
            weight("c", 32),
            weight("w", 32 * 13 * 13, 10),
            weight("b", 10),
        ],
        [1, 1, 28, 28],
    )
    return {
        "w1": (w1, rng.random((1, 784), dtype=np.float32)),
        "w3": (w3, rng.random((1, 1, 28, 28), dtype=np.float32)),
    }


def bench_onnxruntime() -> dict[str, float]:
    import onnxruntime

    results = {}
    for name, (model, one) in _onnx_models().items():
        session = onnxruntime.InferenceSession(
            model, providers=["CPUExecutionProvider"]
        )
        feed = {"x": one}
        results[f"serve_{name}_call"] = per_call(
            lambda s=session, f=feed: s.run(None, f)
        )
        results[f"serve_{name}_rps4"] = requests_per_second(
            lambda s=session, f=feed: s.run(None, f)
        )
    return results


PEERS = {
    "kgraph-llvm": (bench_kgraph, ()),
    "torch": (bench_torch, ("torch",)),
    "onnxruntime": (bench_onnxruntime, ("onnxruntime", "onnx")),
}


def available(peer: str) -> bool:
    """Whether the packages ``peer`` needs are importable here."""
    return all(util.find_spec(module) is not None for module in PEERS[peer][1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peer", choices=sorted(PEERS), nargs="*")
    args = parser.parse_args()
    results = {peer: PEERS[peer][0]() for peer in args.peer or PEERS if available(peer)}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
