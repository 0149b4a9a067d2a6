"""The fuzzing budget: a few seconds per property in the normal run, ``FUZZ_EXAMPLES=N`` for more.

Every fuzz test uses ``fuzz_settings()``. No example database is written (``database=None``):
a failure prints the falsifying example and the seed (``--hypothesis-seed``) to replay it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 25


def examples(default: int = DEFAULT_EXAMPLES) -> int:
    """Examples per property: ``FUZZ_EXAMPLES`` when set, else ``default``."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def fuzz_settings(default: int = DEFAULT_EXAMPLES) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,  # a request to PostgreSQL under a loaded machine has no fixed duration
        database=None,
        # The app, its database session and the client are per test, reused by every example on purpose.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
