"""The one-pass ``max_pool`` kernel gives the element ``pool_argmax``
picks, bit for bit (first maxima, padding, NaN, integers), whatever the
thread count."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.testing import native


def _graph(shape, dtype, attrs):
    graph = Graph(name="pool")
    x = sources.placeholder(graph, "x", shape, dtype)
    graph.set_output("y", builder.emit(graph, "max_pool", [x.node_id], attrs))
    graph.set_output("i", builder.emit(graph, "pool_argmax", [x.node_id], attrs))
    return graph


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize(
    ("shape", "window", "strides", "padding"),
    [
        ((2, 9, 8, 37), (3, 3), (2, 2), ((1, 1), (0, 1))),
        ((1, 6, 5, 64), (2, 2), (2, 2), ((0, 0), (0, 0))),
        ((3, 11, 5), (4,), (1,), ((2, 1),)),
    ],
)
def test_max_pool_is_the_element_pool_argmax_picks(
    shape, window, strides, padding, dtype, monkeypatch
):
    rng = np.random.default_rng(0)
    # Few distinct values: ties, so "first maximum" matters.
    x = rng.integers(-3, 3, size=shape).astype(dtype)
    if dtype != "int32":
        x[x == 2] = -0.0
        x.flat[::7] = np.nan
    attrs = {"window": window, "strides": strides, "padding": padding}
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 1)
    graph = _graph(shape, dtype, attrs)
    compiled = native.compile_graph(graph)
    expected = interpreter.run(graph, {"x": x})
    picked = x.reshape(-1)[expected["i"]]
    for threads in (1, 2, 3):
        got = native.run_graph(compiled, {"x": x}, threads=threads)
        np.testing.assert_array_equal(got["i"], expected["i"])
        assert got["y"].tobytes() == picked.tobytes(), f"{threads} threads"
        assert expected["y"].tobytes() == picked.tobytes()
