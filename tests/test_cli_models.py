"""The ``kgraph`` command on saved models, run as a subprocess: ``dump``
(any stage, any format), ``viz`` (one HTML page), ``summary``, ``--help``."""

from __future__ import annotations

import html.parser
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kgraph as kg
from kgraph import layers as L

DATA = Path(__file__).resolve().parent / "data"


def _kgraph(*args):
    return subprocess.run(
        [sys.executable, "-m", "kgraph.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    kg.utils.clear_session()
    model = kg.Sequential(
        [kg.Input((8,)), L.Dense(6, activation="relu"), L.Dropout(0.1), L.Dense(3)],
        name="cli_model",
    )
    model.compile("adam", "mse", backend="numpy")
    path = tmp_path_factory.mktemp("cli") / "model.kgraph"
    model.save(path)
    return path


def test_summary(saved):
    result = _kgraph("summary", saved)
    assert result.returncode == 0, result.stderr
    assert 'Model: "cli_model"' in result.stdout
    assert "dense (Dense)" in result.stdout and "Total params" in result.stdout


def test_dump_stages(saved, tmp_path):
    forward = _kgraph("dump", saved)
    assert forward.returncode == 0, forward.stderr
    assert forward.stdout.startswith("%0 = placeholder()")
    layers = _kgraph("dump", saved, "--stage", "layers")
    assert "dense_1 (Dense) <- dropout" in layers.stdout
    config = _kgraph("dump", saved, "--stage", "layers", "--format", "json")
    assert json.loads(config.stdout)["class_name"] == "Sequential"
    fused = _kgraph(
        "dump", saved, "--stage", "fuse", "--format", "dot", "--batch-size", "4"
    )
    assert fused.stdout.startswith("digraph") and "fused" in fused.stdout
    out = tmp_path / "step.json"
    step = _kgraph(
        "dump", saved, "--stage", "train-step", "--format", "json", "-o", out
    )
    assert step.returncode == 0 and kg.Graph.from_json(out.read_text()).outputs
    native = _kgraph("dump", saved, "--stage", "llvm-ir", "--batch-size", "4")
    assert native.returncode == 0, native.stderr
    assert "define" in native.stdout


def test_dump_svg_or_clear_message(saved):
    result = _kgraph("dump", saved, "--stage", "layers", "--format", "svg")
    if shutil.which("dot"):
        assert result.returncode == 0 and "<svg" in result.stdout
    else:
        assert result.returncode == 2 and "Graphviz" in result.stderr


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.depth += tag not in ("meta", "input")

    def handle_endtag(self, tag):
        self.depth -= 1

    def handle_data(self, data):
        self.text.append(data)


def test_viz_writes_one_page(saved, tmp_path):
    page = tmp_path / "graph.html"
    result = _kgraph("viz", saved, "-o", page, "--stage", "train-step")
    assert result.returncode == 0, result.stderr
    assert f"wrote {page}" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["graph.html"]
    tags = _Tags()
    tags.feed(page.read_text())
    assert tags.depth == 0
    assert "%0 input_layer" in "".join(tags.text)


def test_keras_file(tmp_path):
    pytest.importorskip("h5py")
    result = _kgraph(
        "viz",
        DATA / "keras_merge.keras",
        "-o",
        tmp_path / "k.html",
        "--stage",
        "layers",
    )
    assert result.returncode == 0, result.stderr
    assert "shared (Dense)" in (tmp_path / "k.html").read_text()


def test_errors_are_one_line(saved, tmp_path):
    junk = tmp_path / "junk.kgraph"
    junk.write_text("not a model")
    result = _kgraph("summary", junk)
    assert result.returncode == 2
    assert result.stderr.startswith("kgraph: ") and "Traceback" not in result.stderr
    missing = _kgraph("dump", tmp_path / "missing.kgraph")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    stage = _kgraph("dump", saved, "--stage", "nope")
    assert stage.returncode == 2 and "Valid stages" in stage.stderr


@pytest.mark.parametrize("command", [[], ["dump"], ["viz"], ["summary"]])
def test_help(command):
    result = _kgraph(*command, "--help")
    assert result.returncode == 0 and "usage: kgraph" in result.stdout
    if command == ["dump"]:
        assert "--stage" in result.stdout and "--format" in result.stdout


def test_readme_workflow_on_the_digits_example(tmp_path):
    """What the README shows: the example saves, the command inspects."""
    pytest.importorskip("sklearn")
    example = Path(__file__).resolve().parent.parent / "examples" / "digits_mlp.py"
    path = tmp_path / "digits.kgraph"
    trained = subprocess.run(
        [sys.executable, str(example), "--epochs", "1", "--save", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert f"saved the model to {path}" in trained.stdout
    summary = _kgraph("summary", path)
    assert "dense_2 (Dense)" in summary.stdout and "Optimizer params" in summary.stdout
    page = tmp_path / "graph.html"
    assert _kgraph("viz", path, "--stage", "train-step", "-o", page).returncode == 0
    assert "fused" in page.read_text()
