"""``differentiate``: the gradient of the loss for every trainable parameter.

The reverse-mode algorithm itself lives with the ops (``kgraph.ops.vjp``),
since ``scan``'s gradient differentiates its body with it too.
"""

from __future__ import annotations

from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ops.vjp import gradients
from kgraph.ops.vjp import vjp


def differentiate(graph: Graph, ctx: PassContext) -> Graph:
    """Adds the gradient of the loss with respect to every trainable parameter.

    Requires: an output named ``ctx.loss`` holding a float scalar, and static
    shapes (run ``infer_shapes`` with a batch size first).
    Guarantees: an output ``grad:<name>`` for each name in ``ctx.trainable``,
    with that parameter's shape.
    """
    names = list(ctx.trainable)
    params = [graph.placeholder(name).id for name in names]
    assert ctx.loss is not None
    grads = gradients(graph, graph.outputs[ctx.loss], params)
    for name, grad in zip(names, grads, strict=True):
        graph.set_output(f"grad:{name}", grad, "grad", name)
    return graph


__all__ = ["differentiate", "gradients", "vjp"]
