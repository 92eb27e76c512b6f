"""One self-contained HTML page showing a graph: inline CSS, JavaScript
and SVG, no network and no server.

The layout is computed in Python (``layout.py``); the page only pans,
zooms, searches and shows a node's details when it is clicked.
"""

from __future__ import annotations

import html
import json
from typing import Any

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
    return _TEMPLATE.format(
        title=title,
        heading=html.escape(view.title),
        stage=html.escape(view.subtitle),
        counts=counts,
        legend=_legend(view),
        svg=svg,
        data=_data(view),
        style=_STYLE,
        script=_SCRIPT,
    )


def write(view: View, path: Any) -> None:
    """Writes the page for ``view`` to ``path`` (UTF-8)."""
    from pathlib import Path

    Path(path).write_text(render(view), encoding="utf-8")


_STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font-family: system-ui, -apple-system,
  "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2430; }
body { display: grid; grid-template-rows: auto 1fr; grid-template-columns: 1fr 340px;
  background: #f7f8fa; }
header { grid-column: 1 / 3; display: flex; align-items: center; gap: 16px;
  padding: 8px 14px; background: #1f2430; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header .stage { background: #3d4660; border-radius: 10px; padding: 2px 10px;
  font-size: 13px; }
header .counts { font-size: 12px; color: #b9c0d0; }
header input { margin-left: auto; padding: 4px 8px; border-radius: 4px;
  border: 1px solid #59627a; background: #2b3142; color: #fff; width: 200px; }
header button { padding: 4px 10px; border-radius: 4px; border: 1px solid #59627a;
  background: #2b3142; color: #fff; cursor: pointer; }
#kg-canvas { position: relative; overflow: hidden; cursor: grab; background:
  radial-gradient(#e3e6ec 1px, transparent 1px) 0 0 / 18px 18px; }
#kg-canvas.dragging { cursor: grabbing; }
#kg-svg { width: 100%; height: 100%; display: block; user-select: none; }
#kg-legend { position: absolute; left: 10px; bottom: 10px; background: #ffffffe6;
  border: 1px solid #d5d9e2; border-radius: 6px; padding: 6px 8px; font-size: 11px;
  max-width: 70%; }
.chip { display: inline-flex; align-items: center; gap: 4px; margin: 2px 8px 2px 0; }
.swatch { width: 12px; height: 12px; border: 1.5px solid; border-radius: 3px; }
aside { border-left: 1px solid #d5d9e2; background: #fff; overflow: auto;
  padding: 12px 14px; font-size: 13px; }
aside h2 { font-size: 14px; margin: 0 0 8px; font-family: "DejaVu Sans Mono",
  Menlo, Consolas, monospace; word-break: break-all; }
aside .hint { color: #6b7385; }
aside dl { margin: 0; display: grid; grid-template-columns: max-content 1fr;
  gap: 4px 10px; }
aside dt { color: #6b7385; }
aside dd { margin: 0; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; word-break: break-word; white-space: pre-wrap; }
aside a { color: #2f62c0; cursor: pointer; text-decoration: underline; }
aside ol { margin: 8px 0 0; padding-left: 22px; font-family: "DejaVu Sans Mono",
  Menlo, Consolas, monospace; font-size: 12px; }
.node rect { stroke-width: 1.4; }
.node { cursor: pointer; }
.node:hover rect:first-child { stroke-width: 2.4; }
.node.selected rect:first-child { stroke: #e8590c; stroke-width: 3; }
.node.dim { opacity: 0.35; }
.node text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  text-anchor: middle; fill: #1f2430; }
.node text.title { font-size: 13px; font-weight: 700; }
.node text.line { font-size: 12px; fill: #4a5163; }
.node.kind-layer rect:first-child { fill: #fff; }
.node .entry { fill: #ffffff; stroke: #b7a6e6; stroke-width: 1; }
.node text.entry-text { font-size: 11px; text-anchor: start; fill: #3c2f6b; }
.edge { fill: none; stroke: #8a93a6; stroke-width: 1.3; }
.edge.hot { stroke: #e8590c; stroke-width: 2.4; }
.edge-label { font-size: 10px; fill: #6b7385; font-family: monospace; }
"""

_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('kg-data').textContent);
  var svg = document.getElementById('kg-svg');
  var viewport = document.getElementById('kg-viewport');
  var canvas = document.getElementById('kg-canvas');
  var details = document.getElementById('kg-details');
  var heading = document.getElementById('kg-node-title');
  var width = +svg.dataset.width, height = +svg.dataset.height;
  var state = {x: 0, y: 0, k: 1};
  function apply() {
    viewport.setAttribute('transform',
      'translate(' + state.x + ',' + state.y + ') scale(' + state.k + ')');
  }
  function fit(readable) {
    var box = canvas.getBoundingClientRect();
    state.k = Math.min(1.2, box.width / width, box.height / height);
    if (!isFinite(state.k) || state.k <= 0) { state.k = 1; }
    if (readable && state.k < 0.6) {
      // A big graph opens at a readable scale, its top centred; Fit shows all.
      state.k = Math.min(0.6, Math.max(state.k, box.width / width));
    }
    state.x = (box.width - width * state.k) / 2;
    state.y = Math.max(0, (box.height - height * state.k) / 2);
    apply();
  }
  function centre(id) {
    var node = document.getElementById('node-' + id);
    if (!node) { return; }
    var r = node.getBBox(), box = canvas.getBoundingClientRect();
    state.k = Math.max(state.k, 0.8);
    state.x = box.width / 2 - (r.x + r.width / 2) * state.k;
    state.y = box.height / 3 - (r.y + r.height / 2) * state.k;
    apply();
  }
  function text(value) { return document.createTextNode(value); }
  function linked(value) {
    var span = document.createElement('span');
    String(value).split(/(%\\d+)/).forEach(function (part) {
      if (/^%\\d+$/.test(part) && data['n' + part.slice(1)]) {
        var a = document.createElement('a');
        a.textContent = part;
        a.onclick = function () { select('n' + part.slice(1), true); };
        span.appendChild(a);
      } else { span.appendChild(text(part)); }
    });
    return span;
  }
  function select(id, move) {
    var item = data[id];
    if (!item) { return; }
    document.querySelectorAll('.node.selected').forEach(function (n) {
      n.classList.remove('selected'); });
    document.querySelectorAll('.edge.hot').forEach(function (e) {
      e.classList.remove('hot'); });
    var node = document.getElementById('node-' + id);
    if (node) { node.classList.add('selected'); }
    document.querySelectorAll('.edge').forEach(function (e) {
      if (e.dataset.src === id || e.dataset.dst === id) { e.classList.add('hot'); }
    });
    heading.textContent = item.title;
    details.innerHTML = '';
    Object.keys(item.details).forEach(function (key) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = key;
      dd.appendChild(linked(item.details[key]));
      details.appendChild(dt); details.appendChild(dd);
    });
    if (item.body && item.body.length) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      var ol = document.createElement('ol');
      ol.start = 0;
      item.body.forEach(function (entry) {
        var li = document.createElement('li');
        li.textContent = entry; ol.appendChild(li);
      });
      dt.textContent = 'fused body'; dd.appendChild(ol);
      details.appendChild(dt); details.appendChild(dd);
    }
    if (move) { centre(id); }
  }
  document.querySelectorAll('.node').forEach(function (node) {
    node.addEventListener('click', function (event) {
      event.stopPropagation(); select(node.dataset.id, false); });
    node.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') { select(node.dataset.id, false); } });
  });
  var drag = null;
  canvas.addEventListener('mousedown', function (event) {
    drag = {x: event.clientX - state.x, y: event.clientY - state.y};
    canvas.classList.add('dragging');
  });
  window.addEventListener('mousemove', function (event) {
    if (!drag) { return; }
    state.x = event.clientX - drag.x; state.y = event.clientY - drag.y; apply();
  });
  window.addEventListener('mouseup', function () {
    drag = null; canvas.classList.remove('dragging'); });
  canvas.addEventListener('wheel', function (event) {
    event.preventDefault();
    var box = canvas.getBoundingClientRect();
    var mx = event.clientX - box.left, my = event.clientY - box.top;
    var factor = Math.exp(-event.deltaY * 0.0015);
    var k = Math.min(8, Math.max(0.05, state.k * factor));
    state.x = mx - (mx - state.x) * (k / state.k);
    state.y = my - (my - state.y) * (k / state.k);
    state.k = k; apply();
  }, {passive: false});
  document.getElementById('kg-fit').onclick = function () { fit(false); };
  document.getElementById('kg-search').addEventListener('keydown', function (event) {
    if (event.key !== 'Enter') { return; }
    var query = event.target.value.toLowerCase();
    var found = Object.keys(data).filter(function (id) {
      return data[id].title.toLowerCase().indexOf(query) >= 0; });
    document.querySelectorAll('.node').forEach(function (node) {
      node.classList.toggle('dim', query !== '' && found.indexOf(node.dataset.id) < 0);
    });
    if (found.length) { select(found[0], true); }
  });
  fit(true);
  var wanted = decodeURIComponent(window.location.hash.slice(1));
  if (wanted) { select(data[wanted] ? wanted : 'n' + wanted.replace('%', ''), true); }
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{style}</style>
</head>
<body>
<header>
<h1>{heading}</h1>
<span class="stage">{stage}</span>
<span class="counts">{counts}</span>
<input id="kg-search" type="search" placeholder="find node (Enter)">
<button id="kg-fit" type="button">Fit</button>
</header>
<main id="kg-canvas">
{svg}
<div id="kg-legend">{legend}</div>
</main>
<aside>
<h2 id="kg-node-title">Details</h2>
<p class="hint">Click a node to see its attributes. Drag to pan, scroll to zoom;
Enter in the search box finds nodes by name or op. The page address may end
in <code>#%12</code> to open with node %12 selected.</p>
<dl id="kg-details"></dl>
</aside>
<script type="application/json" id="kg-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
