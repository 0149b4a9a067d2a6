"""The hand-counted world of tests/services/stats_rows.py, ready to be read through the statistics.

``build_world`` writes raw rows directly. Once the statistics read rollups (feat/stats, "rollups"),
they must be rebuilt from those rows, as tests/services/test_statistics.py does; before that the
statistics recount the raw rows and there is nothing to rebuild.
"""

from __future__ import annotations

from feedback.extensions import db
from feedback.services import statistics
from tests.services.stats_rows import World, build_world


def refresh_statistics() -> None:
    """Rebuild the rollups from the raw rows when the statistics keep rollups (else nothing)."""
    rebuild = getattr(statistics, "rebuild", None)
    if rebuild is not None:
        rebuild(db.session)


def counted_world() -> World:
    """``build_world()``, with the statistics brought up to date with its rows."""
    world = build_world()
    refresh_statistics()
    return world
