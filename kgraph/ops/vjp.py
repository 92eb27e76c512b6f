"""Reverse-mode automatic differentiation, graph to graph (the compiler's
``differentiate`` pass and ``scan``'s gradient use it).

The micrograd algorithm over a static graph: walk the nodes that lie between
the parameters and the scalar in reverse topological order, ask each op's
``grad`` rule for one cotangent per operand, sum a cotangent back to its
operand's shape where the op broadcast, and add up cotangents on fan-out.
Gradients are ordinary nodes made with the public op functions, so they can
be differentiated again, simplified, fused and lowered.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import registry
from kgraph.ops.elementwise import add
from kgraph.ops.elementwise import cast
from kgraph.ops.reduce import sum_to_shape
from kgraph.ops.sources import graph_constant
from kgraph.ops.tensor import SymbolicTensor


def gradients(graph: Graph, target: int, wrt: Sequence[int]) -> list[int]:
    """Adds the gradient of a scalar node with respect to other nodes.

    Args:
        graph: the graph; gradient nodes are added to it.
        target: the id of a float scalar node (a loss).
        wrt: the ids of the nodes to differentiate with respect to.

    Returns:
        One node id per entry of ``wrt`` holding d target / d node, with that
        node's shape; a zero constant where the target does not depend on it.

    Raises:
        ShapeError: when the target is not a float scalar.
        GraphError: when an op's rule returns the wrong number of cotangents.
    """
    y = graph.node(target)
    if y.type.rank != 0 or not dtypes.is_float(y.type.dtype):
        raise errors.ShapeError(
            f"gradients: the target must be a float scalar. Received: {y.type} "
            f"at %{target}"
        )
    seed = graph_constant(graph, np.ones((), dtype=y.type.dtype))
    found = vjp(graph, [target], [seed], wrt)
    return [
        _zeros(graph, node_id) if grad is None else grad.node_id
        for node_id, grad in zip(wrt, found, strict=True)
    ]


def vjp(
    graph: Graph,
    targets: Sequence[int],
    cotangents: Sequence[SymbolicTensor],
    wrt: Sequence[int],
) -> list[SymbolicTensor | None]:
    """Adds the vector-Jacobian product of some nodes with respect to others.

    Args:
        graph: the graph; the product's nodes are added to it.
        targets: the ids of the nodes whose cotangents are given.
        cotangents: one cotangent per target, of its shape and dtype.
        wrt: the ids of the nodes to differentiate with respect to.

    Returns:
        One tensor per entry of ``wrt``: the sum over targets of the
        cotangent times d target / d node, with that node's shape; ``None``
        where no target depends on the node.

    Raises:
        GraphError: when an op's rule returns the wrong number of cotangents.
    """
    relevant: set[int] = set()
    for target in targets:
        relevant |= _between(graph, target, wrt)
    found: dict[int, SymbolicTensor] = {}
    for target, cotangent in zip(targets, cotangents, strict=True):
        if target in relevant:
            _accumulate(found, target, cotangent)
    for node_id in sorted(relevant, key=_order(graph), reverse=True):
        if node_id in found:
            _backward(graph, node_id, found, relevant)
    return [found.get(node_id) for node_id in wrt]


def _accumulate(
    found: dict[int, SymbolicTensor], node_id: int, grad: SymbolicTensor
) -> None:
    previous = found.get(node_id)
    found[node_id] = grad if previous is None else add(previous, grad)


def _order(graph: Graph) -> Callable[[int], int]:
    """A node's position in the topological order, as a sort key."""
    position = {node_id: i for i, node_id in enumerate(graph.topo_order())}
    return position.__getitem__


def _between(graph: Graph, target: int, wrt: Sequence[int]) -> set[int]:
    """The nodes on some path from a ``wrt`` node to the target."""
    upstream = graph.ancestors([target])
    downstream: set[int] = set()
    frontier = [w for w in wrt if w in upstream]
    while frontier:
        node_id = frontier.pop()
        if node_id in downstream:
            continue
        downstream.add(node_id)
        frontier.extend(u for u in graph.users(node_id) if u in upstream)
    return downstream


def _backward(
    graph: Graph,
    node_id: int,
    cotangents: dict[int, SymbolicTensor],
    relevant: set[int],
) -> None:
    node = graph.node(node_id)
    opdef = registry.get(node.op)
    if not opdef.differentiable:
        return
    inputs = [SymbolicTensor(graph, i) for i in node.inputs]
    output = SymbolicTensor(graph, node_id)
    assert opdef.grad is not None  # differentiable ops have a rule (registry test)
    with builder.layer_scope(f"{node.layer or node.op}/grad"):
        grads = opdef.grad(inputs, output, cotangents[node_id], node.attrs)
        if len(grads) != len(inputs):
            raise errors.GraphError(
                f"{node.op}: its grad rule returned {len(grads)} cotangents for "
                f"{len(inputs)} operands. Received: {graph.format_node(node_id)}"
            )
        for operand, grad in zip(inputs, grads, strict=True):
            if grad is None or operand.node_id not in relevant:
                continue
            if not dtypes.is_float(operand.dtype):
                continue
            _accumulate(cotangents, operand.node_id, _fit(grad, operand))


def _fit(grad: SymbolicTensor, operand: SymbolicTensor) -> SymbolicTensor:
    """Unbroadcasts a cotangent to its operand's shape and dtype."""
    if grad.shape != operand.shape:
        grad = sum_to_shape(grad, operand.shape)
    if grad.shape != operand.shape:
        raise errors.ShapeError(
            f"gradients: a cotangent of shape {grad.shape} does not fit operand "
            f"%{operand.node_id} of shape {operand.shape}."
        )
    if grad.dtype != operand.dtype:
        grad = cast(grad, operand.dtype)
    return grad


def _zeros(graph: Graph, node_id: int) -> int:
    """A zero constant of a node's type: the gradient of what it does not
    affect."""
    node_type = graph.node(node_id).type
    if not node_type.is_static:
        raise errors.ShapeError(
            f"gradients: %{node_id} does not affect the target and its shape "
            f"{node_type} is not static, so no zero gradient can be made."
        )
    zeros = np.zeros(node_type.dims, dtype=dtypes.to_numpy(node_type.dtype))
    return graph_constant(graph, zeros).node_id


__all__ = ["gradients", "vjp"]
