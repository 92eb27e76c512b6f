"""Nested structures of tensors: lists, tuples and dicts, as Keras's
``keras.tree`` handles them for layer calls and model inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(structure: Any) -> list[Any]:
    """Flattens nested lists, tuples and dicts.

    Dict values come in the dict's own (insertion) order, which every
    function here follows; Keras's ``tree`` sorts dict keys instead, so the
    two agree for dicts whose keys were inserted in sorted order.

    Args:
        structure: a leaf, or lists, tuples and dicts of them.

    Returns:
        The leaves, in order.

    Example:

    >>> flatten([1, (2, {"a": 3})])
    [1, 2, 3]
    """
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(
    func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True
) -> Any:
    """Applies ``func`` to every leaf, keeping lists, tuples and dicts.

    Args:
        func: the function of one leaf (of one leaf per structure).
        *structures: one structure, or several of the same structure whose
            leaves ``func`` takes together.
        none_is_leaf: ``func`` sees ``None`` leaves too (else they stay
            ``None``).

    Returns:
        The (first) structure with ``func(leaf, ...)`` for every leaf.

    Raises:
        ValueError: for no structure, or structures that differ.

    Example:

    >>> map_structure(lambda x: x * 2, {"a": [1, 2]})
    {'a': [2, 4]}
    >>> map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)])
    [11, (22,)]
    """
    if not structures:
        raise ValueError("Must provide at least one structure. Received: none")
    first = structures[0]
    if len(structures) == 1 and none_is_leaf:
        return _map_one(func, first)
    for other in structures[1:]:
        assert_same_structure(first, other)
    leaves = [flatten(s) for s in structures]
    results = [
        None if not none_is_leaf and group[0] is None else func(*group)
        for group in zip(*leaves, strict=True)
    ]
    return pack_sequence_as(first, results)


def _map_one(fn: Callable[[Any], Any], structure: Any) -> Any:
    if isinstance(structure, dict):
        return {key: _map_one(fn, value) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        return _rebuild(structure, [_map_one(fn, item) for item in structure])
    return fn(structure)


def _rebuild(sequence: Any, items: list[Any]) -> Any:
    """A list or tuple (or namedtuple) of ``sequence``'s type holding ``items``."""
    if isinstance(sequence, tuple) and hasattr(sequence, "_fields"):
        return type(sequence)(*items)
    return type(sequence)(items)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Puts leaves back into a structure's shape: the inverse of ``flatten``.

    Args:
        structure: a leaf, or lists, tuples and dicts of them.
        flat_sequence: as many leaves as ``structure`` has, in ``flatten``'s
            order.

    Returns:
        The structure with its leaves replaced, in order.

    Raises:
        ValueError: when the counts differ.

    Example:

    >>> pack_sequence_as([0, (0, {"a": 0})], [1, 2, 3])
    [1, (2, {'a': 3})]
    """
    flat = list(flat_sequence)
    leaves = iter(flat)
    count = len(flatten(structure))
    if count != len(flat):
        raise ValueError(
            f"The structure has {count} leaves but {len(flat)} were "
            f"given. Received: structure={structure!r}"
        )
    return _map_one(lambda _: next(leaves), structure)


class MAP_TO_NONE:
    """Returned by ``traverse``'s function to replace a subtree with ``None``
    (returning ``None`` itself means "keep going")."""


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple or dict (not a leaf).

    Example:

    >>> is_nested([1]), is_nested({}), is_nested("ab")
    (True, True, False)
    """
    return isinstance(structure, list | tuple | dict)


def _children(structure: Any) -> list[tuple[Any, Any]]:
    """``(key, child)`` pairs in ``flatten``'s order."""
    if isinstance(structure, dict):
        return list(structure.items())
    return list(enumerate(structure))


def flatten_with_path(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """Flattens a structure into ``(path, leaf)`` pairs, in ``flatten``'s
    order; a path holds the dict keys and sequence indices down to its leaf.

    Example:

    >>> flatten_with_path({"a": [1, 2], "b": 3})
    [(('a', 0), 1), (('a', 1), 2), (('b',), 3)]
    """
    if not is_nested(structure):
        return [((), structure)]
    return [
        ((key, *path), leaf)
        for key, child in _children(structure)
        for path, leaf in flatten_with_path(child)
    ]


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Asserts that two structures nest the same way: the same kinds of
    containers, lengths and dict keys (the leaves may differ).

    Args:
        a: a structure.
        b: another structure.
        check_types: deprecated in Keras (types are always compared).

    Raises:
        ValueError: naming the first difference.

    Example:

    >>> assert_same_structure([1, (2,)], [3, (4,)])
    >>> assert_same_structure([1, 2], (1, 2))
    Traceback (most recent call last):
    ...
    ValueError: Expected an instance of list, got (1, 2). Received: b=(1, 2)
    """
    del check_types
    _compare(a, b, b)


def _compare(a: Any, b: Any, whole: Any) -> None:
    if not is_nested(a):
        if is_nested(b):
            raise ValueError(
                f"Expected a leaf, got a {type(b).__name__}. Received: b={whole!r}"
            )
        return
    if type(a) is not type(b):
        raise ValueError(
            f"Expected an instance of {type(a).__name__}, got {b!r}. "
            f"Received: b={whole!r}"
        )
    if isinstance(a, dict) and set(a) != set(b):
        raise ValueError(
            f"dictionary key mismatch; expected key(s): {sorted(map(str, a))}, got "
            f"key(s): {sorted(map(str, b))}. Received: b={whole!r}"
        )
    if len(a) != len(b):
        raise ValueError(
            f"Expected a {type(a).__name__} of length {len(a)}, got length "
            f"{len(b)}. Received: b={whole!r}"
        )
    for key, child in _children(a):
        _compare(child, b[key], whole)


def assert_same_paths(a: Any, b: Any) -> None:
    """Asserts that two structures have the same leaf paths (kinds of
    sequences may differ: ``[1, 2]`` and ``(1, 2)`` pass).

    Raises:
        ValueError: listing the paths found in only one of them.

    Example:

    >>> assert_same_paths({"a": [1]}, {"a": (2,)})
    """
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(
            "`a` and `b` don't have the same paths.\n"
            f"Paths in `a` missing in `b`:\n{paths_a - paths_b}\n"
            f"Paths in `b` missing in `a`:\n{paths_b - paths_a}"
        )


def lists_to_tuples(structure: Any) -> Any:
    """Turns every list of a structure into a tuple.

    Example:

    >>> lists_to_tuples([1, [2, {"a": [3]}]])
    (1, (2, {'a': (3,)}))
    """
    if isinstance(structure, dict):
        return {key: lists_to_tuples(value) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        items = [lists_to_tuples(item) for item in structure]
        return (
            tuple(items) if isinstance(structure, list) else _rebuild(structure, items)
        )
    return structure


def _is_shape(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Applies ``func`` to every shape (a tuple or list of ints and ``None``)
    of a structure of shapes.

    Example:

    >>> map_shape_structure(len, [(2, 3), {"a": (None,)}])
    [2, {'a': 1}]
    """
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    if isinstance(structure, dict):
        return {k: map_shape_structure(func, v) for k, v in structure.items()}
    return _rebuild(structure, [map_shape_structure(func, item) for item in structure])


def map_structure_up_to(
    shallow_structure: Any, func: Callable[..., Any], *structures: Any
) -> Any:
    """Applies ``func`` to the subtrees of ``structures`` found at the
    leaves of ``shallow_structure`` (which they extend).

    Raises:
        ValueError: when a structure does not extend ``shallow_structure``.

    Example:

    >>> map_structure_up_to([0, 0], str, [[1, 2], {"a": 3}])
    ['[1, 2]', "{'a': 3}"]
    """
    if not is_nested(shallow_structure):
        return func(*structures)
    for structure in structures:
        if not is_nested(structure) or len(structure) != len(shallow_structure):
            raise ValueError(
                f"The structure does not extend the shallow structure "
                f"{shallow_structure!r}. Received: {structure!r}"
            )
    items = [
        map_structure_up_to(child, func, *(s[key] for s in structures))
        for key, child in _children(shallow_structure)
    ]
    if isinstance(shallow_structure, dict):
        return dict(zip(shallow_structure, items, strict=True))
    return _rebuild(shallow_structure, items)


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Visits every node of a structure (containers and leaves).

    Top down, ``func`` sees a node first: ``None`` means "go on into it",
    anything else replaces the node (``MAP_TO_NONE`` replaces it with
    ``None``). Bottom up, ``func`` sees each node after its children were
    traversed: ``None`` keeps the node, anything else replaces it.

    Example:

    >>> traverse(lambda x: x * 2 if isinstance(x, int) else None, [1, (2, 3)])
    [2, (4, 6)]
    >>> traverse(lambda x: sum(x) if isinstance(x, tuple) else None,
    ...          [1, (2, 3)], top_down=False)
    [1, 5]
    """

    def result(value: Any, node: Any) -> Any:
        if value is MAP_TO_NONE:
            return None
        return node if value is None else value

    def children(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: visit(v) for k, v in node.items()}
        return _rebuild(node, [visit(item) for item in node])

    def visit(node: Any) -> Any:
        if top_down:
            value = func(node)
            if value is not None:
                return result(value, node)
            return children(node) if is_nested(node) else node
        node = children(node) if is_nested(node) else node
        return result(func(node), node)

    return visit(structure)
