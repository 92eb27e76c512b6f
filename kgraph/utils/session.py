"""``clear_session``: start layer numbering afresh."""

from __future__ import annotations


def clear_session() -> None:
    """Resets layer numbering: new layers are named ``dense``, ``dense_1``...
    again. Models built before keep working (each model owns its graph)."""
    from kgraph.utils import naming

    naming.reset()
