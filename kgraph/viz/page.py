"""One self-contained HTML page showing a graph: inline CSS, JavaScript
and SVG, no network and no server.

The layout is computed in Python (``layout.py``); the page only pans,
zooms, searches and shows a node's details when it is clicked.
"""

from __future__ import annotations

import html
import json
from typing import Any

from kgraph.viz import assets
from kgraph.viz import layout as layout_module
from kgraph.viz.view import View
from kgraph.viz.view import ViewNode

TITLE_HEIGHT = 22.0
LINE_HEIGHT = 16.0
BODY_LINE = 17.0
PADDING = 10.0
TITLE_CHAR = 7.8
LINE_CHAR = 7.2
BODY_CHAR = 6.7
MAX_CHARS = 56

# Box fill and border per node kind.
COLORS: dict[str, tuple[str, str]] = {
    "input-data": ("#fdf1d6", "#c99a2e"),
    "input-target": ("#fbe7d3", "#c4793a"),
    "input-sample_weight": ("#f6efe2", "#a89066"),
    "input-parameter": ("#e3f4e1", "#4f9a4a"),
    "input-slot": ("#efe3f7", "#8b5fb0"),
    "input-scalar": ("#eeeeee", "#8a8a8a"),
    "constant": ("#f3f3f3", "#9a9a9a"),
    "elementwise": ("#eef3fb", "#6b8cc7"),
    "matmul": ("#d9e6fb", "#2f62c0"),
    "reduce": ("#fde4e1", "#c0574a"),
    "shape": ("#f4f0e4", "#9b8a5a"),
    "gather": ("#e6f5f5", "#3c9696"),
    "random": ("#fff2dc", "#d08a1f"),
    "source": ("#f3f3f3", "#9a9a9a"),
    "fused": ("#f5f1ff", "#7a5cc4"),
    "output": ("#e3f4e1", "#2e7d32"),
    "layer": ("#ffffff", "#222222"),
    "op": ("#eef3fb", "#6b8cc7"),
}


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def box_size(node: ViewNode) -> tuple[float, float]:
    """The width and height of a node's box, from its text."""
    width = len(_clip(node.title)) * TITLE_CHAR
    width = max([width] + [len(_clip(line)) * LINE_CHAR for line in node.lines])
    height = TITLE_HEIGHT + LINE_HEIGHT * len(node.lines) + PADDING
    if node.body:
        width = max([width] + [len(_clip(e)) * BODY_CHAR + 16 for e in node.body])
        height += PADDING / 2 + BODY_LINE * len(node.body) + PADDING / 2
    return max(width + 2 * PADDING, 60.0), height


def _node_svg(node: ViewNode, box: Any) -> str:
    fill, stroke = COLORS.get(node.kind, COLORS["op"])
    left, top = box.x - box.width / 2, box.y
    classes = f"node kind-{html.escape(node.kind)}" + (" cluster" if node.body else "")
    dash = ' stroke-dasharray="6 3"' if node.body else ""
    parts = [
        f'<g class="{classes}" id="node-{html.escape(node.id)}" '
        f'data-id="{html.escape(node.id)}" tabindex="0">',
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{box.width:.1f}" '
        f'height="{box.height:.1f}" rx="{14 if node.kind == "output" else 6}" '
        f'fill="{fill}" stroke="{stroke}"{dash}></rect>',
        f'<text class="title" x="{box.x:.1f}" y="{top + 16:.1f}">'
        f"{html.escape(_clip(node.title))}</text>",
    ]
    y = top + TITLE_HEIGHT
    for line in node.lines:
        y += LINE_HEIGHT
        parts.append(
            f'<text class="line" x="{box.x:.1f}" y="{y - 4:.1f}">'
            f"{html.escape(_clip(line))}</text>"
        )
    if node.body:
        parts.append(_body_svg(node, box, y + PADDING / 2))
    parts.append("</g>")
    return "".join(parts)


def _body_svg(node: ViewNode, box: Any, top: float) -> str:
    """The entries of a fused node, each in its own small box inside."""
    parts = []
    left = box.x - box.width / 2 + 8
    for index, entry in enumerate(node.body):
        y = top + index * BODY_LINE
        parts.append(
            f'<rect class="entry" x="{left:.1f}" y="{y:.1f}" '
            f'width="{box.width - 16:.1f}" height="{BODY_LINE - 3:.1f}" rx="3"></rect>'
            f'<text class="entry-text" x="{left + 5:.1f}" y="{y + 10.5:.1f}">'
            f"{html.escape(_clip(entry))}</text>"
        )
    return "".join(parts)


def _edge_path(points: list[tuple[float, float]]) -> str:
    """Smooth vertical curves through the polyline's points."""
    (x, y), rest = points[0], points[1:]
    path = [f"M{x:.1f},{y:.1f}"]
    for nx, ny in rest:
        middle = (y + ny) / 2
        path.append(f"C{x:.1f},{middle:.1f} {nx:.1f},{middle:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(path)


def render_svg(view: View) -> tuple[str, float, float]:
    """The graph as an SVG element; returns ``(svg, width, height)``."""
    sizes = {node.id: box_size(node) for node in view.nodes}
    result = layout_module.layout(sizes, [(s, t) for s, t, _ in view.edges])
    edges = []
    for (source, target, label), (_, _, points) in zip(
        view.edges, result.edges, strict=True
    ):
        edges.append(
            f'<path class="edge" data-src="{html.escape(source)}" '
            f'data-dst="{html.escape(target)}" d="{_edge_path(points)}" '
            'marker-end="url(#kg-arrow)"></path>'
        )
        if label:
            x, y = points[-1]
            edges.append(
                f'<text class="edge-label" x="{x + 4:.1f}" y="{y - 5:.1f}">'
                f"{html.escape(label)}</text>"
            )
    nodes = [_node_svg(node, result.boxes[node.id]) for node in view.nodes]
    svg = (
        f'<svg id="kg-svg" xmlns="http://www.w3.org/2000/svg" '
        f'data-width="{result.width:.0f}" data-height="{result.height:.0f}">'
        '<defs><marker id="kg-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#5b6472"></path></marker></defs>'
        '<g id="kg-viewport">'
        f'<g class="edges">{"".join(edges)}</g>'
        f'<g class="nodes">{"".join(nodes)}</g>'
        "</g></svg>"
    )
    return svg, result.width, result.height


def _legend(view: View) -> str:
    kinds = list(dict.fromkeys(node.kind for node in view.nodes))
    items = []
    for kind in kinds:
        fill, stroke = COLORS.get(kind, COLORS["op"])
        items.append(
            f'<span class="chip"><span class="swatch" style="background:{fill};'
            f'border-color:{stroke}"></span>{html.escape(kind)}</span>'
        )
    return "".join(items)


def _data(view: View) -> str:
    data = {
        node.id: {"title": node.title, "details": node.details, "body": node.body}
        for node in view.nodes
    }
    return json.dumps(data).replace("</", "<\\/")


def render(view: View) -> str:
    """The whole page for a view, as a string."""
    svg, _, _ = render_svg(view)
    title = html.escape(f"{view.title} — {view.subtitle}")
    counts = f"{len(view.nodes)} nodes, {len(view.edges)} edges"
    return assets.TEMPLATE.format(
        title=title,
        heading=html.escape(view.title),
        stage=html.escape(view.subtitle),
        counts=counts,
        legend=_legend(view),
        svg=svg,
        data=_data(view),
        style=assets.STYLE,
        script=assets.SCRIPT,
    )


def write(view: View, path: Any) -> None:
    """Writes the page for ``view`` to ``path`` (UTF-8)."""
    from pathlib import Path

    Path(path).write_text(render(view), encoding="utf-8")
