"""Where progress messages go: the console (interactive logging, the
default) or Python's ``logging``, as ``keras.utils.enable_interactive_logging``
and ``disable_interactive_logging`` choose."""

from __future__ import annotations

import logging

_STATE = {"interactive": True}

logger = logging.getLogger("kgraph")


def enable_interactive_logging() -> None:
    """Sends progress bars and messages to the console (``sys.stdout``).

    Example:

    >>> enable_interactive_logging()
    >>> is_interactive_logging_enabled()
    True
    """
    _STATE["interactive"] = True


def disable_interactive_logging() -> None:
    """Sends progress bars and messages to Python's ``logging`` (logger
    ``"kgraph"``, level ``INFO``) instead of the console.

    Example:

    >>> disable_interactive_logging()
    >>> is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    _STATE["interactive"] = False


def is_interactive_logging_enabled() -> bool:
    """Returns whether progress messages go to the console.

    Returns:
        ``True`` unless ``disable_interactive_logging`` was called last.

    Example:

    >>> is_interactive_logging_enabled()
    True
    """
    return _STATE["interactive"]


__all__ = [
    "disable_interactive_logging",
    "enable_interactive_logging",
    "is_interactive_logging_enabled",
    "logger",
]
