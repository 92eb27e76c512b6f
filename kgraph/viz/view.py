"""What the HTML page draws: boxes with a title and lines of text, edges,
and the details shown when a box is clicked; made from a compiler graph
(``ir.Graph``) or from a model's layer graph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from kgraph.ir import printer
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node


@dataclass
class ViewNode:
    """One box: ``title`` (bold), ``lines`` below it, ``body`` (the entries
    of a fused node, drawn inside it as a cluster), ``kind`` (its colour)
    and ``details`` (shown on click)."""

    id: str
    title: str
    lines: list[str] = field(default_factory=list)
    kind: str = "op"
    body: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class View:
    """A graph to draw: nodes in order, edges ``(source, target, label)``."""

    title: str
    subtitle: str
    nodes: list[ViewNode]
    edges: list[tuple[str, str, str]]


# -- compiler graphs ------------------------------------------------------------


def _kind(node: Node) -> str:
    from kgraph.ops import registry

    if node.op == "placeholder":
        return f"input-{node.role}"
    if node.op in ("constant", "fused"):
        return node.op
    try:
        return registry.get(node.op).kind
    except (KeyError, ValueError):
        return "op"


def _title(node: Node) -> str:
    if node.op == "placeholder":
        return f"%{node.id} {node.name}"
    return f"%{node.id} {node.op}"


def format_body_entry(index: int, entry: Any) -> str:
    """``e1 = add(e0, in2) {axis=1}``: a fused body entry, operands named
    ``in<k>`` (the fused node's operand k) and ``e<j>`` (entry j)."""
    op, refs, attrs = entry
    names = ", ".join(f"in{r}" if r >= 0 else f"e{-r - 1}" for r in refs)
    text = f"e{index} = {op}({names})"
    if attrs:
        shown = ", ".join(f"{k}={printer.format_value(v)}" for k, v in attrs)
        text += f" {{{shown}}}"
    return text


def _details(node: Node, graph: Graph) -> dict[str, str]:
    details = {
        "node": f"%{node.id}",
        "op": node.op,
        "type": str(node.type),
        "shape": str(node.type.shape),
        "dtype": node.type.dtype,
        "layer": node.layer or "-",
        "operands": ", ".join(f"%{i}" for i in node.inputs) or "-",
        "users": ", ".join(f"%{i}" for i in graph.users(node.id)) or "-",
        "text": printer.format_node(node),
    }
    for key, value in sorted(node.attrs.items()):
        if key == "body":
            continue
        details[f"attr {key}"] = printer.format_value(value)
    return details


def _lines(node: Node) -> list[str]:
    lines = [str(node.type)]
    if node.op == "placeholder":
        lines.append(f"{node.role}")
    elif node.op == "constant":
        lines.append(printer.format_value(node.attrs.get("value")))
    if node.layer:
        lines.append(f"# {node.layer}")
    return lines


def from_graph(graph: Graph, title: str, subtitle: str) -> View:
    """The view of a compiler graph: one box per node (a fused node's
    entries and a loop's body graph listed inside it), an oval per named
    output, an edge per operand (labelled with its index when the node
    has several)."""
    nodes = []
    edges = []
    for node in graph.nodes():
        body = []
        if node.op == "fused":
            body = [format_body_entry(i, e) for i, e in enumerate(node.attrs["body"])]
        elif isinstance(node.attrs.get("body"), Graph):
            # A loop's body graph (``scan``), listed inside its box.
            body = printer.format_graph(node.attrs["body"]).splitlines()
        nodes.append(
            ViewNode(
                id=f"n{node.id}",
                title=_title(node),
                lines=_lines(node),
                kind=_kind(node),
                body=body,
                details=_details(node, graph),
            )
        )
        for index, operand in enumerate(node.inputs):
            label = str(index) if len(node.inputs) > 1 else ""
            edges.append((f"n{operand}", f"n{node.id}", label))
    for index, (name, node_id) in enumerate(graph.outputs.items()):
        nodes.append(
            ViewNode(
                id=f"out{index}",
                title=name,
                lines=[str(graph.node(node_id).type)],
                kind="output",
                details={"output": name, "node": f"%{node_id}"},
            )
        )
        edges.append((f"n{node_id}", f"out{index}", ""))
    return View(title, subtitle, nodes, edges)


# -- layer graphs -----------------------------------------------------------------


def from_model_layers(model: Any) -> View:
    """The view of a model's layer graph: one box per layer."""
    from kgraph.utils import layer_graph

    layers = {layer.name: layer for layer in _all_layers(model)}
    nodes = []
    edges = []
    for node in layer_graph.layer_graph(model):
        lines = [
            f"in: {node.shapes_text('input')}",
            f"out: {node.shapes_text('output')}",
        ]
        if node.params:
            lines.append(f"params: {node.params:,}")
        details = {
            "layer": node.name,
            "class": node.class_name,
            "input shape": node.shapes_text("input"),
            "output shape": node.shapes_text("output"),
            "dtype": node.dtype,
            "params": f"{node.params:,}",
            "trainable": str(node.trainable),
            "takes from": ", ".join(node.inputs) or "-",
            "config": _config_text(layers.get(node.name)),
        }
        kind = "input-data" if node.class_name == "InputLayer" else "layer"
        nodes.append(
            ViewNode(
                node.name, f"{node.name} ({node.class_name})", lines, kind, [], details
            )
        )
        for source in node.inputs:
            edges.append((source, node.name, ""))
    return View(model.name, "layers", nodes, edges)


def _all_layers(model: Any) -> list[Any]:
    layers = list(model.layers)
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        layers.append(input_layer)
    return layers


def _config_text(layer: Any) -> str:
    if layer is None:
        return "-"
    from kgraph.saving import serialization

    try:
        config = serialization.encode(layer.get_config(), layer.name)
    except ValueError:
        return "(not serializable)"
    return json.dumps(config, indent=1, sort_keys=True)
