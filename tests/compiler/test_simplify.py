"""Clean-up passes: broadcasts folded into their elementwise users, zero
padding into the convolution that reads it."""

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


def _padded_conv(widths, value=0.0, window=(3, 3), dilation=1, padding="valid"):
    """``conv(pad(x), kernel)`` with x of shape (2, 6, 5, 3)."""
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 6, 5, 3))
    channels = 3 + sum(widths[-1])
    kernel = ops.placeholder(graph, "kernel", (*window, channels, 4))
    padded = ops.pad(x, widths, constant_values=value)
    y = ops.conv(padded, kernel, padding=padding, dilation_rate=dilation)
    graph.set_output("y", y.node_id)
    return graph


def _fold_padding(graph):
    ctx = types.SimpleNamespace()
    return simplify.eliminate_dead_code(simplify.fold_padding(graph, ctx), ctx)


def _reads(graph):
    """The op of the node the output convolution reads."""
    conv = graph.node(graph.outputs["y"])
    return graph.node(conv.inputs[0]).op


def test_a_zero_pad_becomes_the_convolutions_padding():
    rng = np.random.default_rng(0)
    feeds = {
        "x": rng.standard_normal((2, 6, 5, 3)).astype("float32"),
        "kernel": rng.standard_normal((3, 3, 3, 4)).astype("float32"),
    }
    for widths, padding, expected in [
        (((0, 0), (1, 2), (2, 0), (0, 0)), "valid", ((1, 2), (2, 0))),
        (((0, 0), (1, 0), (0, 1), (0, 0)), "same", ((2, 1), (1, 2))),
    ]:
        graph = _padded_conv(widths, padding=padding)
        before = interpreter.run(graph, feeds)
        graph = _fold_padding(graph)
        assert _reads(graph) == "placeholder"
        assert graph.node(graph.outputs["y"]).attrs["padding"] == expected
        assert "pad" not in {node.op for node in graph.nodes()}
        after = interpreter.run(graph, feeds)
        np.testing.assert_allclose(after["y"], before["y"], rtol=1e-6, atol=1e-6)


def test_pads_a_convolution_cannot_take_stay():
    rows = ((0, 0), (2, 2), (0, 0), (0, 0))
    for graph in [
        _padded_conv(((0, 0), (1, 1), (1, 1), (0, 0)), value=1.0),
        _padded_conv(((1, 0), (0, 0), (0, 0), (0, 0))),  # the batch axis
        _padded_conv(((0, 0), (0, 0), (0, 0), (0, 1))),  # the channels
        _padded_conv(((0, 0), (3, 0), (0, 0), (0, 0))),  # beyond a 3x3 window
        _padded_conv(rows, window=(1, 1)),
    ]:
        assert _reads(_fold_padding(graph)) == "pad"
    # The reach grows with the dilation: 2 rows fit a 2x2 window dilated by 2.
    graph = _fold_padding(_padded_conv(rows, window=(2, 2), dilation=2))
    assert _reads(graph) == "placeholder"


def _padded_pool(activation):
    """``max_pool(pad(activation(x)))``, ResNet50's stem."""
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 6, 5, 3))
    padded = ops.pad(activation(x), ((0, 0), (1, 1), (1, 1), (0, 0)))
    graph.set_output("y", ops.max_pool(padded, 3, 2).node_id)
    return graph


def test_max_pooling_takes_the_zero_pad_of_a_relu_bit_for_bit():
    x = np.random.default_rng(1).standard_normal((2, 6, 5, 3)).astype("float32")
    x[0, :2] = -1.0  # windows whose inputs are all +0.0 after the ReLU
    x[1, 2, 2] = np.nan
    x.flat[::7] = -0.0
    graph = _padded_pool(ops.relu)
    before = interpreter.run(graph, {"x": x})
    graph = _fold_padding(graph)
    assert _reads(graph) == "relu"
    assert graph.node(graph.outputs["y"]).attrs["padding"] == ((1, 1), (1, 1))
    after = interpreter.run(graph, {"x": x})
    assert after["y"].tobytes() == before["y"].tobytes()


def test_max_pooling_keeps_the_zero_pad_of_what_may_be_negative():
    for activation in (ops.tanh, lambda x: x):
        graph = _fold_padding(_padded_pool(activation))
        assert graph.node(graph.node(graph.outputs["y"]).inputs[0]).op == "pad"
