"""The layered layout: edges point down, boxes of a level never overlap,
edge polylines start and end on their boxes; cycles are refused."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgraph.viz import layout as layout_module


@st.composite
def dags(draw):
    count = draw(st.integers(1, 14))
    nodes = [f"v{i}" for i in range(count)]
    sizes = {
        node: (draw(st.integers(20, 120)), draw(st.integers(16, 60))) for node in nodes
    }
    edges = []
    for target in range(1, count):
        for source in draw(st.lists(st.integers(0, target - 1), max_size=3)):
            edges.append((nodes[source], nodes[target]))
    return sizes, edges


@given(dags())
def test_layout_properties(graph):
    sizes, edges = graph
    result = layout_module.layout(sizes, edges)
    boxes = result.boxes
    assert set(boxes) == set(sizes)
    for source, target in edges:
        assert boxes[target].y >= boxes[source].y + boxes[source].height
    by_rank = {}
    for name, box in boxes.items():
        assert (box.width, box.height) == sizes[name]
        assert box.x - box.width / 2 >= 0 and box.x + box.width / 2 <= result.width
        assert box.y + box.height <= result.height
        by_rank.setdefault(box.rank, []).append(box)
    for level in by_rank.values():
        level.sort(key=lambda box: box.x)
        for left, right in itertools.pairwise(level):
            gap = (right.x - right.width / 2) - (left.x + left.width / 2)
            assert gap >= layout_module.H_GAP - 1e-6
    assert len(result.edges) == len(edges)
    for (source, target, points), edge in zip(result.edges, edges, strict=True):
        assert (source, target) == edge
        start, end = boxes[source], boxes[target]
        assert points[0] == (start.x, start.y + start.height)
        assert points[-1] == (end.x, end.y)
        assert len(points) == end.rank - start.rank + 1


def test_sources_sit_just_above_their_first_user():
    sizes = {name: (40, 20) for name in ("a", "b", "c", "d", "w")}
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("w", "d")]
    result = layout_module.layout(sizes, edges)
    assert result.boxes["w"].rank == result.boxes["d"].rank - 1


def test_parallel_edges_and_cycles():
    result = layout_module.layout({"x": (30, 20), "y": (30, 20)}, [("x", "y")] * 2)
    assert len(result.edges) == 2
    with pytest.raises(ValueError, match="cycle"):
        layout_module.layout({"x": (30, 20), "y": (30, 20)}, [("x", "y"), ("y", "x")])
    with pytest.raises(ValueError, match="does not have"):
        layout_module.layout({"x": (30, 20)}, [("x", "z")])
