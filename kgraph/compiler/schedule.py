"""The step's schedule: the order kernels run in, with loop groups.

Nodes run in topological order, except that pointwise elementwise nodes of
one shape are gathered into a *loop group* that runs as one loop computing
several outputs: the Adam update of a weight (new momentum, new velocity,
new weight) reads the gradient and the three state arrays once and writes
three arrays, instead of three loops passing values through memory. A group
is held open while the nodes after it do not need its values, and runs just
before the first node that does (after any group it reads from).

A matrix product whose every reader is in one loop group of its shape joins
that group as its first member (a *product group*): the backend computes the
group in the product's epilogue, on each tile of results still in registers,
so the product itself never goes through memory. The gradient of a weight
and its Adam update are one kernel that way, as are a hidden layer's product,
bias and ReLU with the mask the backward pass keeps.

Consecutive small units over the same rows (*row groups*) merge into one
unit when they include a reduction along the last axis: every member's value
has the outer shape ``O`` plus a row of at most one axis, and the kernel
runs all members row after row, so a reduction and the elementwise nodes
around it (a softmax, the crossentropy after it and their gradients) are
one loop over the batch instead of a kernel each.

The nodes of one ``scan`` that differ only in the result they hold (the
final carries, the stacked outputs, the residuals the gradient reads) are a
*scan group*: one native loop computes all of them, where the first of them
would run.
"""

from __future__ import annotations

from kgraph.ir.graph import Graph
from kgraph.ops import registry


def pointwise(graph: Graph, node_id: int) -> bool:
    """Whether a node's kernel reads each operand at the index it writes
    (elementwise, or fused elementwise)."""
    node = graph.node(node_id)
    kind = registry.get(node.op).kind
    if kind == registry.FUSED:
        return all(
            registry.get(op).kind == registry.ELEMENTWISE
            for op, _, _ in node.attrs["body"]
        )
    return kind == registry.ELEMENTWISE


def product(graph: Graph, node_id: int) -> bool:
    """Whether a node is a 2-D matrix product (``matmul``, or a ``fused``
    node whose body starts with one)."""
    node = graph.node(node_id)
    op = node.op
    if registry.get(op).kind == registry.FUSED:
        op = node.attrs["body"][0][0]
    return registry.get(op).kind == registry.MATMUL and node.type.rank == 2


def _groupable(graph: Graph, node_id: int) -> bool:
    node = graph.node(node_id)
    return pointwise(graph, node_id) and node.type.rank >= 1


def schedule(graph: Graph) -> list[tuple[int, ...]]:
    """The step's units in run order: single nodes, loop groups, product
    groups and row groups (``unit_kind`` tells them apart).

    Returns:
        Tuples of node ids in dependency order; a tuple of several ids is a
        group, which may also hold placeholders, constants and views.
    """
    units: list[tuple[int, ...]] = []
    open_groups: dict[tuple, list[int]] = {}
    siblings = _scan_siblings(graph)
    placed: set[int] = set()

    def close(shape: tuple) -> None:
        members = open_groups.pop(shape)
        needed = {i for m in members for i in graph.node(m).inputs}
        for other in [s for s, g in open_groups.items() if needed & set(g)]:
            if other in open_groups:
                close(other)
        units.append(tuple(members))

    for node_id in graph.topo_order():
        node = graph.node(node_id)
        needed = set(node.inputs)
        own = node.type.shape if _groupable(graph, node_id) else None
        for shape in [s for s, g in open_groups.items() if needed & set(g)]:
            if shape != own and shape in open_groups:
                close(shape)
        if own is not None:
            open_groups.setdefault(own, []).append(node_id)
        elif node_id in siblings:
            if node_id not in placed:
                units.append(siblings[node_id])
                placed.update(siblings[node_id])
        else:
            units.append((node_id,))
    for shape in list(open_groups):
        if shape in open_groups:
            close(shape)
    return _join_rows(graph, _join_products(graph, units))


def _scan_siblings(graph: Graph) -> dict[int, tuple[int, ...]]:
    """Every scan node's group: the nodes of the same loop, in result order."""
    groups: dict[tuple, list[int]] = {}
    for node in graph.nodes():
        if registry.get(node.op).kind != registry.LOOP:
            continue
        attrs = {k: v for k, v in node.attrs.items() if k != "result"}
        loop = tuple(
            (k, id(v) if isinstance(v, Graph) else v) for k, v in sorted(attrs.items())
        )
        groups.setdefault((node.op, node.inputs, loop), []).append(node.id)
    found = {}
    for members in groups.values():
        ordered = tuple(sorted(members, key=lambda i: graph.node(i).attrs["result"]))
        for member in members:
            found[member] = ordered
    return found


def unit_kind(graph: Graph, unit: tuple[int, ...]) -> str:
    """``"single"`` (one kernel), ``"loop"`` (a loop group), ``"product"``
    (a product group), ``"rows"`` (a row group) or ``"scan"`` (a scan
    group)."""
    kernels = [i for i in unit if not transparent(graph, i)]
    if kernels and all(
        registry.get(graph.node(i).op).kind == registry.LOOP for i in kernels
    ):
        return "scan"
    if len(kernels) <= 1:
        return "single"
    if product(graph, kernels[0]):
        return "product"
    if all(pointwise(graph, i) for i in kernels):
        return "loop"
    return "rows"


def transparent(graph: Graph, node_id: int) -> bool:
    """Placeholders, constants and views: no kernel of their own."""
    opdef = registry.get(graph.node(node_id).op)
    return opdef.kind == registry.SOURCE or opdef.view


# Reductions a row group runs on each row (their lowering takes any axes).
_ROW_REDUCTIONS = ("sum", "max")
# Row groups gather small kernels (a loss over a batch), which run on one
# thread anyway; bigger ones keep loops of their own, shared by threads.
ROW_GROUP_ELEMENTS = 1 << 14


def _row_reduction(graph: Graph, node_id: int) -> tuple | None:
    """The outer shape of a reduction along its operand's last axis only."""
    node = graph.node(node_id)
    if node.op not in _ROW_REDUCTIONS:
        return None
    shape = tuple(graph.node(node.inputs[0]).type.shape)
    axis = node.attrs["axis"]
    axes = set(range(len(shape))) if axis is None else {a % len(shape) for a in axis}
    if not shape or axes != {len(shape) - 1}:
        return None
    return shape[:-1]


def _row_outers(graph: Graph, node_id: int) -> set[tuple]:
    """The outer shapes a node can run row by row with (none when big)."""
    node = graph.node(node_id)
    sizes = [graph.node(i).type.size or 0 for i in node.inputs]
    if max([node.type.size or 0, *sizes]) >= ROW_GROUP_ELEMENTS:
        return set()
    reduced = _row_reduction(graph, node_id)
    if reduced is not None:
        return {reduced}
    if not pointwise(graph, node_id):
        return set()
    shape = tuple(graph.node(node_id).type.shape)
    outers = set()
    for outer in {shape[:-1], shape} if shape else {shape}:
        rows_fit = True
        for operand in graph.node(node_id).inputs:
            own = tuple(graph.node(operand).type.shape)
            padded = (1,) * (len(shape) - len(own)) + own
            head = padded[: len(outer)]
            rows_fit &= head == outer or all(size == 1 for size in head)
        if rows_fit:
            outers.add(outer)
    return outers


def _join_rows(graph: Graph, units: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Merges runs of consecutive units that can all run row by row over one
    outer shape and include a reduction along the last axis."""
    result: list[tuple[int, ...]] = []
    run: list[tuple[int, ...]] = []
    outers: set[tuple] | None = None

    def flush() -> None:
        kernels = [i for unit in run for i in unit if not transparent(graph, i)]
        reduces = any(_row_reduction(graph, i) is not None for i in kernels)
        if reduces and outers is not None and len(outers) == 1 and len(kernels) > 1:
            result.append(tuple(i for unit in run for i in unit))
        else:
            result.extend(run)
        run.clear()

    for unit in units:
        kernels = [i for i in unit if not transparent(graph, i)]
        if not kernels:
            run.append(unit)
            continue
        own: set[tuple] = set.intersection(*(_row_outers(graph, i) for i in kernels))
        if len(kernels) > 1 and unit_kind(graph, unit) != "loop":
            own = set()
        joint = own if outers is None else outers & own
        if joint:
            run.append(unit)
            outers = joint
            continue
        flush()
        outers = own or None
        if own:
            run.append(unit)
        else:
            result.append(unit)
    flush()
    return result


def _join_products(graph: Graph, units: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Moves each product read only by one loop group of its shape into that
    group, first (it runs later than before: only the group needed it)."""
    unit_of = {node_id: i for i, unit in enumerate(units) for node_id in unit}
    outputs = set(graph.outputs.values())
    joined: dict[int, int] = {}  # group unit index -> product id
    for unit in units:
        node_id = unit[0]
        if len(unit) != 1 or node_id in outputs or not product(graph, node_id):
            continue
        homes = {unit_of[user] for user in graph.users(node_id)}
        if len(homes) != 1:
            continue
        home = homes.pop()
        group = units[home]
        if (
            home in joined
            or not all(_groupable(graph, member) for member in group)
            or graph.node(group[0]).type.shape != graph.node(node_id).type.shape
        ):
            continue
        joined[home] = node_id
    moved = set(joined.values())
    return [
        (joined[i], *unit) if i in joined else unit
        for i, unit in enumerate(units)
        if not (len(unit) == 1 and unit[0] in moved)
    ]
