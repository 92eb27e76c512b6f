"""``get_source_inputs``: the inputs a symbolic tensor was computed from."""

from __future__ import annotations

from typing import Any


def get_source_inputs(tensor: Any) -> list[Any]:
    """Returns the input tensors (``kgraph.Input``s) ``tensor`` depends on.

    Args:
        tensor: a symbolic tensor (``KerasTensor``).

    Returns:
        The source input tensors, each once, in the order the calls that
        made ``tensor`` take them; ``[tensor]`` for an input (or a tensor
        no call made).

    Example:

    >>> import kgraph
    >>> a, b = kgraph.Input((2,)), kgraph.Input((2,))
    >>> c = kgraph.layers.Add()([a, kgraph.layers.Dense(2)(b)])
    >>> get_source_inputs(c) == [a, b]
    True
    """
    found: list[Any] = []
    seen: set[int] = set()
    stack = [tensor]
    visited: set[int] = set()
    while stack:
        current = stack.pop()
        node = getattr(current, "node", None)
        parents = list(getattr(node, "input_tensors", None) or [])
        if not parents:
            if id(current) not in seen:
                seen.add(id(current))
                found.append(current)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.extend(reversed(parents))
    return found


__all__ = ["get_source_inputs"]
