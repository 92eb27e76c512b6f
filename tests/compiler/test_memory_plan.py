"""The memory plan: no live values share bytes; safe in-place updates only."""

from hypothesis import given
from hypothesis import strategies as st

from kgraph import ops
from kgraph.compiler import memory_plan
from kgraph.ir.graph import Graph
from kgraph.ops import registry


def _intervals(graph, plan):
    order = [node_id for unit in plan.units for node_id in unit]
    position = {node_id: i for i, unit in enumerate(plan.units) for node_id in unit}
    last = {}
    for node_id in order:
        home = memory_plan._storage(graph, node_id)
        for user in graph.users(node_id):
            last[home] = max(last.get(home, -1), position[user])
    for node_id in graph.outputs.values():
        last[memory_plan._storage(graph, node_id)] = len(plan.units)
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
    graph.set_output("new:w", new.node_id, "update", "w")
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
        # Reads the old w, and cannot run before `new` (it needs its sum).
        later = ops.matmul(x, w * ops.sum(new))
        return new, later

    graph = _state_update(update)
    plan = memory_plan.make_plan(graph)
    assert plan.in_place == {}


def test_reader_that_can_run_first_allows_in_place():
    def update(w, x, g):
        return w * 0.5, ops.matmul(x, w)

    graph = _state_update(update)
    plan = memory_plan.make_plan(graph)
    position = {n: i for i, unit in enumerate(plan.units) for n in unit}
    new_id, reader = graph.outputs["new:w"], graph.outputs["other"]
    assert position[reader] < position[new_id]
    assert plan.in_place == {new_id: "w"}


def test_adam_updates_run_as_one_loop_group():
    import kgraph as kg

    kg.utils.clear_session()
    model = kg.Sequential([kg.layers.Dense(16, input_shape=(8,))])
    model.compile(optimizer="adam", loss="mse", backend="numpy")
    program = model.compiled_program("train", 4)
    graph = program.graph
    kernel = graph.outputs["new:dense/kernel"]
    group = next(unit for unit in program.plan.units if kernel in unit)
    names = {name for name, node in graph.outputs.items() if node in group}
    assert {
        "new:dense/kernel",
        "new:adam/dense/kernel/momentum",
        "new:adam/dense/kernel/velocity",
    } <= names


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
