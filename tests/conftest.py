"""Test configuration: hypothesis profiles (dev, ci, explore) chosen by
HYPOTHESIS_PROFILE, and the fixtures tests across the suite share:
``backend`` (each backend in turn, also as ``compile()``'s default through
``KGRAPH_BACKEND``) and ``rng``."""

import os

# Every pass's output is verified in the tests (it is opt-in elsewhere).
os.environ.setdefault("KGRAPH_VERIFY", "1")
# Keras, the oracle of the parity tests, runs on JAX (the parity extra).
os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import settings

# pytest-xdist runs the suite in one worker per core (``-n logical``): each
# worker's native loops take its share of the cores, but at least two
# threads, so the threaded kernels still split their work.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    _share = max(2, (os.cpu_count() or 1) // _WORKERS)
    os.environ.setdefault("KGRAPH_NUM_THREADS", str(_share))

# dev: quick local runs. ci: more examples, derandomized so a CI run is
# reproducible, no deadline (first calls import and build caches); its count
# keeps the whole suite within 15 minutes on two cores (two workers).
settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# explore: a manual or scheduled run that looks further, differently each
# time (not derandomized), ten times ci's examples.
settings.register_profile(
    "explore",
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

BACKENDS = ("numpy", "llvm")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Each backend in turn; ``compile()`` without a backend picks it too.
    An ``[llvm]`` variant must run native code: it fails if no native loop
    was called (a default backend that silently became the interpreter)."""
    from kgraph.backends.llvm import runtime

    monkeypatch.setenv("KGRAPH_BACKEND", request.param)
    before = runtime.native_calls()
    yield request.param
    if request.param == "llvm" and not request.node.get_closest_marker("no_native"):
        assert runtime.native_calls() > before, (
            f"{request.node.nodeid} ran no native loop on the llvm backend"
        )


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator for test data."""
    return np.random.default_rng(0)
