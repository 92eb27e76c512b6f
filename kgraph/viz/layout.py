"""A layered (Sugiyama-style) layout of a directed acyclic graph, in Python.

1. Ranks: a node's rank is its topological depth (the longest path from a
   source), so every edge points downwards; sources then move down to just
   above their first user.
2. Edges that span several ranks get dummy nodes, one per rank crossed, so
   they bend around boxes instead of through them.
3. Order within ranks: barycenter sweeps, down then up, keeping the order
   with the fewest crossings seen.
4. Coordinates: boxes packed left to right, then pulled towards the mean
   position of their neighbours in alternating sweeps while keeping the
   order and a gap; ranks are stacked with their tallest box.

Pure Python, no Graphviz; fast enough for graphs of a few thousand nodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

H_GAP = 28.0
# Between two edges passing a level (dummy nodes), and an edge and a box.
DUMMY_GAP = 6.0
EDGE_GAP = 14.0
V_GAP = 46.0
MARGIN = 24.0
_SWEEPS = 12
_PLACEMENT_ROUNDS = 8


@dataclass
class Box:
    """A node's size in, position out (centre ``x``, top ``y``)."""

    width: float
    height: float
    x: float = 0.0
    y: float = 0.0
    rank: int = 0


@dataclass
class Layout:
    """Positions of the boxes and polylines of the edges."""

    boxes: dict[str, Box]
    edges: list[tuple[str, str, list[tuple[float, float]]]] = field(
        default_factory=list
    )
    width: float = 0.0
    height: float = 0.0


def topological_order(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]]
) -> list[str]:
    """Kahn's order, ties broken by the given node order.

    Raises:
        ValueError: when the edges form a cycle.
    """
    position = {node: index for index, node in enumerate(nodes)}
    indegree = dict.fromkeys(nodes, 0)
    successors: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        successors[source].append(target)
        indegree[target] += 1
    ready = sorted((n for n in nodes if indegree[n] == 0), key=position.__getitem__)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for target in successors[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
        ready.sort(key=position.__getitem__)
    if len(order) != len(nodes):
        raise ValueError(
            f"The graph has a cycle, so it cannot be laid out in layers. Received: "
            f"{len(nodes) - len(order)} nodes on cycles"
        )
    return order


def _ranks(order: list[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path ranks; then each source moves down to just above its
    first user, so inputs used late (parameters in an optimizer update)
    sit next to their use instead of pulling long edges from the top."""
    predecessors: dict[str, list[str]] = {node: [] for node in order}
    successors: dict[str, list[str]] = {node: [] for node in order}
    for source, target in edges:
        predecessors[target].append(source)
        successors[source].append(target)
    rank: dict[str, int] = {}
    for node in order:
        rank[node] = max((rank[p] + 1 for p in predecessors[node]), default=0)
    for node in order:
        if not predecessors[node] and successors[node]:
            rank[node] = min(rank[t] for t in successors[node]) - 1
    return rank


def _split_long_edges(
    rank: dict[str, int], edges: Sequence[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[tuple[str, str, int], list[str]]]:
    """Edges between adjacent ranks only; each long edge (by its index)
    maps to the dummy nodes it passes."""
    short: list[tuple[str, str]] = []
    chains: dict[tuple[str, str, int], list[str]] = {}
    for index, (source, target) in enumerate(edges):
        previous = source
        dummies = []
        for level in range(rank[source] + 1, rank[target]):
            dummy = f"\0dummy{index}:{level}"
            rank[dummy] = level
            dummies.append(dummy)
            short.append((previous, dummy))
            previous = dummy
        short.append((previous, target))
        chains[(source, target, index)] = dummies
    return short, chains


def _crossings(levels: list[list[str]], down: Mapping[str, list[str]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(levels):
        where = {node: index for index, node in enumerate(lower)}
        ends = [where[t] for node in upper for t in down.get(node, []) if t in where]
        # Count inversions (crossing pairs) with a simple merge count.
        total += _inversions(ends)
    return total


def _inversions(values: list[int]) -> int:
    if len(values) < 2:
        return 0
    middle = len(values) // 2
    left, right = values[:middle], values[middle:]
    count = _inversions(left) + _inversions(right)
    left.sort()
    right.sort()
    j = 0
    for value in left:
        while j < len(right) and right[j] < value:
            j += 1
        count += j
    return count


def _barycenters(
    level: list[str], fixed: list[str], neighbours: Mapping[str, list[str]]
) -> Callable[[str], float]:
    """The sort key of a level: the mean position of each node's neighbours
    in the fixed level (its own position when it has none there)."""
    where = {node: index for index, node in enumerate(fixed)}
    own = {node: index for index, node in enumerate(level)}
    keys = {}
    for node in level:
        positions = [where[n] for n in neighbours.get(node, []) if n in where]
        keys[node] = sum(positions) / len(positions) if positions else float(own[node])
    return keys.__getitem__


def _order(
    levels: list[list[str]], down: Mapping[str, list[str]], up: Mapping[str, list[str]]
) -> list[list[str]]:
    best = [list(level) for level in levels]
    best_count = _crossings(best, down)
    current = [list(level) for level in levels]
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        indices = (
            range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        )
        for i in indices:
            fixed = current[i - 1] if downward else current[i + 1]
            neighbours = up if downward else down
            current[i] = sorted(
                current[i], key=_barycenters(current[i], fixed, neighbours)
            )
        count = _crossings(current, down)
        if count < best_count:
            best, best_count = [list(level) for level in current], count
        if best_count == 0:
            break
    return best


def _gap(left: Box, right: Box) -> float:
    """The least distance between the centres of neighbours in a level."""
    dummies = (left.width == 0) + (right.width == 0)
    gap = (H_GAP, EDGE_GAP, DUMMY_GAP)[dummies]
    return (left.width + right.width) / 2 + gap


def _place_level(
    level: list[str], boxes: Mapping[str, Box], wanted: dict[str, float]
) -> None:
    """Moves a level's boxes towards ``wanted`` centres, keeping their
    order and the gaps between them."""
    if not level:
        return
    xs = [wanted.get(node, boxes[node].x) for node in level]
    for i in range(1, len(level)):
        least = xs[i - 1] + _gap(boxes[level[i - 1]], boxes[level[i]])
        xs[i] = max(xs[i], least)
    # Shift back left by the mean overshoot so the level stays centred on
    # what its neighbours want.
    overshoot = sum(x - wanted.get(n, x) for x, n in zip(xs, level, strict=True)) / len(
        xs
    )
    xs = [x - overshoot for x in xs]
    for i in range(len(level) - 2, -1, -1):
        most = xs[i + 1] - _gap(boxes[level[i]], boxes[level[i + 1]])
        xs[i] = min(xs[i], most)
    for node, x in zip(level, xs, strict=True):
        boxes[node].x = x


def _coordinates(
    levels: list[list[str]],
    boxes: dict[str, Box],
    down: Mapping[str, list[str]],
    up: Mapping[str, list[str]],
) -> None:
    for level in levels:
        for i, node in enumerate(level):
            boxes[node].x = (
                0.0
                if i == 0
                else boxes[level[i - 1]].x + _gap(boxes[level[i - 1]], boxes[node])
            )
    for round_index in range(_PLACEMENT_ROUNDS):
        downward = round_index % 2 == 0
        ordered = levels[1:] if downward else list(reversed(levels[:-1]))
        neighbours = up if downward else down
        for level in ordered:
            wanted = {}
            for node in level:
                xs = [boxes[n].x for n in neighbours.get(node, [])]
                if xs:
                    wanted[node] = sum(xs) / len(xs)
            _place_level(level, boxes, wanted)
    y = MARGIN
    for level in levels:
        height = max(boxes[node].height for node in level)
        for node in level:
            boxes[node].y = y + (height - boxes[node].height) / 2
        y += height + V_GAP


def layout(
    sizes: Mapping[str, tuple[float, float]], edges: Sequence[tuple[str, str]]
) -> Layout:
    """Lays out a DAG.

    Args:
        sizes: ``node id -> (width, height)``, in drawing order (ties in
            rank and order follow it).
        edges: ``(source, target)`` pairs between ids of ``sizes``.

    Returns:
        The ``Layout``: boxes of the real nodes (dummies dropped) and one
        polyline per edge, in the order of ``edges``, from the bottom of
        the source to the top of the target.

    Raises:
        ValueError: for an edge naming an unknown node, or a cycle.

    Example:

    >>> result = layout({"a": (40, 20), "b": (40, 20)}, [("a", "b")])
    >>> result.boxes["b"].y > result.boxes["a"].y
    True
    """
    nodes = list(sizes)
    for source, target in edges:
        if source not in sizes or target not in sizes:
            raise ValueError(
                f"An edge names a node the graph does not have. Received: "
                f"{source!r} -> {target!r}"
            )
    order = topological_order(nodes, edges)
    rank = _ranks(order, edges)
    short, chains = _split_long_edges(rank, edges)
    boxes = {node: Box(*sizes[node]) for node in nodes}
    for node in rank:
        if node not in boxes:
            boxes[node] = Box(0.0, 0.0)
        boxes[node].rank = rank[node]
    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    for source, target in short:
        down.setdefault(source, []).append(target)
        up.setdefault(target, []).append(source)
    levels: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for node in order + [n for n in rank if n not in sizes]:
        levels[rank[node]].append(node)
    levels = _order(levels, down, up)
    _coordinates(levels, boxes, down, up)
    return _finish(boxes, sizes, edges, chains)


def _finish(
    boxes: dict[str, Box],
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str]],
    chains: Mapping[tuple[str, str, int], list[str]],
) -> Layout:
    left = min((b.x - b.width / 2 for b in boxes.values()), default=0.0)
    for box in boxes.values():
        box.x += MARGIN - left
    polylines = []
    for index, (source, target) in enumerate(edges):
        start, end = boxes[source], boxes[target]
        points = [(start.x, start.y + start.height)]
        points += [(boxes[d].x, boxes[d].y) for d in chains[(source, target, index)]]
        points.append((end.x, end.y))
        polylines.append((source, target, points))
    real = {node: boxes[node] for node in sizes}
    width = max((b.x + b.width / 2 for b in real.values()), default=0.0) + MARGIN
    height = max((b.y + b.height for b in real.values()), default=0.0) + MARGIN
    return Layout(real, polylines, width, height)
