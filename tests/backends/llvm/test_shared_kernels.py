"""Kernels with one canonical form are emitted once per module and called
from every place that needs them; the loop cache's key changes with the
code generator's code, not with its documentation."""

from __future__ import annotations

import re

import numpy as np

import kgraph as kg
from kgraph import layers
from kgraph import ops
from kgraph.backends.llvm import codegen
from kgraph.backends.llvm import jit
from kgraph.compiler.program import TRAIN
from kgraph.ir.graph import Graph


def _defined(text: str) -> list[str]:
    return re.findall(r"^define [^@]*@\"?([\w.]+)", text, re.M)


def _stack(depth: int):
    model = kg.Sequential(
        [kg.Input(shape=(6,))]
        + [layers.Dense(6, activation="tanh") for _ in range(depth)]
        + [layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def test_identical_layers_share_their_kernels():
    shallow = _defined(kg.dump(_stack(2), stage="llvm-ir"))
    deep = _defined(kg.dump(_stack(8), stage="llvm-ir"))
    assert len(deep) == len(shallow)


def test_a_shared_kernel_is_called_from_every_place():
    graph = Graph(name="shared")
    x = ops.placeholder(graph, "x", (4, 8))
    y = ops.placeholder(graph, "y", (4, 8))
    graph.set_output("a", ops.tanh(x).node_id)
    graph.set_output("b", ops.tanh(y).node_id)
    nodes = [graph.node(graph.outputs[name]) for name in ("a", "b")]
    keys = [
        codegen.kernel_key(graph, "node", [n], list(n.inputs), False) for n in nodes
    ]
    assert keys[0] == keys[1]
    other = graph.node(ops.tanh(ops.placeholder(graph, "z", (4, 9))).node_id)
    assert (
        codegen.kernel_key(graph, "node", [other], list(other.inputs), False) != keys[0]
    )


def test_an_unrolled_recurrent_layer_trains_the_same_with_shared_kernels():
    rng = np.random.default_rng(5)
    data = rng.normal(size=(16, 12, 3)).astype("float32")
    target = rng.normal(size=(16, 1)).astype("float32")
    results = []
    for backend in ("numpy", "llvm"):
        kg.utils.set_random_seed(3)
        model = kg.Sequential(
            [kg.Input(shape=(12, 3)), layers.LSTM(4, unroll=True), layers.Dense(1)]
        )
        model.compile(optimizer="adam", loss="mse", backend=backend)
        model.fit(data, target, epochs=2, batch_size=8, shuffle=False, verbose=0)
        results.append(model.predict(data, verbose=0))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-5)
    program = model.compiled_program(TRAIN, 8, stages=False)
    text = kg.dump(model, stage="llvm-ir")
    assert len(_defined(text)) < len(program.graph) / 4


def test_the_loop_cache_keys_by_the_code_generator_source_only():
    root = jit.code_generator_files()[0].parents[2]
    parts = {path.relative_to(root).parts[0] for path in jit.code_generator_files()}
    assert parts == {"backends", "ops", "compiler", "ir", "dtypes.py"}
    files = {path.relative_to(root).as_posix() for path in jit.code_generator_files()}
    assert "compiler/schedule.py" in files and "compiler/autodiff.py" not in files
    assert (
        "backends/llvm/codegen.py" in files and "backends/interpreter.py" not in files
    )
