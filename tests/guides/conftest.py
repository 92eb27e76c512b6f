"""Fixtures of the keras.io guide tests.

The suite's ``backend`` fixture (tests/conftest.py) runs every guide test
on each backend: it sets ``KGRAPH_BACKEND``, which ``compile()`` reads when
no backend is given, so the guide code calls ``model.compile(...)`` exactly
as Keras code does. Every test starts from a fresh session (layer names
count from zero again) and a fixed seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import kgraph as keras


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    """Clears the session and seeds kgraph's generators before each test."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(1337)
    yield
    keras.utils.clear_session()
