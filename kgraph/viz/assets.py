"""The inline CSS, JavaScript and HTML skeleton of the ``kgraph viz`` page.

The script only pans, zooms, searches and fills the details panel from the
JSON data embedded in the page (selecting the node named in the address's
``#%12``); the layout is done in Python.
"""

STYLE = """
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

SCRIPT = """
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

TEMPLATE = """<!DOCTYPE html>
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
