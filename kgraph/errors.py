"""Error types and helpers that format shapes for messages people can read."""

from __future__ import annotations

from collections.abc import Sequence


class KGraphError(Exception):
    """Base class of kgraph's own errors."""


class ShapeError(KGraphError, ValueError):
    """An op or layer received shapes it cannot work with."""


class DTypeError(KGraphError, TypeError):
    """An op or layer received a dtype it cannot work with."""


class GraphError(KGraphError, ValueError):
    """A graph is malformed (unknown op, bad operand, cycle, type mismatch)."""


class CompileError(KGraphError, RuntimeError):
    """A compiler pass failed; the message names the pass."""


def format_shape(shape: Sequence[int | None]) -> str:
    """Formats a shape the Keras way: ``(None, 784)``.

    Args:
        shape: a sequence of dimensions, ``None`` for an unknown one.

    Returns:
        The shape as a Python tuple literal.
    """
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"
