"""Clean-up passes: broadcasts folded into their elementwise users."""

import types

import numpy as np

from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler import simplify
from kgraph.ir.graph import Graph


def _graph():
    graph = Graph()
    column = ops.placeholder(graph, "column", (4, 1))
    full = ops.placeholder(graph, "full", (4, 3))
    wide = ops.broadcast_to(column, (4, 3))
    graph.set_output("sum", (wide + full).node_id)
    graph.set_output("alone", ops.exp(wide).node_id)
    return graph


def test_users_that_keep_their_type_read_the_operand():
    graph = _graph()
    feeds = {
        "column": np.arange(4, dtype="float32").reshape(4, 1),
        "full": np.ones((4, 3), "float32"),
    }
    before = interpreter.run(graph, feeds)
    ctx = types.SimpleNamespace()
    graph = simplify.eliminate_dead_code(simplify.fold_broadcasts(graph, ctx), ctx)
    total = graph.node(graph.outputs["sum"])
    assert [graph.node(i).op for i in total.inputs] == ["placeholder", "placeholder"]
    # exp of the broadcast alone would change shape: it keeps the broadcast.
    alone = graph.node(graph.outputs["alone"])
    assert graph.node(alone.inputs[0]).op == "broadcast_to"
    after = interpreter.run(graph, feeds)
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value)
