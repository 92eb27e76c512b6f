"""Deterministic unique names: ``dense``, ``dense_1``, ``dense_2``..."""

from __future__ import annotations

import re
from collections import defaultdict

_COUNTS: dict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """Turns ``"BatchNormalization"`` into ``"batch_normalization"`` and
    ``"Conv2D"`` into ``"conv2d"``, as Keras does (a digit before a capital
    starts no new word)."""
    first = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", first).lower()


def unique_name(prefix: str) -> str:
    """Returns ``prefix`` the first time, then ``prefix_1``, ``prefix_2``..."""
    count = _COUNTS[prefix]
    _COUNTS[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset() -> None:
    """Forgets every name handed out (``kg.utils.clear_session``)."""
    _COUNTS.clear()
