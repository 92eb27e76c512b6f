"""``kgraph.viz``: one self-contained, well-formed HTML page that names
every node of the stage it shows; opened in headless Chromium when it is
installed."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess

import pytest

import kgraph as kg
from kgraph import layers as L
from kgraph import viz
from kgraph.dump import model_graph

VOID = {"meta", "input", "br", "img", "link", "hr", "col", "source"}
CHROMIUM = shutil.which("chromium")


class Checker(html.parser.HTMLParser):
    """Checks that every tag closes in order; collects text and ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def _attrs(self, tag, attrs):
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"])
        for key in ("src", "href"):
            if key in values and not str(values[key]).startswith("#"):
                self.external.append(f"{tag} {key}={values[key]}")

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _check(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == [], checker.stack
    assert page.startswith("<!DOCTYPE html>")
    assert checker.external == []  # nothing loaded from elsewhere
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    return checker


@pytest.fixture
def model():
    kg.utils.clear_session()
    x = kg.Input((6,), name="pixels")
    h = L.Dense(5, activation="relu")(x)
    h = L.Dropout(0.2)(h)
    model = kg.Model(x, L.Dense(3, activation="softmax")(h), name="tiny")
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("stage", ["forward", "train-step", "fuse", "differentiate"])
def test_page_is_well_formed_and_names_every_node(model, stage):
    page = viz.to_html(model, stage=stage, batch_size=4)
    checker = _check(page)
    graph = model_graph(model, stage, 4)
    text = "".join(checker.text)
    for node in graph.nodes():
        assert f"node-n{node.id}" in checker.ids
        title = f"%{node.id} {node.name if node.op == 'placeholder' else node.op}"
        assert title[:55] in text, title
    for name in graph.outputs:
        assert name[:55] in text


def test_fused_nodes_are_clusters_listing_their_body(model):
    page = viz.to_html(model, stage="train-step", batch_size=4)
    graph = model_graph(model, "train-step", 4)
    fused = [node for node in graph.nodes() if node.op == "fused"]
    assert fused
    for node in fused:
        group = re.search(rf'<g class="([^"]*)" id="node-n{node.id}"', page)
        assert group and "cluster" in group.group(1) and "kind-fused" in group.group(1)
    first = fused[0].attrs["body"][0][0]
    assert re.search(rf'class="entry-text"[^>]*>e0 = {first}\(', page)


def test_layers_stage_and_graph_files(model):
    checker = _check(viz.to_html(model, stage="layers"))
    text = "".join(checker.text)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in text
    graph = model_graph(model, "forward")
    _check(viz.to_html(graph))
    with pytest.raises(ValueError, match="text"):
        viz.to_html(model, stage="asm")
    with pytest.raises(ValueError, match="unknown stage"):
        viz.to_html(model, stage="nonsense")


def test_details_data_is_embedded(model):
    page = viz.to_html(model, stage="forward")
    assert '<script type="application/json" id="kg-data">' in page
    assert '"op": "matmul"' in page and '"layer": "dense"' in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_headless_chromium_renders_and_selects(model, tmp_path):
    page = tmp_path / "graph.html"
    viz.write_html(model, page, stage="train-step", batch_size=4)
    shot = tmp_path / "shot.png"
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,800",
    ]
    subprocess.run(
        [*common, f"--screenshot={shot}", f"file://{page}"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    # The address selects node %5: the script fills the details panel.
    dom = subprocess.run(
        [*common, "--dump-dom", f"file://{page}#%255"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert 'id="kg-node-title">%5 ' in dom
    assert "<dt>op</dt>" in dom and "selected" in dom


def test_a_loop_lists_its_body_graph():
    model = kg.Sequential([kg.Input((6, 3)), L.LSTM(4), L.Dense(1)])
    page = viz.to_html(model, stage="predict-step", batch_size=2)
    assert "scan(" in page and "return carry_0=" in page
