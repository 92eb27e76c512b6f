"""The graph IR: building, verification, extraction, hashing, JSON."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops.verify import verify_graph

_UNARY = [ops.exp, ops.tanh, ops.negative, ops.square, ops.relu, ops.sigmoid]
_BINARY = [ops.add, ops.subtract, ops.multiply, ops.maximum]


@st.composite
def random_graphs(draw):
    """Graphs of 1-8 ops over two inputs, with attributes and constants."""
    graph = Graph(name="random")
    tensors = [
        ops.placeholder(graph, "a", (None, 3)),
        ops.placeholder(graph, "b", (3,), role="parameter"),
    ]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary", "binary", "const", "reduce"]))
        x = draw(st.sampled_from(tensors))
        if kind == "unary":
            tensors.append(draw(st.sampled_from(_UNARY))(x))
        elif kind == "binary":
            y = draw(st.sampled_from(tensors))
            fits = y.shape == () or (y.shape == (3,) and x.shape[-1:] == (3,))
            if x.shape == y.shape or fits:
                tensors.append(draw(st.sampled_from(_BINARY))(x, y))
        elif kind == "const":
            tensors.append(x * draw(st.floats(-2, 2, allow_nan=False)))
        elif x.ndim:
            tensors.append(ops.sum(x, axis=-1, keepdims=draw(st.booleans())))
    graph.set_output("out", tensors[-1].node_id)
    graph.set_output("first", tensors[0].node_id)
    return graph


@given(graph=random_graphs())
def test_json_round_trip(graph):
    again = Graph.from_json(graph.to_json())
    assert again == graph
    assert again.format() == graph.format()
    assert again.content_hash() == graph.content_hash()
    verify_graph(again)


@given(graph=random_graphs())
def test_round_trip_preserves_results(graph):
    feeds = {
        "a": np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3),
        "b": np.array([0.5, -0.25, 2.0], dtype="float32"),
    }
    expected = interpreter.run(graph, feeds)
    result = interpreter.run(Graph.from_json(graph.to_json()), feeds)
    for name in expected:
        np.testing.assert_array_equal(result[name], expected[name])


def test_operand_order_and_repeated_operands():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = x * x
    z = x - ops.exp(x)
    assert graph.node(y.node_id).inputs == (x.node_id, x.node_id)
    assert graph.node(z.node_id).inputs[0] == x.node_id
    graph.set_output("y", y.node_id)
    out = interpreter.run(graph, {"x": np.array([3.0, -2.0], dtype="float32")})
    np.testing.assert_allclose(out["y"], [9.0, 4.0])


def test_content_hash_ignores_ids_and_name():
    def build(padding):
        graph = Graph(name=f"g{padding}")
        for i in range(padding):
            ops.placeholder(graph, f"unused{i}", (1,))
        x = ops.placeholder(graph, "x", (4,))
        graph.set_output("y", ops.exp(x).node_id)
        return graph.subgraph(graph.outputs)

    assert build(0).content_hash() == build(3).content_hash()
    other = build(0)
    ops.placeholder(other, "extra", (1,))
    other.set_output("z", other.placeholder("extra").id)
    assert other.content_hash() != build(0).content_hash()


def test_subgraph_keeps_only_what_outputs_need():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = ops.exp(x)
    ops.tanh(x)  # dead
    sub = graph.subgraph({"y": y.node_id})
    assert len(sub) == 2
    assert sub.outputs == {"y": y.node_id}
    verify_graph(sub)


def test_verify_catches_a_wrong_type():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = ops.exp(x)
    graph.replace_node(y.node_id, type=TensorType((3,), "float32"))
    with pytest.raises(errors.GraphError, match="stores type f32\\[3\\]"):
        verify_graph(graph)


def test_verify_rechecks_what_changed_since_it_last_checked():
    """With ``checked`` (what a pipeline passes after every pass), a node
    is checked again when it or one of its operand nodes was replaced."""
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = ops.exp(x)
    graph.set_output("z", ops.tanh(y).node_id)
    checked: dict = {}
    verify_graph(graph, checked)
    assert len(checked) == 3
    verify_graph(graph.copy(), checked)  # shared node objects: nothing new
    assert len(checked) == 3
    # A replaced node is checked again.
    graph.replace_node(y.node_id, type=TensorType((3,), "float32"))
    with pytest.raises(errors.GraphError, match="stores type f32\\[3\\]"):
        verify_graph(graph, checked)
    again = graph.copy()
    again.replace_node(y.node_id, type=TensorType((2,), "float32"))
    verify_graph(again, checked)
    # So is an unchanged node whose operand was replaced.
    wider = {**again.node(x.node_id).attrs, "shape": (4,)}
    again.replace_node(x.node_id, type=TensorType((4,), "float32"), attrs=wider)
    with pytest.raises(errors.GraphError, match=f"%{y.node_id}"):
        verify_graph(again, checked)


def test_verify_catches_unknown_ops_and_bad_arity():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    graph.add("exp", [x.node_id, x.node_id], {}, x.type)
    with pytest.raises(errors.GraphError, match="expected 1 operand"):
        verify_graph(graph)
    other = Graph()
    other.add("frobnicate", [], {}, TensorType((), "float32"))
    with pytest.raises(errors.GraphError, match="Unknown op 'frobnicate'"):
        verify_graph(other)


def test_replace_uses_and_remove():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = ops.exp(x)
    z = ops.tanh(y)
    graph.set_output("z", z.node_id)
    graph.replace_uses(y.node_id, x.node_id)
    graph.remove([y.node_id])
    assert graph.node(z.node_id).inputs == (x.node_id,)
    verify_graph(graph)
    with pytest.raises(errors.GraphError, match="still used"):
        graph.remove([x.node_id])


def test_from_json_rejects_other_files():
    with pytest.raises(errors.GraphError, match="Not a kgraph graph"):
        Graph.from_json('{"format": "something else"}')
    with pytest.raises(errors.GraphError, match="newer"):
        Graph.from_json('{"format": "kgraph.graph", "version": 99, "nodes": []}')


def test_topological_order_is_deterministic():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    a, b = ops.exp(x), ops.tanh(x)
    graph.set_output("s", (a + b).node_id)
    assert graph.topo_order() == sorted(graph.topo_order())


# -- the typed signature ---------------------------------------------------------


def test_outputs_carry_roles_and_keys_through_copies_and_json():
    graph = Graph(name="signed")
    w = ops.placeholder(graph, "w", (2,), role="parameter")
    graph.set_output("loss", ops.sum(w).node_id, "loss")
    graph.set_output("new:w", (w * 0.5).node_id, "update", "w")
    graph.set_output("y", w.node_id)
    assert graph.outputs_with("update") == {"w": graph.outputs["new:w"]}
    assert graph.role_of("y") == ("prediction", "y")
    for other in (graph.copy(), graph.renumbered(), Graph.from_json(graph.to_json())):
        assert other.role_of("new:w") == ("update", "w")
        assert other.names_with("loss") == ["loss"]
    assert f"new:w=%{graph.outputs['new:w']} (update w)" in graph.format()
    assert graph.format().endswith("y=%0")
    graph.keep_outputs(["y"])
    assert graph.signature == {"y": ("prediction", "y")}


def test_an_unknown_output_role_is_refused():
    graph = Graph()
    x = ops.placeholder(graph, "x", (1,))
    with pytest.raises(errors.GraphError, match=r"Unknown output role"):
        graph.set_output("x", x.node_id, "gradient")


def test_version_1_graphs_read_their_outputs_as_predictions():
    graph = Graph()
    graph.set_output("x", ops.placeholder(graph, "x", (1,)).node_id)
    data = graph.to_dict()
    data["version"] = 1
    data["outputs"] = [[name, node_id] for name, node_id, *_ in data["outputs"]]
    assert Graph.from_dict(data).role_of("x") == ("prediction", "x")


def test_training_programs_read_roles_not_names():
    import kgraph as kg

    model = kg.Sequential([kg.Input(shape=(3,)), kg.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    program = model.compiled_program("train", 4, stages=False)
    graph = program.graph
    assert sorted(graph.outputs_with("update")) == sorted(
        v.path for v in model.trainable_weights
    )
    assert set(program.stats) == set(graph.names_with("stat"))
    assert graph.names_with("loss") == ["loss"]
