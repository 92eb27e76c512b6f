"""``reduce_across_replicas``: data-parallel training's gradient sum.

In a data-parallel job (``kg.distribution.DataParallel``) every process
computes the gradients of its own rows of the global batch. This pass sums
them over the processes inside the step, so that every process applies the
same update to the same parameters: one ``all_reduce`` over one buffer
holding every gradient (and the new values of the layer state that
training updates, BatchNormalization's moving statistics), as DDP buckets
its gradients.

Each process's loss is a mean over its ``n`` rows, so each contribution is
weighted by ``n``: the buffer carries ``n * value`` for every value and
``n`` itself at its end, and the sum divided by the summed ``n`` is the mean
over the global batch, however unevenly its rows fell (a last, shorter
batch). Penalties (regularizers, ``add_loss``) count once, as in one
process.
"""

from __future__ import annotations

import math

from kgraph import ops
from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ops.collective import all_reduce
from kgraph.tensor import SymbolicTensor


def _reduced_outputs(graph: Graph, ctx: PassContext) -> list[str]:
    """The outputs to average: every gradient, then the float32 updates of
    the state training averages (``ctx.replicas.averaged``)."""
    assert ctx.replicas is not None
    names = graph.names_with("grad")
    averaged = set(ctx.replicas.averaged)
    for name in graph.names_with("update"):
        node = graph.node(graph.outputs[name])
        if graph.role_of(name)[1] in averaged and node.type.dtype == "float32":
            names.append(name)
    return names


def reduce_across_replicas(graph: Graph, ctx: PassContext) -> Graph:
    """Replaces each gradient (and averaged state update) by its mean over
    the global batch of a data-parallel job.

    Requires: ``differentiate`` ran; ``ctx.batch_size`` (this process's
    rows). Does nothing unless ``ctx.replicas`` is set.
    Guarantees: the same outputs, each now the row-weighted mean over all
    processes, computed by one ``all_reduce``.
    """
    if ctx.replicas is None:
        return graph
    names = _reduced_outputs(graph, ctx)
    if not names:
        return graph
    rows = float(ctx.batch_size or 1)
    values = [SymbolicTensor(graph, graph.outputs[name]) for name in names]
    shapes = [graph.node(v.node_id).type.dims for v in values]
    with ops.layer_scope("all_reduce"):
        pieces = [ops.reshape(ops.multiply(v, rows), (-1,)) for v in values]
        weight = ops.graph_constant(graph, [rows], "float32")
        total = all_reduce(ops.concatenate([*pieces, weight], axis=0))
        size = sum(math.prod(shape) for shape in shapes)
        mean = ops.divide(total, ops.slice(total, (size,), (1,)))
        offset = 0
        for name, shape in zip(names, shapes, strict=True):
            count = math.prod(shape)
            piece = ops.reshape(ops.slice(mean, (offset,), (count,)), shape)
            offset += count
            role, key = graph.role_of(name)
            graph.set_output(name, piece.node_id, role, key)
    return graph
