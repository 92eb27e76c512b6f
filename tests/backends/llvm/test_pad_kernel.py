"""The ``pad`` kernel without interior padding writes each output element
once, row by row, and its threads split the rows: the result equals
NumPy's ``pad`` bit for bit, whatever the thread count. Pads folded into
the convolution and pooling that read them run natively as before."""

from __future__ import annotations

import types

import numpy as np
import pytest

from kgraph import ops
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.compiler import simplify
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.testing import native


def _graph(shape, low, high, interior, value):
    graph = Graph(name="pad")
    x = sources.placeholder(graph, "x", shape, "float32")
    attrs = {"low": low, "high": high, "interior": interior, "value": value}
    graph.set_output("y", builder.emit(graph, "pad", [x.node_id], attrs))
    return graph


@pytest.mark.parametrize(
    ("shape", "low", "high"),
    [
        ((1, 7, 6, 5), (0, 1, 1, 0), (0, 1, 2, 0)),  # ZeroPadding2D
        ((3, 4, 5), (1, 0, 2), (2, 3, 0)),  # every axis, the batch too
        ((2, 3, 4, 5), (1, 0, 0, 0), (0, 0, 0, 0)),  # the first axis alone
        ((2, 3, 4), (0, 0, 0), (0, 0, 0)),  # nothing: a copy
        ((2, 0, 3), (0, 1, 0), (0, 1, 1)),  # an empty axis: all fill
        ((6,), (3,), (1,)),
    ],
)
def test_edge_padding_equals_numpy_on_any_thread_count(shape, low, high, monkeypatch):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    x.flat[::5] = -0.0
    expected = np.pad(x, list(zip(low, high, strict=True)), constant_values=-1.5)
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 1)
    graph = _graph(shape, low, high, (0,) * len(shape), -1.5)
    compiled = native.compile_graph(graph)
    for threads in (1, 2, 3):
        got = native.run_graph(compiled, {"x": x}, threads=threads)["y"]
        assert got.tobytes() == expected.tobytes(), f"{threads} threads"


def test_interior_padding_keeps_its_kernel():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    compiled = native.compile_graph(_graph((2, 3), (1, 0), (0, 1), (1, 1), 0.0))
    got = native.run_graph(compiled, {"x": x}, threads=2)["y"]
    expected = np.zeros((4, 6), "float32")
    expected[1::2, 0:5:2] = x
    np.testing.assert_array_equal(got, expected)


def test_folded_padding_runs_natively_as_the_pad_did(monkeypatch):
    """ResNet50's stem, ``max_pool(pad(relu(conv(pad(x)))))``, with both
    pads folded away (``simplify.fold_padding``), natively equals the
    reference on the unfolded graph."""
    graph = Graph(name="stem")
    x = ops.placeholder(graph, "x", (2, 12, 11, 3))
    kernel = ops.placeholder(graph, "kernel", (7, 7, 3, 8))
    y = ops.conv(ops.pad(x, ((0, 0), (3, 3), (3, 3), (0, 0))), kernel, strides=2)
    y = ops.pad(ops.relu(y), ((0, 0), (1, 1), (1, 1), (0, 0)))
    graph.set_output("y", ops.max_pool(y, 3, 2).node_id)
    rng = np.random.default_rng(2)
    feeds = {
        "x": rng.standard_normal((2, 12, 11, 3)).astype("float32"),
        "kernel": rng.standard_normal((7, 7, 3, 8)).astype("float32"),
    }
    expected = interpreter.run(graph, feeds)["y"]
    ctx = types.SimpleNamespace()
    folded = simplify.eliminate_dead_code(simplify.fold_padding(graph, ctx), ctx)
    assert "pad" not in {node.op for node in folded.nodes()}
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 1)
    compiled = native.compile_graph(folded)
    for threads in (1, 2):
        got = native.run_graph(compiled, feeds, threads=threads)["y"]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
