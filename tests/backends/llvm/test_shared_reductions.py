"""Reductions split among threads (the output's elements: columns of a
leading reduction, the outermost kept axis otherwise) give the same bits
with any thread count, and the interpreter's values."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import dtypes
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.testing import native


@pytest.mark.parametrize("op", ["sum", "max", "prod"])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((40, 6, 50), (0, 1)),  # leading axes: 50 columns in runs of 16
        ((4, 70, 9), (1,)),  # a middle axis: the 4 outer rows split
        ((70, 5, 4), (1, 2)),  # trailing axes
    ],
)
def test_threads_split_reductions_and_keep_every_bit(op, shape, axis, monkeypatch):
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 0)
    graph = Graph(name=op)
    x = sources.placeholder(graph, "x", shape, dtypes.canonical(np.float32))
    attrs = {"axis": axis, "keepdims": False}
    graph.set_output("y", builder.emit(graph, op, [x.node_id], attrs))
    rng = np.random.default_rng(3)
    feeds = {"x": rng.uniform(0.9, 1.1, size=shape).astype("float32")}
    compiled = native.compile_graph(graph)
    (signature,) = [
        line
        for line in compiled.ir_text.splitlines()
        if f"_{op}_" in line and line.startswith("define")
    ]
    assert signature.count("i64") == 2, signature
    one = native.run_graph(compiled, feeds, threads=1)["y"]
    for threads in (2, 3):
        many = native.run_graph(compiled, feeds, threads=threads)["y"]
        np.testing.assert_array_equal(many, one)
    expected = interpreter.run(graph, feeds)["y"]
    np.testing.assert_allclose(one, expected, rtol=1e-5)
