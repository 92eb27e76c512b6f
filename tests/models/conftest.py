"""Fixtures of the model tests: ``backend`` runs a test module on each backend
(through ``KGRAPH_BACKEND``, which ``compile()`` reads when no backend is
given)."""

import pytest

BACKENDS = ("numpy", "llvm")


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """The backend ``compile()`` picks by default during the test."""
    monkeypatch.setenv("KGRAPH_BACKEND", request.param)
    return request.param
