"""The ``kgraph`` command line, run as a subprocess."""

import shutil
import subprocess
import sys

import pytest

from kgraph import ops
from kgraph.ir.graph import Graph


def _kgraph(*args):
    return subprocess.run(
        [sys.executable, "-m", "kgraph.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def graph_file(tmp_path):
    graph = Graph(name="saved")
    x = ops.placeholder(graph, "x", (None, 3))
    graph.set_output("y", ops.relu(x).node_id)
    path = tmp_path / "graph.json"
    path.write_text(graph.to_json())
    return path, graph


def test_dump_text(graph_file):
    path, graph = graph_file
    result = _kgraph("dump", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == graph.format()


def test_dump_dot_and_json(graph_file, tmp_path):
    path, graph = graph_file
    assert _kgraph("dump", str(path), "--format", "dot").stdout.startswith("digraph")
    out = tmp_path / "again.json"
    assert (
        _kgraph("dump", str(path), "--format", "json", "-o", str(out)).returncode == 0
    )
    assert Graph.from_json(out.read_text()) == graph


def test_dump_svg_or_clear_message(graph_file):
    path, _ = graph_file
    result = _kgraph("dump", str(path), "--format", "svg")
    if shutil.which("dot"):
        assert result.returncode == 0 and "<svg" in result.stdout
    else:
        assert result.returncode != 0 and "Graphviz" in result.stderr


def test_bad_files(tmp_path):
    missing = _kgraph("dump", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2")
    result = _kgraph("dump", str(junk))
    assert result.returncode != 0 and "not a kgraph graph file" in result.stderr


def test_help():
    result = _kgraph("dump", "--help")
    assert result.returncode == 0 and "--format" in result.stdout
