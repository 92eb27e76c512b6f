"""``fuse``: elementwise chains, and a matmul with the elementwise ops that
consume it (bias, activation), become single ``fused`` nodes.

TVM's rule, by op kind: walking the graph backwards, an elementwise node (or
a matmul) joins a group when all its users are elementwise members of that
group, it is not a graph output, and it has the group's shape (so nothing is
computed twice). A group holds at most one matmul, which becomes the first entry of
the body: the rest is its epilogue. Each group of two or more nodes is
replaced by one ``fused`` node whose body lists the members in order.
"""

from __future__ import annotations

from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ops import registry

_JOINABLE = (registry.ELEMENTWISE, registry.MATMUL)


def _kind(graph: Graph, node_id: int) -> str:
    return registry.get(graph.node(node_id).op).kind


def _groups(graph: Graph) -> dict[int, list[int]]:
    """Root id -> member ids, for every group of two or more nodes."""
    outputs = set(graph.outputs.values())
    root_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    has_matmul: dict[int, bool] = {}
    for node_id in reversed(graph.topo_order()):
        kind = _kind(graph, node_id)
        if kind not in _JOINABLE:
            continue
        users = graph.users(node_id)
        roots = {root_of.get(user) for user in users}
        root = roots.pop() if len(roots) == 1 else None
        joins = (
            root is not None
            and node_id not in outputs
            and all(_kind(graph, user) == registry.ELEMENTWISE for user in users)
            and graph.node(node_id).type.shape == graph.node(root).type.shape
            and not (kind == registry.MATMUL and has_matmul[root])
        )
        if joins and root is not None:
            root_of[node_id] = root
            members[root].append(node_id)
            has_matmul[root] |= kind == registry.MATMUL
        elif kind == registry.ELEMENTWISE:
            root_of[node_id] = node_id
            members[node_id] = [node_id]
            has_matmul[node_id] = False
    return {root: ids for root, ids in members.items() if len(ids) > 1}


def _body(
    graph: Graph, ids: list[int], position: dict[int, int]
) -> tuple[list[int], tuple]:
    """The fused node's operands and body for a group's members."""
    ordered = sorted(ids, key=position.__getitem__)
    # A matmul comes first: its epilogue members never feed it.
    ordered.sort(key=lambda i: _kind(graph, i) != registry.MATMUL)
    entry_of = {node_id: index for index, node_id in enumerate(ordered)}
    inputs: list[int] = []
    body = []
    for node_id in ordered:
        node = graph.node(node_id)
        refs = []
        for operand in node.inputs:
            if operand in entry_of:
                refs.append(-entry_of[operand] - 1)
            else:
                if operand not in inputs:
                    inputs.append(operand)
                refs.append(inputs.index(operand))
        body.append((node.op, tuple(refs), tuple(sorted(node.attrs.items()))))
    return inputs, tuple(body)


def fuse(graph: Graph, ctx: PassContext) -> Graph:
    """Replaces every fusible group by one ``fused`` node.

    Requires: autodiff and the optimizer are done (``fused`` has no gradient).
    Guarantees: the outputs and every value outside a group are unchanged; a
    group's root keeps its id and type; its other members are gone.
    """
    position = {node_id: i for i, node_id in enumerate(graph.topo_order())}
    for root, ids in _groups(graph).items():
        inputs, body = _body(graph, ids, position)
        graph.replace_node(root, op="fused", inputs=tuple(inputs), attrs={"body": body})
        graph.remove([i for i in ids if i != root])
    return graph
