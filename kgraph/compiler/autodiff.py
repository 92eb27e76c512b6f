"""Reverse-mode automatic differentiation, graph to graph.

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
from kgraph.tensor import SymbolicTensor


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
    relevant = _between(graph, target, wrt)
    seed = graph_constant(graph, np.ones((), dtype=y.type.dtype))
    cotangents: dict[int, SymbolicTensor] = {target: seed}
    for node_id in sorted(relevant, key=_order(graph), reverse=True):
        if node_id in cotangents:
            _backward(graph, node_id, cotangents, relevant)
    return [_result(graph, node_id, cotangents) for node_id in wrt]


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
            grad = _fit(grad, operand)
            previous = cotangents.get(operand.node_id)
            cotangents[operand.node_id] = (
                grad if previous is None else add(previous, grad)
            )


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


def _result(graph: Graph, node_id: int, cotangents: dict[int, SymbolicTensor]) -> int:
    if node_id in cotangents:
        return cotangents[node_id].node_id
    node_type = graph.node(node_id).type
    if not node_type.is_static:
        raise errors.ShapeError(
            f"gradients: %{node_id} does not affect the target and its shape "
            f"{node_type} is not static, so no zero gradient can be made."
        )
    zeros = np.zeros(node_type.dims, dtype=dtypes.to_numpy(node_type.dtype))
    return graph_constant(graph, zeros).node_id


def differentiate(graph: Graph, ctx: object) -> Graph:
    """Adds the gradient of the loss with respect to every trainable parameter.

    Requires: an output named ``ctx.loss`` holding a float scalar, and static
    shapes (run ``infer_shapes`` with a batch size first).
    Guarantees: an output ``grad:<name>`` for each name in ``ctx.trainable``,
    with that parameter's shape.
    """
    names = list(getattr(ctx, "trainable", ()))
    params = [graph.placeholder(name).id for name in names]
    grads = gradients(graph, graph.outputs[ctx.loss], params)  # type: ignore[attr-defined]
    for name, grad in zip(names, grads, strict=True):
        graph.set_output(f"grad:{name}", grad, "grad", name)
    return graph
