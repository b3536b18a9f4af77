"""Shared settings of the causet pytest suite."""

import os

from hypothesis import HealthCheck, settings

# CI runs a fixed number of examples, derandomized so a failure replays; locally the same.
settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    database=None,  # nothing written into the checkout
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("CAUSET_HYPOTHESIS_PROFILE", "ci"))
