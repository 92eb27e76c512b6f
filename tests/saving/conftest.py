"""Fixtures of the saving tests: a fresh session per test (layer names and
the trace start over), a fixed seed, and the two backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    """Clears the session and seeds kgraph's generators before each test."""
    kg.utils.clear_session()
    kg.utils.set_random_seed(1234)
    yield
    kg.utils.clear_session()


def _fixed(shape: tuple[int, ...], phase: float) -> np.ndarray:
    n = int(np.prod(shape))
    values = np.sin(np.arange(n, dtype=np.float64) * 0.37 + phase)
    return values.reshape(shape).astype("float32")


@pytest.fixture
def fixed():
    """Deterministic inputs, the same the Keras reference files were
    queried with: ``fixed(shape, phase)`` is ``sin(0.37 * i + phase)``."""
    return _fixed


@pytest.fixture
def data_dir() -> Path:
    """``tests/data``."""
    return DATA
