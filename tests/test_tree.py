"""kgraph.tree against keras.tree's documented behaviour (dicts here keep
their own order; Keras sorts keys, so the dicts below are built sorted)."""

from __future__ import annotations

import collections

import pytest

from kgraph import tree


def test_flatten_pack_and_paths_agree():
    structure = {"a": [1, (2, 3)], "b": 4}
    assert tree.flatten(structure) == [1, 2, 3, 4]
    assert tree.flatten_with_path(structure) == [
        (("a", 0), 1),
        (("a", 1, 0), 2),
        (("a", 1, 1), 3),
        (("b",), 4),
    ]
    assert tree.pack_sequence_as(structure, [5, 6, 7, 8]) == {"a": [5, (6, 7)], "b": 8}
    assert tree.flatten_with_path(5) == [((), 5)]


def test_is_nested():
    assert tree.is_nested([]) and tree.is_nested({}) and tree.is_nested((1,))
    assert not tree.is_nested(1) and not tree.is_nested("ab")


def test_map_structure_over_several_structures_and_none_leaves():
    assert tree.map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)]) == [11, (22,)]
    assert tree.map_structure(lambda a: 5, [None, 1]) == [5, 5]
    assert tree.map_structure(lambda a: 5, [None, 1], none_is_leaf=False) == [None, 5]
    with pytest.raises(ValueError):
        tree.map_structure(lambda a, b: a, [1, 2], [1, [2]])


def test_namedtuples_keep_their_type():
    Point = collections.namedtuple("Point", "x y")
    assert tree.map_structure(lambda v: v * 2, Point(1, 2)) == Point(2, 4)
    assert tree.lists_to_tuples([Point([1], 2)]) == (Point((1,), 2),)


def test_assert_same_structure_compares_types_lengths_and_keys():
    tree.assert_same_structure([1, (2,)], [3, (4,)])
    with pytest.raises(ValueError, match="instance of list"):
        tree.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError):
        tree.assert_same_structure([1, [2]], [1, 2])
    with pytest.raises(ValueError, match="key mismatch"):
        tree.assert_same_structure({"a": 1}, {"b": 1})


def test_assert_same_paths_ignores_sequence_types():
    tree.assert_same_paths([1, 2], (1, 2))
    tree.assert_same_paths({"a": [1]}, {"a": (2,)})
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})


def test_lists_to_tuples():
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))


def test_map_shape_structure_treats_shapes_as_leaves():
    result = tree.map_shape_structure(
        lambda s: ("S", s), [(2, 3), {"a": (None, 4)}, [1, 2]]
    )
    assert result == [("S", (2, 3)), {"a": ("S", (None, 4))}, ("S", [1, 2])]


def test_map_structure_up_to_stops_at_the_shallow_leaves():
    assert tree.map_structure_up_to([0, 0], str, [[1, 2], {"a": 3}]) == [
        "[1, 2]",
        "{'a': 3}",
    ]
    assert tree.map_structure_up_to(
        {"a": 0, "b": 0}, lambda x, y: (x, y), {"a": [1], "b": 2}, {"a": 3, "b": 4}
    ) == {"a": ([1], 3), "b": (2, 4)}
    with pytest.raises(ValueError):
        tree.map_structure_up_to([0, 0], str, [1])


def test_traverse_top_down_and_bottom_up():
    double = lambda x: x * 2 if isinstance(x, int) else None  # noqa: E731
    assert tree.traverse(double, [1, (2, 3)]) == [2, (4, 6)]
    assert tree.traverse(double, [1, (2, 3)], top_down=False) == [2, (4, 6)]
    to_none = lambda x: tree.MAP_TO_NONE if isinstance(x, tuple) else None  # noqa: E731
    assert tree.traverse(to_none, [1, (2, 3)]) == [1, None]
    summed = lambda x: sum(x) if isinstance(x, tuple) else None  # noqa: E731
    assert tree.traverse(summed, [1, (2, 3)], top_down=False) == [1, 5]
