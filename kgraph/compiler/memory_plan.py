"""``plan_memory``: where every value of a step lives.

Liveness over the step's schedule (``schedule.py``: topological order, with
loop groups running as one unit): a computed value is born at its unit and
dies after its last reader's unit (a view such as
``reshape`` extends its source's life to its own readers; outputs live to the
end). Buffers are reused first-fit, 64-byte aligned, in one arena per step.

In-place updates: the new value of a parameter or optimizer slot
(``new:<path>``) is written straight into that state array, instead of the
arena and a copy, when it is safe: the node computes elementwise (its
kernel reads each operand element at the index it writes), no operand of
another shape aliases the state, and every other reader of the old value
runs before it.
"""

from __future__ import annotations

from kgraph import dtypes
from kgraph.compiler import schedule
from kgraph.compiler.passes import PassContext
from kgraph.compiler.program import BufferPlan
from kgraph.ir.graph import Graph
from kgraph.ops import registry

ALIGNMENT = 64


def _nbytes(graph: Graph, node_id: int) -> int:
    node = graph.node(node_id)
    size = int(node.type.size or 0) * dtypes.to_numpy(node.type.dtype).itemsize
    return -(-size // ALIGNMENT) * ALIGNMENT


def _storage(graph: Graph, node_id: int) -> int:
    """The node whose buffer holds this value (following views)."""
    node = graph.node(node_id)
    while node.inputs and registry.get(node.op).view:
        node = graph.node(node.inputs[0])
    return node.id


def _is_computed(graph: Graph, node_id: int) -> bool:
    node = graph.node(node_id)
    opdef = registry.get(node.op)
    return opdef.kind != registry.SOURCE and not opdef.view


def _in_place(
    graph: Graph, position: dict[int, int], kinds: list[str]
) -> dict[int, str]:
    chosen: dict[int, str] = {}
    targets = set()
    for path, node_id in graph.outputs_with("update").items():
        node = graph.node(node_id)
        if not schedule.pointwise(graph, node_id) or node_id in chosen:
            continue
        inputs = {
            n.name: n for n in graph.placeholders() if n.role in ("parameter", "slot")
        }
        state = inputs.get(path)
        if state is None:
            continue
        if state.type != node.type or path in targets:
            continue
        readers = _readers(graph, state.id)
        # Pointwise readers in the writer's own unit are fine: a loop loads
        # every operand of an element before it stores any result (a product
        # heading the unit reads whole rows and columns, and a row group's
        # members may read other rows: they are not).
        later = [
            r
            for r in readers
            if r != node_id
            and (
                position[r] > position[node_id]
                or (
                    position[r] == position[node_id]
                    and (schedule.product(graph, r) or kinds[position[r]] == "rows")
                )
            )
        ]
        if later:
            continue
        chosen[node_id] = path
        targets.add(path)
    return chosen


def _readers(graph: Graph, node_id: int) -> set[int]:
    """Nodes that read a value, through views."""
    found: set[int] = set()
    for user in graph.users(node_id):
        if registry.get(graph.node(user).op).view:
            found |= _readers(graph, user)
        else:
            found.add(user)
    return found


def make_plan(graph: Graph) -> BufferPlan:
    """Computes the buffer plan of a graph (see the module docstring)."""
    units = schedule.schedule(graph)
    position = {node_id: i for i, unit in enumerate(units) for node_id in unit}
    order = [node_id for unit in units for node_id in unit]
    kinds = [schedule.unit_kind(graph, unit) for unit in units]
    plan = BufferPlan(in_place=_in_place(graph, position, kinds), units=units)
    end = len(units)
    death: dict[int, int] = {}
    for node_id in order:
        home = _storage(graph, node_id)
        for user in graph.users(node_id):
            death[home] = max(death.get(home, -1), position[user])
    for node_id in graph.outputs.values():
        death[_storage(graph, node_id)] = end
    free: list[tuple[int, int]] = []  # (offset, size)
    live: list[tuple[int, int, int]] = []  # (death, offset, size)
    for node_id in order:
        index = position[node_id]
        if not _is_computed(graph, node_id) or node_id in plan.in_place:
            continue
        for item in [item for item in live if item[0] < index]:
            live.remove(item)
            free.append((item[1], item[2]))
        size = _nbytes(graph, node_id)
        offset = _take(free, size)
        if offset is None:
            offset = plan.arena_size
            plan.arena_size += size
        plan.offsets[node_id] = offset
        live.append((death.get(node_id, index), offset, size))
    return plan


def _take(free: list[tuple[int, int]], size: int) -> int | None:
    """First fit: takes ``size`` bytes from the free list, or ``None``."""
    free.sort()
    for i, (offset, available) in enumerate(free):
        if available >= size:
            if available > size:
                free[i] = (offset + size, available - size)
            else:
                free.pop(i)
            return offset
    return None


def plan_memory(graph: Graph, ctx: PassContext) -> Graph:
    """Plans the step's memory and records it as ``ctx.plan``.

    Requires: the final graph (run last). Guarantees: the graph is
    unchanged; ``ctx.plan`` is a ``BufferPlan`` in which no two values that
    are alive at the same time share bytes.
    """
    ctx.plan = make_plan(graph)
    return graph
