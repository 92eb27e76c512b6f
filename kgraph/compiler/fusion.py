"""``fuse``: elementwise chains, and a matmul or a convolution with the
elementwise ops that consume it (bias, batch normalization, activation, a
residual sum), become single ``fused`` nodes.

TVM's rule, by op kind: walking the graph backwards, an elementwise node (or
a matmul, or a ``conv``) joins a group when all its users are elementwise
members of that group, it is not a graph output, and it has the group's
shape (so nothing is computed twice); a ``conv`` also needs the group's
dtype, since the backend computes the body where the convolution stores its
results. A group holds at most one such *head*, which becomes the first
entry of the body: the rest is its epilogue. Each group of two or more nodes
is replaced by one ``fused`` node whose body lists the members in order.

Then a ``sum`` or ``max`` over leading axes absorbs the elementwise node (or
fused chain) it alone reads, when every operand of that node reads as rows
of the folded matrix (``fused.row_steps``): the reduction computes its
operand as it folds the rows, so that operand never goes through memory
(the variance's squared deviations, the ``dy * x_hat`` of batch
normalization's gradient).
"""

from __future__ import annotations

from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ops import registry
from kgraph.ops.fused import REDUCTIONS
from kgraph.ops.fused import leading_count
from kgraph.ops.fused import row_steps
from kgraph.ops.reduce import normalize_axes

_JOINABLE = (registry.ELEMENTWISE, registry.MATMUL, registry.CONV)


def _kind(graph: Graph, node_id: int) -> str:
    return registry.get(graph.node(node_id).op).kind


def _head(graph: Graph, node_id: int) -> bool:
    """Whether a node heads a group: a matmul or a convolution's forward."""
    node = graph.node(node_id)
    return _kind(graph, node_id) == registry.MATMUL or node.op == "conv"


def _groups(graph: Graph) -> dict[int, list[int]]:
    """Root id -> member ids, for every group of two or more nodes."""
    outputs = set(graph.outputs.values())
    root_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    has_head: dict[int, bool] = {}
    for node_id in reversed(graph.topo_order()):
        kind = _kind(graph, node_id)
        if kind not in _JOINABLE or (
            kind == registry.CONV and not _head(graph, node_id)
        ):
            continue
        head = _head(graph, node_id)
        node = graph.node(node_id)
        users = graph.users(node_id)
        roots = {root_of.get(user) for user in users}
        root = roots.pop() if len(roots) == 1 else None
        joins = (
            root is not None
            and node_id not in outputs
            and all(_kind(graph, user) == registry.ELEMENTWISE for user in users)
            and node.type.shape == graph.node(root).type.shape
            and not (head and has_head[root])
            and not (kind == registry.CONV and node.type != graph.node(root).type)
        )
        if joins and root is not None:
            root_of[node_id] = root
            members[root].append(node_id)
            has_head[root] |= head
        elif kind == registry.ELEMENTWISE:
            root_of[node_id] = node_id
            members[node_id] = [node_id]
            has_head[node_id] = False
    return {root: ids for root, ids in members.items() if len(ids) > 1}


def _body(
    graph: Graph, ids: list[int], position: dict[int, int]
) -> tuple[list[int], tuple]:
    """The fused node's operands and body for a group's members."""
    ordered = sorted(ids, key=position.__getitem__)
    # The head comes first: its epilogue members never feed it.
    ordered.sort(key=lambda i: not _head(graph, i))
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


def _elementwise_body(graph: Graph, node_id: int) -> tuple[list[int], tuple] | None:
    """A node's operands and body as the entries of a fused body, when it
    is elementwise (or fused elementwise)."""
    node = graph.node(node_id)
    kind = _kind(graph, node_id)
    if kind == registry.FUSED:
        body = node.attrs["body"]
        if any(registry.get(op).kind != registry.ELEMENTWISE for op, _, _ in body):
            return None
        return list(node.inputs), tuple(body)
    if kind != registry.ELEMENTWISE:
        return None
    inputs: list[int] = []
    for operand in node.inputs:
        if operand not in inputs:
            inputs.append(operand)
    refs = tuple(inputs.index(operand) for operand in node.inputs)
    return inputs, ((node.op, refs, tuple(sorted(node.attrs.items()))),)


def _absorb_into_reductions(graph: Graph) -> None:
    """Each leading-axis ``sum``/``max`` takes in the elementwise node only
    it reads (see the module docstring)."""
    outputs = set(graph.outputs.values())
    for node_id in graph.topo_order():
        node = graph.node(node_id)
        if node.op not in REDUCTIONS or not node.type.is_static:
            continue
        operand = graph.node(node.inputs[0])
        if operand.id in outputs or graph.users(operand.id) != [node_id]:
            continue
        found = _elementwise_body(graph, operand.id)
        if found is None or not operand.type.is_static:
            continue
        inputs, body = found
        shape = operand.type.dims
        axes = normalize_axes(node.op, node.attrs["axis"], len(shape))
        count = leading_count(axes, len(shape))
        types = [graph.node(i).type for i in inputs]
        if count is None or any(
            not t.is_static or row_steps(t.dims, shape, count) is None for t in types
        ):
            continue
        reduction = (node.op, (-len(body),), tuple(sorted(node.attrs.items())))
        graph.replace_node(
            node_id,
            op="fused",
            inputs=tuple(inputs),
            attrs={"body": (*body, reduction)},
        )
        graph.remove([operand.id])


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
    _absorb_into_reductions(graph)
    return graph
