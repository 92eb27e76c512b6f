"""Test configuration: hypothesis profiles (dev, ci) chosen by HYPOTHESIS_PROFILE."""

import os

# Every pass's output is verified in the tests (it is opt-in elsewhere).
os.environ.setdefault("KGRAPH_VERIFY", "1")

from hypothesis import HealthCheck
from hypothesis import settings

# dev: quick local runs. ci: more examples, derandomized so a CI run is
# reproducible, no deadline (first calls import and build caches).
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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
