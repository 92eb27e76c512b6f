"""``verify_graph``: a graph checked against its ops' rules.

It lives with the op registry, not in ``kgraph.ir``: the IR knows nothing of
the ops built on it.
"""

from __future__ import annotations

from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ops import registry

# Nodes already checked, by object identity: a node (immutable) with the
# same operand nodes derives the same type again, so a pipeline verifying
# its graph after every pass checks only what a pass made or changed.
Checked = dict[int, tuple[Node, tuple[Node, ...]]]


def verify_graph(graph: Graph, checked: Checked | None = None) -> None:
    """Checks a graph against its ops' rules.

    Every op must be registered with the right operand count and valid
    attributes, the graph must be acyclic, every node's stored type must
    equal the type its op's ``infer`` rule derives again, and every output
    must name a node.

    Args:
        graph: the graph.
        checked: nodes verified before (``Checked``), skipped while they
            and their operand nodes are the same objects; the nodes this
            call verifies are added.

    Raises:
        GraphError: naming the first offending node, printed.

    Example:

    >>> from kgraph import ops
    >>> g = Graph()
    >>> g.set_output("y", ops.exp(ops.placeholder(g, "x", (2,))).node_id)
    >>> verify_graph(g)
    """
    for node in graph.nodes():  # raises GraphError on a cycle
        operands = tuple(graph.node(i) for i in node.inputs)
        if checked is not None and _known(checked, node, operands):
            continue
        try:
            opdef = registry.get(node.op)
            attrs = opdef.check_attrs(node.attrs)
            types = [operand.type for operand in operands]
            opdef.check_arity(len(types))
            derived = opdef.infer(types, attrs)
        except errors.KGraphError as error:
            raise errors.GraphError(
                f"Invalid node in graph '{graph.name}': {error}\n  at "
                f"{graph.format_node(node.id)}"
            ) from error
        if derived != node.type:
            raise errors.GraphError(
                f"Node %{node.id} ({node.op}) stores type {node.type} but "
                f"its op derives {derived}. Received: "
                f"{graph.format_node(node.id)}"
            )
        if checked is not None:
            checked[id(node)] = (node, operands)
    for out_name, node_id in graph.outputs.items():
        if node_id not in graph:
            raise errors.GraphError(
                f"Output '{out_name}' names missing node %{node_id}."
            )


def _known(checked: Checked, node: Node, operands: tuple[Node, ...]) -> bool:
    # Nodes compare by identity (``eq=False``), and so do tuples of them.
    entry = checked.get(id(node))
    return entry is not None and entry[0] is node and entry[1] == operands
