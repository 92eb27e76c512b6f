"""Text and DOT forms of a graph, for dumps, error messages and golden tests.

The text form has one line per node in topological order::

    %7 = matmul(%3, %5) : f32[32,128]
    %8 = sum(%7) {axis=(1,), keepdims=false} : f32[32]
    return loss=%8 (loss), new:w=%9 (update w)

Outputs that are predictions print as ``name=%id``; the others add their
role, and their key when it is not the name.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node

# Constants larger than this are printed by shape only.
_MAX_PRINTED_ELEMENTS = 8


def format_value(value: Any) -> str:
    """Formats an attribute value deterministically (a graph by its name; the
    graph's text follows its node's line in ``format_graph``)."""
    if isinstance(value, Graph):
        return f"@{value.name}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, np.ndarray):
        if value.size > _MAX_PRINTED_ELEMENTS:
            return f"<{value.dtype.name}{list(value.shape)}>"
        return np.array2string(value, separator=", ").replace("\n", "")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_node(node: Node) -> str:
    """Returns the node's line: ``%7 = op(%3, %5) {attrs} : type``."""
    operands = ", ".join(f"%{i}" for i in node.inputs)
    text = f"%{node.id} = {node.op}({operands})"
    if node.attrs:
        items = ", ".join(
            f"{key}={format_value(value)}" for key, value in sorted(node.attrs.items())
        )
        text += f" {{{items}}}"
    text += f" : {node.type}"
    if node.layer:
        text += f"  # {node.layer}"
    return text


def format_graph(graph: Graph) -> str:
    """Returns the whole graph as text, ending with its ``return`` line.

    A node with a graph attribute (a loop's body) is followed by that graph,
    indented, the first time the graph appears.
    """
    lines = []
    printed: list[Graph] = []
    for node in graph.nodes():
        lines.append(format_node(node))
        for key, value in sorted(node.attrs.items()):
            if isinstance(value, Graph) and not any(value is g for g in printed):
                printed.append(value)
                body = format_graph(value).replace("\n", "\n    ")
                lines.append(f"  {key} @{value.name} {{\n    {body}\n  }}")
    outputs = ", ".join(
        f"{name}=%{i}{_role_text(graph, name)}" for name, i in graph.outputs.items()
    )
    lines.append(f"return {outputs}")
    return "\n".join(lines)


def _role_text(graph: Graph, name: str) -> str:
    role, key = graph.role_of(name)
    if role == "prediction":
        return ""
    return f" ({role})" if key == name else f" ({role} {key})"


def _dot_label(node: Node) -> str:
    head = node.op
    if node.op == "placeholder":
        head = f"{node.name} ({node.role})"
    elif node.op == "constant":
        head = f"constant {format_value(node.attrs['value'])}"
    return f"%{node.id} {head}\\n{node.type}"


def to_dot(graph: Graph) -> str:
    """Returns the graph in Graphviz DOT, one box per node, edges by operand."""
    lines = [
        f"digraph {json.dumps(graph.name)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
        'fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes():
        label = _dot_label(node).replace('"', '\\"')
        color = ' fillcolor="#fdf1d6"' if node.op == "placeholder" else ""
        lines.append(f'  n{node.id} [label="{label}"{color}];')
        for index, operand in enumerate(node.inputs):
            lines.append(f'  n{operand} -> n{node.id} [label="{index}", fontsize=8];')
    for index, (name, node_id) in enumerate(graph.outputs.items()):
        out = f"out{index}"
        lines.append(
            f'  {out} [label={json.dumps(name)}, shape=ellipse, fillcolor="#e3f4e1"];'
        )
        lines.append(f"  n{node_id} -> {out};")
    lines.append("}")
    return "\n".join(lines)
