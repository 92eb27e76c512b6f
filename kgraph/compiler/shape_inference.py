"""``infer_shapes``: gives the batch dimension its size and re-derives types."""

from __future__ import annotations

from kgraph.ir.graph import Graph
from kgraph.ops import registry

_BATCHED_ROLES = ("data", "target", "sample_weight")


def infer_shapes(graph: Graph, ctx: object) -> Graph:
    """Re-derives every node's type, with the batch size filled in.

    Requires: ``ctx.batch_size`` (or ``None`` to keep unknown batch sizes);
    ``ctx.input_shapes`` for data inputs with other unknown dimensions.
    Guarantees: data, target and sample-weight inputs have the batch size as
    their first dimension (and data inputs their concrete per-sample shape),
    and every node's type is what its op's rule derives from its operands'
    types.
    """
    batch = getattr(ctx, "batch_size", None)
    concrete = getattr(ctx, "input_shapes", {}) or {}
    result = graph.copy()
    for node in result.nodes():
        attrs = dict(node.attrs)
        if node.op == "placeholder" and node.role in _BATCHED_ROLES:
            shape = attrs["shape"]
            if node.name in concrete and shape:
                attrs["shape"] = (shape[0], *concrete[node.name])
                shape = attrs["shape"]
            if batch and shape and shape[0] is None:
                attrs["shape"] = (batch, *shape[1:])
        opdef = registry.get(node.op)
        types = [result.node(i).type for i in node.inputs]
        if opdef.specialize is not None:
            attrs = opdef.specialize(types, attrs)
        result.replace_node(node.id, attrs=attrs, type=opdef.infer(types, attrs))
    return result
