"""Nested structures of tensors: lists, tuples and dicts, as Keras's
``keras.tree`` handles them for layer calls and model inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(structure: Any) -> list[Any]:
    """Flattens nested lists, tuples and dicts (dict values in key order).

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


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Applies ``fn`` to every leaf, keeping lists, tuples and dicts.

    Args:
        fn: the function of one leaf.
        structure: a leaf, or lists, tuples and dicts of them.

    Returns:
        The same structure with ``fn(leaf)`` for every leaf.

    Example:

    >>> map_structure(lambda x: x * 2, {"a": [1, 2]})
    {'a': [2, 4]}
    """
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        return type(structure)(map_structure(fn, item) for item in structure)
    return fn(structure)


def pack_sequence_as(structure: Any, flat: Any) -> Any:
    """Puts leaves back into a structure's shape: the inverse of ``flatten``.

    Args:
        structure: a leaf, or lists, tuples and dicts of them.
        flat: as many leaves as ``structure`` has, in ``flatten``'s order.

    Returns:
        The structure with its leaves replaced, in order.

    Raises:
        ValueError: when the counts differ.

    Example:

    >>> pack_sequence_as([0, (0, {"a": 0})], [1, 2, 3])
    [1, (2, {'a': 3})]
    """
    leaves = iter(list(flat))
    count = len(flatten(structure))
    if count != len(list(flat)):
        raise ValueError(
            f"The structure has {count} leaves but {len(list(flat))} were "
            f"given. Received: structure={structure!r}"
        )
    return map_structure(lambda _: next(leaves), structure)
