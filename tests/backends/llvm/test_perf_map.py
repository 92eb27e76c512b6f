"""The perf map lists every function of loaded native code at its address."""

from __future__ import annotations

import os

import numpy as np

from kgraph import dtypes
from kgraph.backends.llvm import perf_map
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.testing import native


def _compiled():
    graph = Graph(name="tanh")
    x = sources.placeholder(graph, "x", (3, 5), dtypes.canonical(np.float32))
    y = builder.emit(graph, "tanh", [x.node_id], {})
    graph.set_output("y", builder.emit(graph, "exp", [y], {}))
    return native.compile_graph(graph)


def test_functions_are_listed_at_their_addresses():
    compiled = _compiled()
    library = compiled.library
    (body,) = library.objects[0]
    names = {name: exported for name, *_, exported in perf_map.functions(body)}
    step = compiled.layout.name
    assert names[step] is True
    kernels = [name for name, exported in names.items() if not exported]
    assert kernels and all(name.startswith(step) for name in kernels), names
    lines = perf_map.lines(body, library.engine.get_function_address)
    assert len(lines) == len(names)
    by_name = {line.split()[2]: line.split()[:2] for line in lines}
    start, size = by_name[f"kgraph:{step}"]
    assert int(start, 16) == library.address(step) and int(size, 16) > 0


def test_recording_appends_to_the_process_map(tmp_path, monkeypatch):
    compiled = _compiled()
    written = {}

    class Sink:
        def __init__(self, path):
            written["path"] = str(path)

        def open(self, mode):
            assert mode == "a"
            handle = (tmp_path / "map").open(mode)
            return handle

    monkeypatch.setattr(perf_map, "Path", Sink)
    (body,) = compiled.library.objects[0]
    perf_map.record([body], compiled.library.engine.get_function_address)
    assert written["path"] == f"/tmp/perf-{os.getpid()}.map"
    text = (tmp_path / "map").read_text()
    assert f"kgraph:{compiled.layout.name}\n" in text


def test_other_objects_list_nothing():
    assert list(perf_map.functions(b"not an ELF object")) == []
