"""The statistics on the Quick start's SQLite database: the same hand-counted world gives the
same figures from the rollups (rebuilt, then kept live) as on PostgreSQL; the medians are
computed in Python there (no percentile_cont)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from feedback.extensions import db
from feedback.services import statistics
from feedback.services.statistics import Period, Scope, recount
from tests.services.stats_rows import MARCH, NOW, build_world
from tests.sqlite_apps import migrated_sqlite_app


@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on a fresh SQLite file built by the migrations."""
    with migrated_sqlite_app(app, tmp_path) as other:
        yield other


def test_sqlite_rollups_give_the_hand_counted_figures(sqlite_app: Flask) -> None:
    world = build_world()
    db.session.commit()
    statistics.rebuild(db.session())
    march = Period(*MARCH)
    for group in statistics.GROUPINGS:
        assert statistics.figures(db.session(), period=march, group=group, scope=Scope(), now=NOW) == \
            recount.recount_figures(db.session(), period=march, group=group, scope=Scope(), now=NOW), group
    total = statistics.totals(db.session(), period=march, scope=Scope(), now=NOW)
    assert (total.received, total.answered, total.answered_on_time, total.overdue_open, total.median_days_to_answer,
            total.transfers, total.reopened, total.ratings, total.satisfied) == (6, 5, 4, 2, 10.0, 2, 1, 3, 1)
    # The medians computed ahead (in Python on SQLite) are the recount's, and so are the pages'.
    from sqlalchemy import func, select as select_

    from feedback.domain.calendar import local_date
    from feedback.models import StatMedian

    assert statistics.refresh_medians(db.session(), NOW).computed > 0
    assert db.session.scalar(select_(func.count()).select_from(StatMedian))
    year = Period.named("this_year", local_date(NOW))
    for scope in (Scope(), Scope(territory_id=world.directory.province.id)):
        for group in statistics.GROUPINGS:
            assert statistics.figures(db.session(), period=year, group=group, scope=scope, now=NOW) == \
                recount.recount_figures(db.session(), period=year, group=group, scope=scope, now=NOW), group
        assert statistics.totals(db.session(), period=year, scope=scope, now=NOW) == \
            recount.recount_totals(db.session(), period=year, scope=scope, now=NOW)
    # Kept live: a rating changed to satisfied moves one count, and a refresh is idempotent.
    from feedback.models import Rating
    from sqlalchemy import select

    i4 = world.items["I4"]
    rating = db.session.scalar(select(Rating).where(Rating.feedback_id == i4.id))
    assert rating is not None
    rating.score = 5
    assert statistics.refresh_items(db.session(), [i4.id]) == 2
    assert statistics.refresh_items(db.session(), [i4.id]) == 0
    db.session.commit()
    assert statistics.totals(db.session(), period=march, scope=Scope(), now=NOW).satisfied == 2



def test_routing_on_sqlite_reads_the_overrides_with_the_case_facts_and_counts_the_item(sqlite_app: Flask) -> None:
    """Issue #11 on the Quick start's database: routing reads the calendar's overrides inside the
    case facts' statement (``group_concat`` there), so a day off on Wed 11/03 set beforehand moves
    the first clocks (acceptance 17/03 → 18/03, resolution 24/03 → 25/03, as on PostgreSQL in
    test_deadlines_service); the item is counted in routing's transaction (one statement per table there)."""
    from datetime import date

    from sqlalchemy import select

    from feedback.domain.calendar import local_date
    from feedback.domain.events import Actor
    from feedback.models import Deadline, StatDaily, StatFact
    from feedback.services.deadlines.overrides import add_override
    from feedback.services.routing.route import RouteOutcome, route_item
    from tests.factories import make_directory, make_feedback
    from tests.statements import recorded_statements
    from tests.times import ROUTED_AT, TUESDAY_MORNING

    directory = make_directory()
    add_override(date(2026, 3, 11), True, "Nghỉ bù", now=TUESDAY_MORNING, actor=Actor.cli("quantri"))
    item = make_feedback(directory)
    db.session.commit()
    item_id = item.id
    with recorded_statements() as statements:
        routed = route_item(item_id, now=ROUTED_AT)
    assert routed.outcome is RouteOutcome.ASSIGNED
    # Bounded apart from PostgreSQL's 8 (issue #11 item 2): the fallback's read, one INSERT per
    # clock and per event, the notices and each statistics table apart (the fact, the unit's name,
    # twelve rollups, the histogram); the statistics read nothing.
    assert len(statements) <= 25, "\n".join(statements)
    assert not [s for s in statements if s.startswith("SELECT") and "stat_" in s]
    due = {d.clock: local_date(d.due_at) for d in db.session.scalars(
        select(Deadline).where(Deadline.feedback_id == item.id))}
    assert due == {"acceptance": date(2026, 3, 18), "resolution": date(2026, 3, 25)}
    facts = list(db.session.scalars(select(StatFact).where(StatFact.feedback_id == item.id)))
    assert [getattr(f.measure, "value", f.measure) for f in facts] == ["received"]
    assert db.session.scalar(select(StatDaily.received).where(StatDaily.unit_id == routed.unit_id)) == 1
