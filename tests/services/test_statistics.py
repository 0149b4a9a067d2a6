"""Every figure of every grouping of a hand-counted world (tests/services/stats_rows.py):
DESIGN.md §6's definitions, counted on paper, against ``figures``/``totals`` read from the
rollups (after ``rebuild``) and against the recount from the raw facts (the rollups' oracle);
the scopes, the drill-down, the overdue list and the ranking; a rename or a later transfer
changes no past figure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.assignments import EndReason
from feedback.domain.statistics import TREND_MONTHS, trend_period, wilson
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Assignment, Feedback
from feedback.services import statistics
from feedback.services.statistics import Figures, Period, Scope, recount
from tests.services.stats_rows import MARCH, NOW, World, build_world, end_of, local

# key: (received, answered, answered_on_time, overdue_open, median_days, transfers, reopened, ratings, satisfied)
Counts = tuple[int, int, int, int, float | None, int, int, int, int]


@pytest.fixture(params=["rollups", "recount"])
def world(request: pytest.FixtureRequest, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world, read from the rollups (rebuilt from it) or recounted from its raw rows."""
    built = build_world()
    if request.param == "rollups":
        statistics.rebuild(db.session)
    else:
        monkeypatch.setattr(statistics, "figures", recount.recount_figures)
        monkeypatch.setattr(statistics, "totals", recount.recount_totals)
        monkeypatch.setattr(statistics, "items_behind", recount.recount_items_behind)
    return built


def march() -> Period:
    return Period(*MARCH)


def counts(row: Figures) -> Counts:
    return (row.received, row.answered, row.answered_on_time, row.overdue_open, row.median_days_to_answer,
            row.transfers, row.reopened, row.ratings, row.satisfied)


def table(rows: list[Figures]) -> list[tuple[str, str, Counts]]:
    return [(r.key, r.label, counts(r)) for r in rows]


def test_figures_per_unit_as_counted_on_paper(world: World) -> None:
    rows = statistics.figures(db.session, period=march(), group="unit", scope=Scope(), now=NOW)
    assert table(rows) == [
        ("SNNMT-22", "Sở Nông nghiệp và Môi trường", (2, 4, 3, 0, 9.0, 0, 1, 2, 1)),
        # By name as read in Vietnamese (``name_key``): "Đặc" among the D's, before "Phường".
        ("UBND-06994", "UBND Đặc khu Vân Đồn", (2, 1, 1, 1, 10.0, 1, 0, 1, 0)),
        ("UBND-06652", "UBND Phường Hà Tu", (2, 0, 0, 1, None, 1, 0, 0, 0)),
    ]
    a, c, b = rows
    assert (a.on_time_rate, a.reopen_rate, a.satisfaction_rate, a.rating_response_rate) == (0.75, 0.25, 0.5, 0.5)
    assert a.satisfaction_ci == wilson(1, 2)
    # No denominator: empty, never 0.
    assert (b.on_time_rate, b.reopen_rate, b.satisfaction_rate, b.satisfaction_ci, b.rating_response_rate) == (
        None, None, None, None, None)
    assert (c.on_time_rate, c.satisfaction_rate, c.rating_response_rate) == (1.0, 0.0, 1.0)


def test_figures_per_commune_village_topic_and_kind(world: World) -> None:
    def of(group: statistics.Grouping) -> list[tuple[str, str, Counts]]:
        return table(statistics.figures(db.session, period=march(), group=group, scope=Scope(), now=NOW))

    assert of("commune") == [
        ("06994", "Đặc khu Vân Đồn", (2, 1, 1, 1, 10.0, 1, 0, 1, 0)),
        ("06652", "Phường Hà Tu", (4, 4, 3, 1, 9.0, 1, 1, 2, 1)),
    ]
    # I3 sits on the commune itself: it has no village row. Villages are named with their commune.
    assert of("village") == [
        ("06994-001", "Thôn Đài Van, Đặc khu Vân Đồn", (2, 1, 1, 1, 10.0, 1, 0, 1, 0)),
        ("06652-001", "Tổ dân phố 1, Phường Hà Tu", (3, 4, 3, 0, 9.0, 1, 1, 2, 1)),
    ]
    assert of("topic") == [
        ("dat-dai", "Đất đai và giải phóng mặt bằng", (1, 0, 0, 1, None, 0, 0, 0, 0)),
        ("khac", "Khác", (1, 1, 1, 0, 10.0, 0, 0, 1, 0)),
        ("moi-truong.rac-thai", "Rác thải", (4, 4, 3, 1, 9.0, 2, 1, 2, 1)),
    ]
    # I4 was received as a tố cáo (09:00) and answered as a phản ánh (kept as one at 12:00).
    assert of("kind") == [
        ("comment", "Góp ý", (0, 1, 1, 0, 2.0, 0, 0, 0, 0)),
        ("complaint", "Khiếu nại", (1, 0, 0, 1, None, 0, 0, 0, 0)),
        ("report", "Phản ánh", (4, 4, 3, 1, 10.0, 2, 1, 3, 1)),
        ("denunciation", "Tố cáo", (1, 0, 0, 0, None, 0, 0, 0, 0)),
    ]


def test_totals_and_months(world: World) -> None:
    total = statistics.totals(db.session, period=march(), scope=Scope(), now=NOW)
    assert counts(total) == (6, 5, 4, 2, 10.0, 2, 1, 3, 1)
    assert (total.on_time_rate, total.reopen_rate, total.rating_response_rate) == (0.8, 0.2, 0.6)
    assert total.satisfaction_rate == pytest.approx(1 / 3)
    rows = statistics.figures(db.session, period=Period(date(2026, 2, 1), date(2026, 4, 30)), group="month",
                              scope=Scope(), now=NOW)
    assert table(rows) == [
        ("2026-02", "02/2026", (1, 0, 0, 0, None, 0, 0, 0, 0)),
        ("2026-03", "03/2026", (6, 5, 4, 0, 10.0, 2, 1, 3, 1)),
        # Overdue now, by the month the clock fell due (I3 on 4/4, I6's transfer on 7/4).
        ("2026-04", "04/2026", (0, 0, 0, 2, None, 0, 0, 1, 1)),
    ]


def test_scopes_limit_every_figure(world: World) -> None:
    d = world.directory

    def total(scope: Scope) -> Counts:
        return counts(statistics.totals(db.session, period=march(), scope=scope, now=NOW))

    assert total(Scope(territory_id=d.ha_tu.id)) == (4, 4, 3, 1, 9.0, 1, 1, 2, 1)
    assert total(Scope(territory_id=d.province.id, locality_id=d.remote_village.id)) == (
        2, 1, 1, 1, 10.0, 1, 0, 1, 0)
    # A territory and a chosen locality outside it: nothing.
    assert total(Scope(territory_id=d.ha_tu.id, locality_id=d.van_don.id)) == (0, 0, 0, 0, None, 0, 0, 0, 0)
    assert total(Scope(unit_id=world.c.id)) == (2, 1, 1, 1, 10.0, 1, 0, 1, 0)
    assert total(Scope(topic_id=d.environment.id)) == (4, 4, 3, 1, 9.0, 2, 1, 2, 1)
    assert total(Scope(kind=Kind.DENUNCIATION)) == (1, 0, 0, 0, None, 0, 0, 0, 0)
    rows = statistics.figures(db.session, period=march(), group="unit", scope=Scope(territory_id=d.van_don.id),
                              now=NOW)
    assert [r.key for r in rows] == ["UBND-06994"]


def test_items_behind_a_figure(world: World) -> None:
    i = {name: item.id for name, item in world.items.items()}

    def behind(figure: str, group: statistics.Grouping | None = None, key: str | None = None) -> set[int]:
        query = statistics.items_behind(db.session, period=march(), scope=Scope(), figure=figure, group=group,
                                        key=key, now=NOW)
        listed = [item.id for item in db.session.scalars(query)]
        assert listed == sorted(set(listed)), "each item once, by id"
        return set(listed)

    assert behind("answered_on_time", "unit", "SNNMT-22") == {i["I1"], i["I2"], i["I5"]}
    assert behind("received", "unit", "SNNMT-22") == {i["I1"], i["I2"]}
    assert behind("overdue_open") == {i["I3"], i["I6"]}
    assert behind("overdue_open", "unit", "UBND-06994") == {i["I6"]}
    assert behind("overdue_open", "commune", "06652") == {i["I3"]}
    assert behind("overdue_open", "commune", "no-such-code") == set()
    assert behind("received", "kind", "denunciation") == {i["I4"]}
    assert behind("satisfied") == {i["I1"]}
    assert behind("transfers", "commune", "06994") == {i["I6"]}
    assert behind("reopened", "topic", "moi-truong.rac-thai") == {i["I2"]}
    # I6 was received by two units in March (two facts): listed once.
    assert i["I6"] in behind("received") and i["I6"] in behind("transfers")
    with pytest.raises(ValueError):
        behind("median_days_to_answer")


def test_overdue_list_now(world: World) -> None:
    rows = statistics.overdue_now(db.session, scope=Scope(), now=NOW)
    assert [(r.code, r.unit_code, r.clock, r.due_at, r.late) for r in rows] == [
        (world.items["I3"].code, "UBND-06652", "resolution", end_of(4, 4), NOW - end_of(4, 4)),
        (world.items["I6"].code, "UBND-06994", "transfer", end_of(4, 7), NOW - end_of(4, 7)),
    ]
    assert rows[0].kind is Kind.COMPLAINT and rows[0].locality_name == "Phường Hà Tu"
    assert statistics.overdue_now(db.session, scope=Scope(territory_id=world.directory.ha_tu.id), now=NOW)[0].code \
        == world.items["I3"].code
    # Before the clocks fell due nothing is overdue.
    assert statistics.overdue_now(db.session, scope=Scope(), now=local(4, 1)) == []


def test_ranking_by_the_lower_end_leaves_out_units_with_few_ratings(world: World) -> None:
    rows = statistics.figures(db.session, period=march(), group="unit", scope=Scope(), now=NOW)
    ranked, too_few = statistics.ranking(rows, min_ratings=1)
    assert [r.key for r in ranked] == ["SNNMT-22", "UBND-06994"]
    assert [r.key for r in too_few] == ["UBND-06652"]
    ranked, too_few = statistics.ranking(rows)
    assert ranked == [] and len(too_few) == 3


def test_a_rename_or_a_later_transfer_changes_no_past_figure(world: World) -> None:
    before = statistics.figures(db.session, period=march(), group="unit", scope=Scope(), now=NOW)
    world.a.name = "Sở Nông nghiệp và Môi trường (tên mới)"
    i3 = world.items["I3"]
    held = db.session.scalar(sa.select(Assignment).where(Assignment.feedback_id == i3.id))
    assert held is not None
    held.ended_at, held.end_reason = local(4, 16), EndReason.NOT_COMPETENT
    db.session.add(Assignment(feedback_id=i3.id, unit_id=world.c.id, assigned_at=local(4, 16), explanation=""))
    db.session.flush()
    statistics.refresh_items(db.session, [i3.id])  # what the live hook does when the transfer commits
    after = statistics.figures(db.session, period=march(), group="unit", scope=Scope(), now=NOW)
    assert after == before
    april = statistics.figures(db.session, period=Period(date(2026, 4, 1), date(2026, 4, 30)), group="unit",
                               scope=Scope(), now=NOW + timedelta(days=2))
    assert {r.key: (r.received, r.transfers) for r in april}["UBND-06994"] == (1, 0)
    assert {r.key: r.transfers for r in april}["UBND-06652"] == 1
    assert db.session.get(Feedback, i3.id) is not None


def test_a_units_label_is_its_code_and_name_on_its_latest_day_within_the_period(db_session: Session) -> None:
    """Proves: ``unit_labels`` (one probe per unit on PostgreSQL) gives each unit the code and
    name of its latest day inside the period, never of a day outside it, and nothing for a unit
    with no day inside it; an id asked twice is answered once."""
    from datetime import datetime, time

    from feedback.domain.calendar import VN_TZ
    from feedback.models import StatUnitName
    from feedback.services.statistics.queries import unit_labels

    for unit_id, day, code, name in (
        (900_001, date(2026, 2, 28), "U-1", "Tên tháng hai"), (900_001, date(2026, 3, 1), "U-1", "Tên đầu tháng ba"),
        (900_001, date(2026, 3, 20), "U-1B", "Tên cuối tháng ba"), (900_001, date(2026, 4, 1), "U-1C", "Tên tháng tư"),
        (900_002, date(2026, 1, 15), "U-2", "Chỉ có tháng một"), (900_003, date(2026, 3, 31), "U-3", "Ngày cuối"),
    ):
        db.session.add(StatUnitName(unit_id=unit_id, day=day, at=datetime.combine(day, time(9), VN_TZ), code=code,
                                    name=name))
    db.session.flush()
    assert unit_labels(db.session, march(), [900_001, 900_002, 900_003, 900_001]) == {
        900_001: ("U-1B", "Tên cuối tháng ba"), 900_003: ("U-3", "Ngày cuối")}
    assert unit_labels(db.session, Period(date(2026, 3, 1), date(2026, 3, 19)), [900_001]) == {
        900_001: ("U-1", "Tên đầu tháng ba")}
    assert unit_labels(db.session, Period(date(2026, 4, 1), date(2026, 4, 30)), [900_001, 900_003]) == {
        900_001: ("U-1C", "Tên tháng tư")}
    assert unit_labels(db.session, march(), []) == {}


def test_a_period_is_read_as_whole_months_and_the_days_around_them() -> None:
    from feedback.services.statistics.queries import whole_months

    assert whole_months(Period(date(2026, 1, 7), date(2026, 3, 20))) == (date(2026, 2, 1), date(2026, 2, 1))
    assert whole_months(Period(date(2026, 1, 1), date(2026, 1, 31))) == (date(2026, 1, 1), date(2026, 1, 1))
    assert whole_months(Period(date(2025, 12, 1), date(2026, 2, 28))) == (date(2025, 12, 1), date(2026, 2, 1))
    assert whole_months(Period(date(2026, 1, 7), date(2026, 2, 20))) is None
    assert whole_months(Period(date(2026, 2, 2), date(2026, 2, 27))) is None


def test_rollups_equal_the_recount_for_periods_cut_inside_months(db_session: Session) -> None:
    """Proves: the rollups read as whole months plus edge days (or days only) give the recount's
    figures for every grouping, for the hand-counted world."""
    build_world()
    statistics.rebuild(db.session)
    for period in (Period(date(2026, 2, 20), date(2026, 4, 10)), Period(date(2026, 3, 4), date(2026, 3, 19)),
                   Period(date(2026, 3, 1), date(2026, 4, 2))):
        for group in statistics.GROUPINGS:
            assert statistics.figures(db.session, period=period, group=group, scope=Scope(), now=NOW) == \
                recount.recount_figures(db.session, period=period, group=group, scope=Scope(), now=NOW), (period, group)


def test_a_pages_questions_read_together_give_the_figures_of_each_alone(db_session: Session) -> None:
    """Proves: the questions of one dashboard page asked with one ``SharedReads`` (the scope and
    the overdue window read once, the stored medians in one statement, the groupings one rollup
    answers summed in one pass) give exactly the figures of each question asked alone, for
    whole months, periods cut inside months and a twelve-month range (its own trend), every
    grouping and scope, as counted by the recount."""
    w = build_world()
    statistics.rebuild(db.session)
    d = w.directory
    scopes = (Scope(), Scope(territory_id=d.province.id), Scope(territory_id=d.ha_tu.id),
              Scope(territory_id=d.province.id, kind=Kind.COMPLAINT), Scope(unit_id=d.environment_dept.id))
    for period in (march(), Period(date(2026, 2, 20), date(2026, 4, 10)), Period(date(2025, 5, 1), date(2026, 4, 30))):
        trend = trend_period(period, TREND_MONTHS)
        for scope in scopes:
            for group in ("unit", "commune", "village", "topic", "kind"):
                asked: tuple[tuple[Period, statistics.Grouping | None], ...] = (
                    (period, group), (period, "unit"), (trend, "month"), (period, None))
                shared = statistics.SharedReads(asked=asked)
                together = [statistics.figures(db.session, period=period, group=group, scope=scope, now=NOW,
                                               shared=shared),
                            statistics.figures(db.session, period=period, group="unit", scope=scope, now=NOW,
                                               shared=shared),
                            statistics.figures(db.session, period=trend, group="month", scope=scope, now=NOW,
                                               shared=shared),
                            statistics.totals(db.session, period=period, scope=scope, now=NOW, shared=shared)]
                alone = [recount.recount_figures(db.session, period=period, group=group, scope=scope, now=NOW),
                         recount.recount_figures(db.session, period=period, group="unit", scope=scope, now=NOW),
                         recount.recount_figures(db.session, period=trend, group="month", scope=scope, now=NOW),
                         recount.recount_totals(db.session, period=period, scope=scope, now=NOW)]
                assert together == alone, (period, scope, group)


def test_a_window_of_rows_is_that_slice_of_the_whole_table_with_its_length(db_session: Session) -> None:
    """Proves: ``figure_rows`` (one page of a table) gives the rows of the whole table from
    ``first`` on, at most ``count`` of them, the same figures (medians included, computed for
    those rows only), and how many rows the whole table has: for every grouping, with and
    without the page's other questions read together, past the end (no row) included."""
    w = build_world()
    statistics.rebuild(db.session)
    d = w.directory
    for scope in (Scope(), Scope(territory_id=d.province.id), Scope(territory_id=d.ha_tu.id, kind=Kind.REPORT)):
        for group in statistics.GROUPINGS:
            whole = recount.recount_figures(db.session, period=march(), group=group, scope=scope, now=NOW)
            for first, count in ((0, 1), (1, 1), (1, 2), (0, 100), (len(whole), 1), (len(whole) + 3, 5)):
                shared = statistics.SharedReads(asked=((march(), group), (march(), "unit"), (march(), None)))
                for reads in (None, shared):
                    page = statistics.figure_rows(db.session, period=march(), group=group, scope=scope, now=NOW,
                                                  first=first, count=count, shared=reads)
                    assert page == statistics.FigureRows(whole[first:first + count], first, len(whole)), \
                        (scope, group, first, count)


def test_totals_of_two_periods_with_the_same_months_read_together_when_nothing_happened(db_session: Session) -> None:
    """Proves: two totals whose whole months are the same (one statement without a GROUP BY over
    months with no row: its sums are null) are zeros, as each alone, not an error."""
    build_world()
    statistics.rebuild(db.session)
    first, second = Period(date(2030, 2, 15), date(2030, 4, 30)), Period(date(2030, 2, 20), date(2030, 4, 30))
    shared = statistics.SharedReads(asked=((first, None), (second, None)))
    for period in (first, second):
        assert statistics.totals(db.session, period=period, scope=Scope(), now=NOW, shared=shared) == \
            recount.recount_totals(db.session, period=period, scope=Scope(), now=NOW)


def test_the_fronts_recommendations_are_not_counted_among_residents_items(world: World) -> None:
    """Proves: a supervision recommendation issued in March to a unit, answered late, and one left
    overdue, travel as items of origin ``supervision`` through the unit's hands but change no
    resident figure, no total and no overdue row (they have counts of their own)."""
    from feedback.domain.access import Role
    from feedback.services import handling
    from feedback.services.recommendations import RecommendationDraft, issue_recommendation
    from tests.factories import make_user

    def snapshot() -> tuple[object, ...]:
        if world_reads_rollups:
            statistics.rebuild(db.session)
        return (table(statistics.figures(db.session, period=march(), group="unit", scope=Scope(), now=NOW)),
                counts(statistics.totals(db.session, period=march(), scope=Scope(), now=NOW)),
                [r.code for r in statistics.overdue_now(db.session, scope=Scope(), now=NOW)])

    world_reads_rollups = statistics.figures is not recount.recount_figures
    before = snapshot()
    d = world.directory
    monitor = make_user("mttq-ha-tu-thong-ke", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu)
    officer = make_user("can-bo-ha-tu-thong-ke", Role.UNIT_HEAD, unit=d.ubnd_ha_tu)
    answered = issue_recommendation(monitor, RecommendationDraft(
        unit_id=d.ubnd_ha_tu.id, title="Thu gom rác", text="Đề nghị kiểm tra.", topic_code="moi-truong"),
        now=local(3, 2))
    issue_recommendation(monitor, RecommendationDraft(
        unit_id=d.ubnd_ha_tu.id, title="Chiếu sáng", text="Đề nghị sửa đèn.", topic_code="moi-truong"),
        now=local(3, 3))
    handling.save_draft(officer, answered.feedback_id, "Đã kiểm tra.", expected_version=None, now=local(4, 10))
    handling.publish_answer(officer, answered.feedback_id, now=local(4, 10))
    db.session.flush()
    assert snapshot() == before
