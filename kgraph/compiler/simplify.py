"""Clean-up passes: specialize scalar inputs, fold constants, simplify
``where`` on a known condition, fold zero padding into the convolution
or pooling that reads it, merge common subexpressions, drop dead code.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ir.graph import attr_key
from kgraph.ops import registry
from kgraph.ops.builder import conform

# Folding never materializes constants larger than this many elements.
_FOLD_LIMIT = 1 << 16


def specialize_inputs(graph: Graph, ctx: PassContext) -> Graph:
    """Turns the scalar inputs named in ``ctx.constants`` into constants.

    Requires: nothing. Guarantees: no placeholder named in ``ctx.constants``
    is left; its uses read a constant of the placeholder's dtype (so
    ``training`` becomes ``True`` or ``False`` and folding can remove the
    other branch).
    """
    for node in graph.placeholders():
        if node.input_name in ctx.constants:
            value = np.asarray(ctx.constants[node.input_name], dtype=node.type.dtype)
            graph.replace_node(node.id, op="constant", attrs={"value": value})
    return graph


def fold_constants(graph: Graph, ctx: PassContext) -> Graph:
    """Evaluates nodes whose operands are all constants.

    Requires: nothing. Guarantees: no computed node (other than random ones
    and ones with effects, such as ``all_reduce``) has only constant
    operands, unless its result would be large.
    """
    for node in graph.nodes():
        opdef = registry.get(node.op)
        skipped = opdef.kind in (registry.SOURCE, registry.RANDOM) or opdef.effects
        if skipped or not node.inputs:
            continue
        operands = [graph.node(i) for i in node.inputs]
        if any(o.op != "constant" for o in operands):
            continue
        if node.type.size is None or node.type.size > _FOLD_LIMIT:
            continue
        arrays = [o.attrs["value"] for o in operands]
        # NaN and infinities are values like any other, as when the
        # interpreter runs the op: no warnings while compiling.
        with np.errstate(all="ignore"):
            result = opdef.reference(arrays, node.attrs)
        value = conform(node.op, result, node.type)
        graph.replace_node(node.id, op="constant", inputs=(), attrs={"value": value})
    return graph


def simplify_where(graph: Graph, ctx: PassContext) -> Graph:
    """Replaces ``where`` on a constant condition by the branch it picks.

    Requires: nothing. Guarantees: no ``where`` whose condition is a constant
    that is all true or all false and whose chosen branch already has the
    result's type.
    """
    for node in graph.nodes():
        if node.op != "where":
            continue
        condition = graph.node(node.inputs[0])
        if condition.op != "constant":
            continue
        value = np.asarray(condition.attrs["value"])
        if value.all():
            chosen = node.inputs[1]
        elif not value.any():
            chosen = node.inputs[2]
        else:
            continue
        if graph.node(chosen).type == node.type:
            graph.replace_uses(node.id, chosen)
    return graph


# Ops that return their operand unchanged when the types agree.
_IDENTITY_WHEN_SAME_TYPE = (
    "reshape",
    "broadcast_to",
    "cast",
    "stop_gradient",
    "custom_gradient",
)


def remove_identities(graph: Graph, ctx: PassContext) -> Graph:
    """Bypasses reshapes, broadcasts and casts that change nothing, and
    transposes by the identity permutation.

    Requires: nothing. Guarantees: no such node has users left (dead code
    elimination then removes them). ``stop_gradient`` goes too, so run this
    only after autodiff.
    """
    for node in graph.nodes():
        if not node.inputs:
            continue
        operand = graph.node(node.inputs[0])
        same = node.op in _IDENTITY_WHEN_SAME_TYPE and operand.type == node.type
        if node.op == "transpose":
            same = tuple(node.attrs["axes"]) == tuple(range(node.type.rank))
        if same:
            graph.replace_uses(node.id, operand.id)
    return graph


def fold_broadcasts(graph: Graph, ctx: PassContext) -> Graph:
    """Lets elementwise users of ``broadcast_to`` read its operand instead.

    Elementwise ops broadcast their operands themselves; a user switches to
    the smaller operand when its result keeps its type (another operand has
    the full shape), so the broadcast copy is not made. Autodiff builds
    these (a loss's gradient broadcast back over the batch).

    Requires: autodiff is done (it reads ``broadcast_to`` for gradients).
    Guarantees: every value is unchanged; a broadcast whose users all moved
    is dead (dead code elimination removes it).
    """
    for node in graph.nodes():
        if node.op != "broadcast_to":
            continue
        source = node.inputs[0]
        for user_id in graph.users(node.id):
            user = graph.node(user_id)
            opdef = registry.get(user.op)
            if opdef.kind != registry.ELEMENTWISE:
                continue
            inputs = tuple(source if i == node.id else i for i in user.inputs)
            types = [graph.node(i).type for i in inputs]
            if opdef.infer(types, user.attrs) == user.type:
                graph.replace_node(user_id, inputs=inputs)
    return graph


def fold_padding(graph: Graph, ctx: PassContext) -> Graph:
    """Lets a convolution or max pooling read the operand of a zero ``pad``
    of its spatial axes, with the pad added to its own padding
    (``ZeroPadding2D`` before a ``"valid"`` layer, as Keras's ResNet50 and
    MobileNetV2 build them), so the padded copy is not made.

    A convolution's padding is zeros, so any zero pad folds. Max pooling
    ignores its padding, which equals zeros only for an operand that is
    never negative nor ``-0.0``: the output of ``relu`` (then every window
    still holding an input element gives the same maximum, bit for bit).
    Only pads whose every side stays within the (dilated) window's reach
    fold, the range "same" padding covers.

    Requires: shapes are inferred (``"same"`` padding made explicit).
    Guarantees: every value is unchanged; a pad whose users all moved is
    dead (dead code elimination removes it).
    """
    for node in graph.nodes():
        if node.op not in _PADDED or not node.inputs:
            continue
        source = graph.node(node.inputs[0])
        if source.op != "pad" or not _zero_edges(source):
            continue
        if node.op == "max_pool" and graph.node(source.inputs[0]).op != "relu":
            continue
        padding = _folded_padding(graph, node, source)
        if padding is not None:
            inputs = (source.inputs[0], *node.inputs[1:])
            graph.replace_node(
                node.id, inputs=inputs, attrs={**node.attrs, "padding": padding}
            )
    return graph


# Ops whose own padding a zero pad of their operand can join.
_PADDED = ("conv", "max_pool")


def _zero_edges(pad: Node) -> bool:
    """Whether a pad adds zeros around the spatial axes only."""
    low, high = pad.attrs["low"], pad.attrs["high"]
    if pad.attrs["value"] != 0.0 or any(pad.attrs["interior"]):
        return False
    return not (low[0] or high[0] or low[-1] or high[-1])


def _folded_padding(graph: Graph, node: Node, pad: Node) -> tuple | None:
    """The node's padding with its operand's pad added, or ``None`` when a
    side would reach past the window."""
    rank = len(pad.attrs["low"]) - 2
    if node.op == "conv":
        window = graph.node(node.inputs[1]).type.shape[:rank]
        dilation = node.attrs["dilation"]
    else:
        window, dilation = node.attrs["window"], (1,) * rank
    pairs = []
    for pads, extra_lo, extra_hi, k, d in zip(
        node.attrs["padding"],
        pad.attrs["low"][1:-1],
        pad.attrs["high"][1:-1],
        window,
        dilation,
        strict=True,
    ):
        if not isinstance(pads, tuple) or k is None:
            return None
        pair = (pads[0] + extra_lo, pads[1] + extra_hi)
        if max(pair) > (k - 1) * d:
            return None
        pairs.append(pair)
    return tuple(pairs)


def _key(graph: Graph, node_id: int) -> Hashable | None:
    node = graph.node(node_id)
    if node.op == "placeholder" or registry.get(node.op).effects:
        return None
    attrs = attr_key(node.attrs)
    dtype = node.type.dtype if node.op == "constant" else None
    return node.op, node.inputs, attrs, dtype


def eliminate_common_subexpressions(graph: Graph, ctx: PassContext) -> Graph:
    """Merges nodes with the same op, operands and attributes.

    Requires: nothing. Guarantees: no two nodes compute the same thing
    (constants with equal values and dtypes included).
    """
    seen: dict[Hashable, int] = {}
    for node_id in graph.topo_order():
        key = _key(graph, node_id)
        if key is None:
            continue
        if key in seen:
            graph.replace_uses(node_id, seen[key])
        else:
            seen[key] = node_id
    return graph


def eliminate_dead_code(graph: Graph, ctx: PassContext) -> Graph:
    """Removes every node the outputs do not need (inputs included).

    Requires: nothing. Guarantees: every node is an output or an ancestor of
    one, or has effects.
    """
    live = graph.ancestors(graph.outputs.values())
    effects = {n.id for n in graph.nodes() if registry.get(n.op).effects}
    live |= graph.ancestors(effects) if effects else set()
    dead = [node_id for node_id in graph.topo_order() if node_id not in live]
    graph.remove(dead)
    return graph


__all__ = [
    "eliminate_common_subexpressions",
    "eliminate_dead_code",
    "fold_constants",
    "fold_padding",
    "remove_identities",
    "simplify_where",
    "specialize_inputs",
]
