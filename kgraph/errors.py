"""Error types and helpers that format shapes for messages people can read."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


class KGraphError(Exception):
    """Base class of kgraph's own errors."""


@dataclasses.dataclass(frozen=True)
class ErrorContext:
    """What an error's message already names: a loss or a metric.

    Wrappers that add a loss or metric name to an error check an error's
    ``context`` instead of parsing its message.

    Args:
        kind: ``"loss"`` or ``"metric"``.
        name: the loss's or metric's name.

    Example:

    >>> error = ShapeError("Loss 'mse': ...", context=ErrorContext("loss", "mse"))
    >>> error.context.kind, str(error)
    ('loss', "Loss 'mse': ...")
    """

    kind: str
    name: str


class ShapeError(KGraphError, ValueError):
    """An op or layer received shapes it cannot work with.

    Args:
        *args: the message (as for any exception).
        context: the loss or metric the message already names, if any.
    """

    def __init__(self, *args: object, context: ErrorContext | None = None) -> None:
        super().__init__(*args)
        self.context = context


class DTypeError(KGraphError, TypeError):
    """An op or layer received a dtype it cannot work with."""


class GraphError(KGraphError, ValueError):
    """A graph is malformed (unknown op, bad operand, cycle, type mismatch)."""


class CompileError(KGraphError, RuntimeError):
    """A compiler pass failed; the message names the pass."""


class FileFormatError(KGraphError, ValueError):
    """A model or weights file is truncated, corrupt or malformed; the
    message names the file and what is wrong. Every failure to read a file's
    contents raises it (a ``ValueError``, as Keras's loading errors are)."""


def format_shape(shape: Sequence[int | None]) -> str:
    """Formats a shape the Keras way: ``(None, 784)``.

    Args:
        shape: a sequence of dimensions, ``None`` for an unknown one.

    Returns:
        The shape as a Python tuple literal.
    """
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"
