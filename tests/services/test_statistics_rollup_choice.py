"""Each question reads the narrowest rollup that keeps what it groups and filters by (issue #9
item 7): over the whole tree (the province that is its only root: no commune to filter by) the
whole tree's rollups, a commune's villages' whole months from ``stat_monthly_locality_kind``,
one village's units' from ``stat_monthly_place``, a custom range's days around its months from
the daily ones, and the figures are the facts' own. A question not computed
ahead keeps the medians its first view computed (``stat_median``), read by the next view while
their stamps hold."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import (
    LocalityLevel, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit, StatDailyUnitKind, StatFact, StatMedian,
    StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace, StatMonthlyTopicKind,
    StatMonthlyUnit, StatMonthlyUnitKind, Unit,
)
from feedback.services import statistics
from feedback.services.statistics import Scope
from feedback.services.statistics.queries import Filters, filters_of, rollups_for
from tests.factories import add_locality, make_directory
from tests.services.test_statistics_medians import NOW, World, _oracle, _shown

ROLLUP_TABLES = ("stat_daily_unit", "stat_daily", "stat_monthly_unit", "stat_monthly_place", "stat_monthly",
                 "stat_monthly_unit_kind", "stat_daily_unit_kind", "stat_monthly_topic_kind", "stat_daily_topic_kind",
                 "stat_monthly_commune_kind", "stat_daily_commune_kind", "stat_monthly_locality_kind")
CUSTOM = Period(date(2026, 2, 17), date(2026, 10, 9))


def _filters(**given: Any) -> Filters:
    values: dict[str, Any] = {"unit_id": None, "kind": None, "communes": None, "localities": None, "topics": None}
    values.update(given)
    return Filters(**values)


@pytest.mark.parametrize(("group", "given", "monthly", "daily"), [
    ("unit", {"communes": frozenset({2, 3})}, StatMonthlyUnit, StatDailyUnit),
    ("kind", {"unit_id": 5, "kind": Kind.REPORT}, StatMonthlyUnitKind, StatDailyUnitKind),
    ("month", {"communes": frozenset({2})}, StatMonthlyCommuneKind, StatDailyCommuneKind),
    (None, {}, StatMonthlyUnitKind, StatDailyUnitKind),
    ("unit", {}, StatMonthlyUnitKind, StatDailyUnitKind),
    ("month", {"kind": Kind.REPORT}, StatMonthlyUnitKind, StatDailyUnitKind),
    ("topic", {}, StatMonthlyTopicKind, StatDailyTopicKind),
    ("kind", {"topics": frozenset({1, 4})}, StatMonthlyTopicKind, StatDailyTopicKind),
    ("commune", {}, StatMonthlyCommuneKind, StatDailyCommuneKind),
    ("kind", {"communes": frozenset({2})}, StatMonthlyCommuneKind, StatDailyCommuneKind),
    ("village", {}, StatMonthlyLocalityKind, StatDaily),
    ("village", {"communes": frozenset({2})}, StatMonthlyLocalityKind, StatDaily),
    (None, {"communes": frozenset({2}), "localities": frozenset({7})}, StatMonthlyLocalityKind, StatDaily),
    ("village", {"communes": frozenset({2}), "unit_id": 5}, StatMonthlyPlace, StatDaily),
    ("unit", {"communes": frozenset({2}), "localities": frozenset({7})}, StatMonthlyPlace, StatDaily),
    ("topic", {"communes": frozenset({2})}, StatMonthly, StatDaily),
    ("unit", {"topics": frozenset({1, 4})}, StatMonthly, StatDaily),
    # Topic and village together: no monthly rollup keeps both; every day from stat_daily.
    ("village", {"topics": frozenset({1})}, None, StatDaily),
    ("topic", {"localities": frozenset({7})}, None, StatDaily),
])
def test_the_narrowest_rollup_that_keeps_the_question(group: Any, given: dict[str, Any], monthly: Any,
                                                      daily: Any) -> None:
    assert rollups_for(group, _filters(**given)) == (monthly, daily)


class Sent:
    """The rollup tables the statements sent read (in the order sent)."""

    def __init__(self) -> None:
        self.tables: list[str] = []
        self.medians_from_answers = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The answers read by percentile_cont, or through the histogram (a WITH statement).
        if "percentile_cont" in statement or ("stat_answer_hist" in statement and "answer_bucket" in statement):
            self.medians_from_answers += 1
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        found = [t for t in ROLLUP_TABLES if f"FROM {t} " in statement + " " or f"FROM {t}\n" in statement]
        self.tables += found


@pytest.fixture
def sent(db_session: Session) -> Iterator[Sent]:
    listener = Sent()
    engine = db_session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", listener)
    yield listener
    sa.event.remove(engine, "before_cursor_execute", listener)


def _count(measure: str, period: Period, **where: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(StatFact).where(
        StatFact.measure == measure, StatFact.day >= period.start, StatFact.day <= period.end,
        *(getattr(StatFact, k) == v for k, v in where.items()))) or 0)


def _unit_ids() -> dict[str, int]:
    return {code: i for i, code in db.session.execute(sa.select(Unit.id, Unit.code))}


def test_a_village_month_figure_comes_from_the_monthly_locality_rollup(db_session: Session, sent: Sent) -> None:
    d = make_directory()
    world = World(d, random.Random(11))
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    world.add(30)
    world.add(7, locality_id=d.village.id, day=date(2026, 3, 14))
    world.add(2, locality_id=d.village.id, day=date(2026, 4, 1))  # the day after: not March
    world.add(3, locality_id=d.village.id, day=date(2026, 2, 28))  # the day before
    received = _count("received", march, village_id=d.village.id)
    answered = _count("answered", march, village_id=d.village.id)
    assert answered >= 7, "the village has its March answers"
    sent.tables.clear()
    rows = statistics.figures(db.session(), period=march, group="village", scope=Scope(territory_id=d.ha_tu.id),
                              now=NOW)
    # (read twice: the view keeps the medians it computed, reading the stamps again)
    assert set(sent.tables) == {"stat_monthly_locality_kind"}, "a commune's villages for whole months, no unit"
    village = next(r for r in rows if r.key == d.village.code)
    assert (village.received, village.answered) == (received, answered)
    assert village.median_days_to_answer == _oracle(march, "village", Scope(territory_id=d.ha_tu.id))[str(d.village.id)]
    # One village's units for the months of a year: the same rollup, the facts' figures.
    sent.tables.clear()
    year = Period(date(2026, 1, 1), date(2026, 10, 31))
    by_unit = statistics.figures(db.session(), period=year, group="unit",
                                 scope=Scope(territory_id=d.province.id, locality_id=d.village.id), now=NOW)
    assert set(sent.tables) == {"stat_monthly_place"}
    codes = _unit_ids()
    assert by_unit
    for row in by_unit:
        assert row.answered == _count("answered", year, unit_id=codes[row.key], locality_id=d.village.id), row.key
    # Spoil the monthly locality rollup: the page shows it (so it is what the page reads).
    db.session.execute(sa.update(StatMonthlyLocalityKind).where(StatMonthlyLocalityKind.village_id == d.village.id,
                                                                StatMonthlyLocalityKind.month == march.start)
                       .values(received=StatMonthlyLocalityKind.received + 100))
    db.session.flush()
    rows = statistics.figures(db.session(), period=march, group="village", scope=Scope(territory_id=d.ha_tu.id),
                              now=NOW)
    assert next(r for r in rows if r.key == d.village.code).received > received + 99


def test_a_custom_range_reads_whole_months_and_the_days_around_them(db_session: Session, sent: Sent) -> None:
    d = make_directory()
    world = World(d, random.Random(12))
    world.add(150)
    for day in (date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 28), date(2026, 3, 1), date(2026, 10, 9),
                date(2026, 10, 10)):
        world.add(3, day=day)  # the range's edges, inside and out
    scope = Scope(territory_id=d.province.id)
    sent.tables.clear()
    rows = statistics.figures(db.session(), period=CUSTOM, group="unit", scope=scope, now=NOW)
    assert sent.tables[:3] == ["stat_monthly_unit_kind", "stat_daily_unit_kind", "stat_daily_unit_kind"], sent.tables
    assert set(sent.tables) == {"stat_monthly_unit_kind", "stat_daily_unit_kind"}
    codes = _unit_ids()
    for row in rows:
        for figure in ("received", "answered"):
            assert getattr(row, figure) == _count(figure, CUSTOM, unit_id=codes[row.key]), (row.key, figure)
    assert sum(r.received for r in rows) == _count("received", CUSTOM)
    assert _shown(CUSTOM, "unit", scope) == _oracle(CUSTOM, "unit", scope)
    # By topic the same range reads the topics' rollups; a commune's units, those per commune.
    sent.tables.clear()
    statistics.figures(db.session(), period=CUSTOM, group="topic", scope=scope, now=NOW)
    assert sent.tables[:3] == ["stat_monthly_topic_kind", "stat_daily_topic_kind", "stat_daily_topic_kind"], \
        sent.tables
    sent.tables.clear()
    commune = Scope(territory_id=d.ha_tu.id)
    by_unit = statistics.figures(db.session(), period=CUSTOM, group="unit", scope=commune, now=NOW)
    assert sent.tables[:3] == ["stat_monthly_unit", "stat_daily_unit", "stat_daily_unit"], sent.tables
    for row in by_unit:
        assert row.received == _count("received", CUSTOM, unit_id=codes[row.key], commune_id=d.ha_tu.id), row.key
    assert _shown(CUSTOM, "unit", commune) == _oracle(CUSTOM, "unit", commune)


def test_a_custom_range_keeps_its_medians_for_the_next_view(db_session: Session, sent: Sent) -> None:
    d = make_directory()
    world = World(d, random.Random(13))
    world.add(80)
    scope = Scope(territory_id=d.province.id)
    kept = sa.select(sa.func.count()).select_from(StatMedian).where(StatMedian.start == CUSTOM.start,
                                                                     StatMedian.end == CUSTOM.end)
    assert db.session.scalar(kept) == 0
    sent.medians_from_answers = 0
    first = _shown(CUSTOM, "unit", scope)
    assert first == _oracle(CUSTOM, "unit", scope) != {}
    assert sent.medians_from_answers == 1, "the first view computes the medians from the answers"
    assert db.session.scalar(kept) == len(first), "and keeps one per unit"
    sent.medians_from_answers = 0
    assert _shown(CUSTOM, "unit", scope) == first
    assert sent.medians_from_answers == 0, "the next view reads them"
    # A new answer of one unit in the range: that unit's median is computed again (exact), the
    # others are still read; then it is kept too.
    unit = world.units[0]
    world.add(1, unit_id=unit, day=date(2026, 5, 5), seconds=7)
    shown = _shown(CUSTOM, "unit", scope)
    assert shown == _oracle(CUSTOM, "unit", scope)
    assert sent.medians_from_answers == 1
    sent.medians_from_answers = 0
    assert _shown(CUSTOM, "unit", scope) == shown and sent.medians_from_answers == 0
    # A kept value is served only while its stamp holds: spoiled, it shows; one change, it does not.
    db.session.execute(sa.update(StatMedian).where(StatMedian.start == CUSTOM.start).values(seconds=86400 * 99))
    db.session.flush()
    assert set(_shown(CUSTOM, "unit", scope).values()) == {99.0}
    world.add(1, unit_id=unit, day=date(2026, 5, 6), seconds=8)
    assert _shown(CUSTOM, "unit", scope)[str(unit)] == _oracle(CUSTOM, "unit", scope)[str(unit)] != 99.0
    # The totals of the range are kept the same way.
    sent.medians_from_answers = 0
    total = statistics.totals(db.session(), period=CUSTOM, scope=scope, now=NOW)
    again = statistics.totals(db.session(), period=CUSTOM, scope=scope, now=NOW)
    assert total == again and sent.medians_from_answers == 1


def test_medians_are_kept_only_from_a_transaction_that_wrote_nothing(db_session: Session) -> None:
    """A view in a transaction that has written (its counts may hold changes another transaction
    does not see) keeps nothing; a read-only one may."""
    from feedback.services.statistics.queries import _has_written

    make_directory()
    db.session.flush()
    assert _has_written(db.session())
    with Session(bind=db.engine) as fresh:
        fresh.execute(sa.select(sa.func.count()).select_from(StatMedian))
        assert not _has_written(fresh)


def test_the_tree_s_only_root_filters_no_commune(db_session: Session) -> None:
    """The province that is the tree's only root selects every row: its filters are the whole
    platform's (no commune list to check, the whole tree's rollups answer); with a second root
    it is one province among others again, filtered by its communes."""
    d = make_directory()
    db.session.flush()
    province = filters_of(db.session(), Scope(territory_id=d.province.id))
    assert province == filters_of(db.session(), Scope())
    assert rollups_for("commune", province) == (StatMonthlyCommuneKind, StatDailyCommuneKind)
    # A commune or a village inside it keeps its own.
    assert filters_of(db.session(), Scope(territory_id=d.province.id, locality_id=d.ha_tu.id)).communes == \
        frozenset({d.ha_tu.id})
    village = filters_of(db.session(), Scope(territory_id=d.province.id, locality_id=d.village.id))
    assert village.communes == frozenset({d.ha_tu.id}) and village.localities == frozenset({d.village.id})
    add_locality("99", "Tỉnh khác", "tỉnh", LocalityLevel.PROVINCE)
    two_roots = filters_of(db.session(), Scope(territory_id=d.province.id))
    assert two_roots.communes is not None and d.ha_tu.id in two_roots.communes
    assert rollups_for(None, two_roots) == (StatMonthlyCommuneKind, StatDailyCommuneKind)
