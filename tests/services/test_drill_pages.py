"""The drill-down's pages (issue #9 item 7): the items behind every figure, read page by page
without a count, are the recount's items in id order, and the overdue drill-down's ids are
those of ``late_items``, the window of clocks past due but not yet breached included.

Over a seeded random mix driven through the real services (``test_statistics_random.play``:
transfers, answers on time and late, ratings, reopenings, kind changes), every figure of every
grouping is asked for several periods and scopes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import OverdueItem, Role
from feedback.services.access import viewer_for
from feedback.services import monitoring, statistics
from feedback.services.statistics import FIGURE_NAMES, Period, Scope, queries, recount
from feedback.services.statistics.drill import behind_ids
from feedback.services.statistics.overdue import group_of_late, late_ids, late_items
from tests.conftest import Enqueued
from tests.factories import make_user
from tests.services.test_statistics_random import Play, play

# The groupings the kept overdue rows filter in SQL (months are grouped in Python).
KEPT_GROUPINGS: tuple[statistics.Grouping, ...] = ("unit", "commune", "village", "topic", "kind")
PERIODS = [Period(date(2026, 1, 1), date(2026, 12, 31)), Period(date(2026, 1, 7), date(2026, 2, 20)),
           Period(date(2030, 1, 1), date(2030, 1, 31))]


def _scopes(p: Play) -> list[Scope]:
    d = p.d
    return [Scope(), Scope(territory_id=d.ha_tu.id), Scope(territory_id=d.province.id, locality_id=d.village.id),
            Scope(unit_id=d.environment_dept.id), Scope(topic_id=d.environment.id), Scope(kind=Kind.REPORT)]


def _ids(query: sa.Select[Any]) -> list[int]:
    return [item.id for item in db.session.scalars(query)]


def _keys(period: Period, group: statistics.Grouping, scope: Scope, now: datetime) -> list[str]:
    """Every key the figures table shows for ``group``, and one that names nothing."""
    rows = statistics.figures(db.session(), period=period, group=group, scope=scope, now=now)
    return [row.key for row in rows] + ["no-such-key" if group != "month" else "2026-13"]


@pytest.fixture
def mix(db_session: Session, enqueued: Enqueued) -> Play:
    p = play(11, steps=160)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem)), "some items are overdue"
    return p


@pytest.mark.parametrize("few_facts", [0, queries.FEW_FACTS])
def test_the_items_behind_every_figure_are_the_recounts_in_id_order(mix: Play, few_facts: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: for every figure, grouping, key, period and scope the rows (each item once, by
    id) equal the recount's (``behind_ids`` over the facts derived from the raw rows), whether
    walked item by item from the first (``FEW_FACTS`` 0) or read whole (the mix has fewer than
    ``FEW_FACTS``); later than the mix's last scan (clocks past due, not yet breached: the
    window) too."""
    monkeypatch.setattr(queries, "FEW_FACTS", few_facts)
    checked = 0
    for period in PERIODS:
        for scope in _scopes(mix):
            derived = recount.scoped_facts(db.session(), period, scope)
            for now in (mix.now, mix.now + timedelta(days=4)):
                # Only overdue changes with ``now``: the other figures once.
                for figure in FIGURE_NAMES if now == mix.now else ("overdue_open",):
                    asked: list[tuple[statistics.Grouping | None, str | None]] = [(None, None)]
                    asked += [(group, key) for group in statistics.GROUPINGS
                              for key in _keys(period, group, scope, now)]
                    for group, key in asked:
                        listed = _ids(statistics.items_behind(db.session(), period=period, scope=scope, figure=figure,
                                                              group=group, key=key, now=now))
                        expected = sorted(behind_ids(db.session(), derived, scope=scope, figure=figure, group=group,
                                                     key=key, now=now))
                        assert listed == expected, (period, scope, figure, group, key, now)
                        checked += bool(expected)
    assert checked > 300


def test_late_ids_are_the_late_items_window_included(mix: Play) -> None:
    """Proves: ``late_ids`` names exactly the items of ``late_items`` for every grouping and key,
    at the last scan and days later, when the window holds clocks the kept state has not yet."""
    for now in (mix.now, mix.now + timedelta(days=4), mix.now + timedelta(days=30)):
        for scope in _scopes(mix):
            every = late_items(db.session(), scope, now)
            assert set(db.session.scalars(late_ids(db.session(), scope, now))) == {x.feedback_id for x in every}
            for group in KEPT_GROUPINGS:
                values = {group_of_late(x, group) for x in every}
                for wanted in [*({v} for v in values if v is not None), set(), {-1 if group != "kind" else "comment"}]:
                    expected = {x.feedback_id for x in late_items(db.session(), scope, now, group, wanted)}
                    found = set(db.session.scalars(late_ids(db.session(), scope, now, group, wanted)))
                    assert found == expected, (now, scope, group, wanted)


@pytest.mark.parametrize("territory_of", ["province", "ha_tu"])
def test_the_pages_of_a_drill_down_are_the_whole_list_cut_in_order(mix: Play, territory_of: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the pages of every figure's drill-down (3 rows a page), read one after the other,
    are the whole list in id order (the export's), each page but the last says more follow and
    the last gives the exact total; a page past the end is empty and ``drill_pages`` is where
    the list ends. For a province monitor and a commune monitor (territory scoping)."""
    monkeypatch.setattr(queries, "FEW_FACTS", 0)  # walked item by item, as a period of many items is
    d = mix.d
    place = getattr(d, territory_of)
    user = make_user(f"mttq-{territory_of}", Role.FRONT_MONITOR, unit=d.front_province, territory=place)
    db.session.flush()
    viewer = viewer_for(user)
    (territory,) = monitoring.territories_of(viewer)
    for period_name, period in (("custom", PERIODS[0]), ("custom", PERIODS[1])):
        question = monitoring.ask(territory, period=period, period_name=period_name)
        for figure in FIGURE_NAMES:
            drill = monitoring.check_drill(question, figure, None, None)
            whole = [row.code for row in monitoring.all_drill_items(question, drill, viewer=viewer, now=mix.now)]
            seen: list[str] = []
            number = 1
            while True:
                page = monitoring.drill_items(question, drill, viewer=viewer, now=mix.now, page=number, per_page=3)
                seen += [row.code for row in page.items]
                if page.total_exact:
                    assert (page.total, page.pages) == (len(whole), number)
                    break
                assert (len(page.items), page.total, page.pages) == (3, 3 * number, number + 1)
                number += 1
            assert seen == whole, (figure, period)
            past = monitoring.drill_items(question, drill, viewer=viewer, now=mix.now, page=number + 1, per_page=3)
            assert past.items == []
            assert monitoring.drill_pages(question, drill, viewer=viewer, now=mix.now, per_page=3) == \
                max(-(-len(whole) // 3), 1)
