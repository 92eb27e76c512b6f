"""The memory plan: no live values share bytes; safe in-place updates only."""

from hypothesis import given
from hypothesis import strategies as st

from kgraph import ops
from kgraph.compiler import memory_plan
from kgraph.ir.graph import Graph
from kgraph.ops import registry


def _intervals(graph, plan):
    order = graph.topo_order()
    position = {node_id: i for i, node_id in enumerate(order)}
    last = {}
    for node_id in order:
        home = memory_plan._storage(graph, node_id)
        for user in graph.users(node_id):
            last[home] = max(last.get(home, -1), position[user])
    for node_id in graph.outputs.values():
        last[memory_plan._storage(graph, node_id)] = len(order)
    result = []
    for node_id, offset in plan.offsets.items():
        size = memory_plan._nbytes(graph, node_id)
        result.append(
            (
                position[node_id],
                last.get(node_id, position[node_id]),
                offset,
                offset + size,
            )
        )
    return result


@given(
    st.lists(
        st.sampled_from(["exp", "add", "mul", "sum", "reshape"]),
        min_size=1,
        max_size=12,
    )
)
def test_live_values_never_share_bytes(steps):
    graph = Graph()
    x = ops.placeholder(graph, "x", (4, 6))
    values = [x]
    for index, step in enumerate(steps):
        a, b = values[-1], values[min(index // 2, len(values) - 1)]
        if step == "exp":
            values.append(ops.exp(a))
        elif step == "add" and a.shape == b.shape:
            values.append(a + b)
        elif step == "mul":
            values.append(a * 2.0)
        elif step == "sum" and a.ndim:
            values.append(ops.sum(a, axis=-1, keepdims=True) * a)
        elif a.ndim == 2:
            values.append(ops.reshape(a, (-1,)))
    graph.set_output("out", values[-1].node_id)
    graph.set_output("first", values[min(1, len(values) - 1)].node_id)
    plan = memory_plan.make_plan(graph)
    spans = _intervals(graph, plan)
    for i, (born, dies, start, stop) in enumerate(spans):
        for born2, dies2, start2, stop2 in spans[i + 1 :]:
            overlap_in_time = born <= dies2 and born2 <= dies
            overlap_in_space = start < stop2 and start2 < stop
            assert not (overlap_in_time and overlap_in_space)
        assert stop <= plan.arena_size


def _state_update(update):
    graph = Graph()
    w = ops.placeholder(graph, "w", (3, 4), role="parameter")
    x = ops.placeholder(graph, "x", (2, 3))
    g = ops.placeholder(graph, "g", (2, 4))
    new, extra = update(w, x, g)
    graph.set_output("new:w", new.node_id)
    if extra is not None:
        graph.set_output("other", extra.node_id)
    return graph


def test_elementwise_update_is_in_place():
    graph = _state_update(lambda w, x, g: (w - 0.1 * ops.exp(w), None))
    plan = memory_plan.make_plan(graph)
    assert plan.in_place == {graph.outputs["new:w"]: "w"}


def test_update_with_a_later_reader_is_not_in_place():
    def update(w, x, g):
        new = w * 0.5
        later = ops.matmul(x, w)  # reads the old w
        return new, later

    graph = _state_update(update)
    order = graph.topo_order()
    new_id = graph.outputs["new:w"]
    later_id = graph.outputs["other"]
    assert order.index(later_id) > order.index(new_id)
    assert memory_plan.make_plan(graph).in_place == {}


def test_fused_matmul_update_is_not_in_place():
    graph = _state_update(
        lambda w, x, g: (
            ops.fused(
                [x, g, w],
                (
                    ("matmul", (0, 1), (("transpose_a", True), ("transpose_b", False))),
                    ("subtract", (2, -1), ()),
                ),
            ),
            None,
        )
    )
    assert registry.get(graph.node(graph.outputs["new:w"]).op).kind == registry.FUSED
    assert memory_plan.make_plan(graph).in_place == {}
