"""Fixtures of the keras.io guide tests.

``backend`` runs every guide test on each backend: it sets
``KGRAPH_BACKEND``, which ``compile()`` reads when no backend is given, so
the guide code calls ``model.compile(...)`` exactly as Keras code does.
Every test starts from a fresh session (layer names count from zero again)
and a fixed seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import kgraph as keras

BACKENDS = ("numpy", "llvm")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend ``compile()`` picks by default during the test."""
    monkeypatch.setenv("KGRAPH_BACKEND", request.param)
    return request.param


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    """Clears the session and seeds kgraph's generators before each test."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(1337)
    yield
    keras.utils.clear_session()


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator for the guide's generated data."""
    return np.random.default_rng(0)
