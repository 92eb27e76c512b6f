"""Shared fixtures of the layer tests: a fresh session for every test, so
layer names (``dense``, ``dense_1``...) and the trace graph start over, and
a fixed seed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import kgraph as kg


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    """Clears the session and seeds kgraph's generators before each test."""
    kg.utils.clear_session()
    kg.utils.set_random_seed(1234)
    yield
    kg.utils.clear_session()
