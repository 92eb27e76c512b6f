"""The reference semantics of a graph: each op's NumPy reference, in order.

A topological walk, one dict from node id to array, no tricks: it is the
oracle every other backend is compared with (``kgraph.backends.interpreter``
runs programs with it), and how ops whose operand is a graph (``scan``'s
body) compute their reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ir.types import TensorType
from kgraph.ops import registry
from kgraph.ops.builder import conform


def run(
    graph: Graph,
    feeds: Mapping[str, ArrayLike],
    outputs: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluates a graph's outputs.

    Args:
        graph: the graph.
        feeds: a value for every placeholder the outputs need, by name.
        outputs: the output names to compute (all by default).

    Returns:
        The computed outputs by name.

    Raises:
        GraphError: when a needed placeholder is not fed.
        ShapeError: when a fed value does not fit its placeholder's shape.
    """
    names = list(graph.outputs) if outputs is None else list(outputs)
    targets = [graph.outputs[name] for name in names]
    needed = graph.ancestors(targets)
    values: dict[int, np.ndarray] = {}
    for node_id in graph.topo_order():
        if node_id not in needed:
            continue
        node = graph.node(node_id)
        if node.op == "placeholder":
            values[node_id] = _feed(node.input_name, node.type, feeds)
            continue
        arrays = [values[i] for i in node.inputs]
        values[node_id] = _evaluate(graph, node, arrays)
    return {name: values[graph.outputs[name]] for name in names}


def _evaluate(graph: Graph, node: Node, arrays: list[np.ndarray]) -> np.ndarray:
    """Runs one node's reference, naming the node if the run-time shapes fail."""
    opdef = registry.get(node.op)
    try:
        # NaN and infinities are values like any other (as in the native
        # code): no floating-point warnings.
        with np.errstate(all="ignore"):
            result = opdef.reference(arrays, node.attrs)
    except errors.KGraphError:
        raise
    except (ValueError, IndexError) as error:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise errors.ShapeError(
            f"{node.op} failed at run time on operand shapes {shapes}: {error}. "
            f"Received: {graph.format_node(node.id)}"
        ) from None
    return conform(node.op, result, node.type)


def _feed(name: str, type_: TensorType, feeds: Mapping[str, ArrayLike]) -> np.ndarray:
    if name not in feeds:
        raise errors.GraphError(
            f"Input '{name}' ({type_}) was not fed. Received inputs: {sorted(feeds)}"
        )
    array = np.asarray(feeds[name], dtype=dtypes.to_numpy(type_.dtype))
    if not type_.accepts(array.shape):
        raise errors.ShapeError(
            f"Input '{name}' expects shape {type_} but was fed shape "
            f"{array.shape}. Received: shape={array.shape}"
        )
    return array
