"""The reference interpreter: feeds, outputs, and errors."""

import numpy as np
import pytest

from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ir.graph import Graph


def _graph():
    graph = Graph()
    x = ops.placeholder(graph, "x", (None, 2))
    w = ops.placeholder(graph, "w", (2, 1), role="parameter")
    graph.set_output("y", ops.matmul(x, w).node_id)
    graph.set_output("x2", (x * 2.0).node_id)
    return graph


def test_runs_with_any_batch_size_and_selects_outputs():
    graph = _graph()
    w = np.array([[1.0], [2.0]], dtype="float32")
    for batch in (1, 5):
        x = np.ones((batch, 2), dtype="float32")
        out = interpreter.run(graph, {"x": x, "w": w}, outputs=["y"])
        assert list(out) == ["y"]
        np.testing.assert_allclose(out["y"], np.full((batch, 1), 3.0))


def test_only_needed_inputs_must_be_fed():
    out = interpreter.run(_graph(), {"x": np.zeros((3, 2))}, outputs=["x2"])
    assert out["x2"].dtype == np.float32


def test_missing_and_misshapen_feeds():
    with pytest.raises(errors.GraphError, match=r"Input 'w' .* was not fed"):
        interpreter.run(_graph(), {"x": np.zeros((3, 2))})
    with pytest.raises(errors.ShapeError, match=r"expects shape f32\[\?,2\]"):
        interpreter.run(_graph(), {"x": np.zeros((3, 3)), "w": np.zeros((2, 1))})


def test_run_time_shape_mismatch_names_the_node():
    graph = Graph()
    x = ops.placeholder(graph, "x", (None,))
    y = ops.placeholder(graph, "y", (3,))
    graph.set_output("s", (x + y).node_id)
    with pytest.raises(errors.ShapeError, match=r"add failed at run time .*\(2,\)"):
        interpreter.run(graph, {"x": np.zeros(2), "y": np.zeros(3)})
