"""``kg.dump``: a graph as text, DOT or JSON."""

from __future__ import annotations

from typing import Any

from kgraph.ir import printer
from kgraph.ir.graph import Graph

FORMATS = ("text", "dot", "json")


def dump(obj: Any, format: str = "text") -> str:
    """Returns a graph in one of the dump formats.

    Args:
        obj: a ``Graph`` (or an object with a ``graph`` attribute).
        format: ``"text"`` (the canonical one-line-per-node form), ``"dot"``
            (Graphviz) or ``"json"`` (round-trips through
            ``Graph.from_json``).

    Returns:
        The dump as a string.

    Raises:
        ValueError: for an unknown format or an object that is not a graph.

    Example:

    >>> from kgraph import ops
    >>> g = Graph()
    >>> _ = g.set_output("y", ops.exp(ops.placeholder(g, "x", (2,))).node_id)
    >>> print(dump(g))
    %0 = placeholder() {dtype="float32", name="x", role="data", shape=(2,)} : f32[2]
    %1 = exp(%0) : f32[2]
    return y=%1
    """
    graph = obj if isinstance(obj, Graph) else getattr(obj, "graph", None)
    if not isinstance(graph, Graph):
        raise ValueError(
            f"dump: expected a kgraph Graph. Received: {type(obj).__name__}"
        )
    if format == "text":
        return printer.format_graph(graph)
    if format == "dot":
        return printer.to_dot(graph)
    if format == "json":
        return graph.to_json(indent=1)
    raise ValueError(
        f"dump: format must be one of {FORMATS}. Received: format={format!r}"
    )
