"""The canonical text form (golden) and DOT output."""

from kgraph import ops
from kgraph.ir.graph import Graph
from kgraph.ir.printer import to_dot


def _mlp():
    graph = Graph(name="mlp")
    x = ops.placeholder(graph, "x", (32, 784))
    w = ops.placeholder(graph, "w", (784, 128), role="parameter")
    h = ops.matmul(x, w)
    graph.set_output("h", ops.sum(h, axis=1).node_id)
    return graph


def test_text_form_is_canonical():
    expected = "\n".join(
        [
            '%0 = placeholder() {dtype="float32", name="x", role="data", '
            "shape=(32, 784)} : f32[32,784]",
            '%1 = placeholder() {dtype="float32", name="w", role="parameter", '
            "shape=(784, 128)} : f32[784,128]",
            "%2 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : f32[32,128]",
            "%3 = sum(%2) {axis=(1,), keepdims=false} : f32[32]",
            "return h=%3",
        ]
    )
    assert _mlp().format() == expected


def test_layer_tags_are_printed():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    with ops.layer_scope("dense_1"):
        y = ops.exp(x)
    assert graph.format_node(y.node_id).endswith("# dense_1")


def test_dot_has_every_node_and_edge():
    dot = to_dot(_mlp())
    assert dot.startswith('digraph "mlp" {') and dot.endswith("}")
    for node_id in range(4):
        assert f"n{node_id} [" in dot
    assert 'n0 -> n2 [label="0"' in dot and 'n1 -> n2 [label="1"' in dot
