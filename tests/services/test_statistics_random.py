"""The rollups and the answers' histogram kept as facts happen equal a recount from the raw
facts, and a rebuild from scratch equals them (issue #9 items 1 and 7).

A seeded random mix drives the real services with the clock passed in: submissions routed to
units, acceptance, requests for information and replies (pauses), answers published on time
and late (the deadline scan records breaches), extensions, transfers to a named unit or back to
routing, anonymous tố cáo kept as phản ánh, refusals, ratings and their changes, reopenings.
Every commit goes through the live hook; nothing in the test touches the statistics tables.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from feedback.domain.handling import RejectReason
from feedback.domain.statistics import TREND_MONTHS, trend_period
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import (
    Event, Feedback, StatAnswerHist, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit,
    StatDailyUnitKind, StatFact, StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace,
    StatMonthlyTopicKind, StatMonthlyUnit, StatMonthlyUnitKind, StatUnitName, Unit, User,
)
from feedback.models.users import Role
from feedback.services import handling, statistics
from feedback.services.deadlines import scan_deadlines
from feedback.services.deadlines.clocks import DeadlineError
from feedback.services.handling import HandlingError
from feedback.services.ratings import rate, reopen
from feedback.services.routing import TransferRefused, return_item, route_item
from feedback.services.statistics import Period, Scope, facts, recount
from feedback.services.statistics.queries import HistogramQuestion, filters_of, histogram_question
from feedback.services.statistics.rollups import COUNTS, ROLLUPS, fact_row, histogram_rows
from feedback.domain.events import Actor
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory, make_user
from tests.services.routing_rows import add_rule

TOKEN = "bi-mat-cua-nguoi-dan-0123456789"
START = datetime(2026, 1, 5, 2, 0, tzinfo=__import__("datetime").UTC)  # Monday 5/1/2026 09:00 Hà Nội
REFUSALS = (HandlingError, TransferRefused, DeadlineError)


@dataclass
class Play:
    rng: random.Random
    d: Directory
    staff: dict[int, tuple[User, User]]  # unit id → (officer, head)
    now: datetime = START
    items: list[int] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)

    def tick(self, hours: float) -> None:
        self.now += timedelta(hours=hours)


def _setup() -> Play:
    d = make_directory()
    add_rule(d.environment_dept, locality=d.ha_tu, topic=d.environment)
    add_rule(d.ubnd_ha_tu, locality=d.ha_tu)
    add_rule(d.ubnd_van_don, locality=d.van_don)
    staff = {}
    for unit in (d.environment_dept, d.ubnd_ha_tu, d.ubnd_van_don, d.province_committee):
        staff[unit.id] = (make_user(f"cb-{unit.code.lower()}", Role.OFFICER, unit=unit),
                          make_user(f"ld-{unit.code.lower()}", Role.UNIT_HEAD, unit=unit))
    db.session.commit()
    return Play(random.Random(), d, staff)


def _submit(p: Play) -> None:
    d, rng = p.d, p.rng
    kind = rng.choice([Kind.REPORT, Kind.REPORT, Kind.COMMENT, Kind.PETITION, Kind.COMPLAINT, Kind.DENUNCIATION])
    anonymous_denunciation = kind is Kind.DENUNCIATION and rng.random() < 0.5
    item = Feedback(kind=kind, title="Ý kiến thử", body="Nội dung.", status=Status.RECEIVED, received_at=p.now,
                    locality=rng.choice([d.village, d.remote_village, d.ha_tu, d.van_don]),
                    topic=rng.choice([d.waste, d.land, d.other, d.environment]), token_hash=hash_token(TOKEN),
                    submitter_name=None if anonymous_denunciation or not kind.needs_identity else "Trần Thị B",
                    submitter_phone=None if anonymous_denunciation or not kind.needs_identity else "0912345678")
    db.session.add(item)
    db.session.flush()
    item.code = make_code(str(current_app.config["TRACKING_PREFIX"]), 2026, item.id)
    db.session.commit()
    p.items.append(item.id)
    p.tick(0.2)
    route_item(item.id, now=p.now)


def _act(p: Play, item: Feedback) -> str:
    """One random action on ``item`` by whoever may take it; returns its name."""
    rng, now = p.rng, p.now
    officer, head = p.staff.get(item.current_unit_id or 0, (None, None))
    code = str(item.code)
    choices = {
        Status.ASSIGNED: ["accept"] * 5 + ["return", "keep", "reject", "ask"],
        Status.IN_PROGRESS: ["answer"] * 4 + ["ask", "extend", "extend", "return", "keep"],
        Status.ANSWERED: ["rate"] * 3 + ["rerate", "reopen", "reopen"],
        Status.CLOSED: ["rerate"],
    }.get(item.status, ["accept"])
    waiting = handling.open_request(item.id) is not None
    choice = "reply" if waiting and rng.random() < 0.7 else rng.choice(choices)
    if choice in ("accept", "ask", "answer", "extend", "return", "keep", "reject") and officer is None:
        return "nobody"
    assert officer is not None and head is not None or choice in ("reply", "rate", "rerate", "reopen")
    if choice == "accept":
        handling.accept(officer, item.id, now=now)
    elif choice == "ask":
        handling.request_information(officer, item.id, "Xin cho biết địa chỉ cụ thể?", now=now)
    elif choice == "reply":
        handling.provide_information(code, TOKEN, "Số 5, tổ 1.", now=now)
    elif choice == "answer":
        draft = handling.current_answer(item)
        open_draft = draft is not None and draft.published_at is None
        handling.save_draft(officer, item.id, "Đơn vị đã xử lý.", now=now,
                            expected_version=draft.version if draft is not None and open_draft else None)
        handling.submit_answer(officer, item.id, now=now)
        handling.publish_answer(head, item.id, now=now + timedelta(minutes=30))
    elif choice == "extend":
        handling.request_extension(officer, item.id, "Cần xác minh thêm.", now=now, complexity="complex")
        handling.grant_extension(head, item.id, now=now)
    elif choice == "return":
        others = [u for u in p.staff if u != item.current_unit_id]
        target = rng.choice([None, *others])
        result = return_item(item.id, unit_id=int(item.current_unit_id or 0), reason="Không thuộc thẩm quyền.",
                             target_unit_id=target, actor=Actor.user(officer.id, officer.username), now=now)
        if result.unit_id is None:
            route_item(item.id, now=now + timedelta(minutes=5))
    elif choice in ("rate", "rerate"):
        score = rng.choice([1, 1, 2, 2, 2, 3, 4, 5])
        rate(code, TOKEN, str(score), reason="not_resolved" if score < 3 else None, now=now)
        if choice == "rate" and rng.random() < 0.3:  # changed within the 7 days
            score = rng.choice([1, 2, 3, 4, 5])
            rate(code, TOKEN, str(score), reason="late" if score < 3 else None, now=now + timedelta(hours=2))
            choice = "rate+change"
        if score < 3 and rng.random() < 0.9:
            reopen(code, TOKEN, now=now + timedelta(hours=3))
            choice += "+reopen"
    elif choice == "reopen":
        reopen(code, TOKEN, now=now)
    elif choice == "keep":
        handling.keep_as_report(officer, item.id, "Tố cáo nặc danh: xử lý như phản ánh.", now=now)
    elif choice == "reject" and rng.random() < 0.2:
        handling.reject(officer, item.id, RejectReason.ABUSIVE, "Nội dung không phù hợp.", now=now)
    return choice



def act_on_a_live_item(p: Play) -> None:
    """One random action (``_act``) on one of the play's items still in play, if any; a refusal
    (an action the item's state does not allow) is rolled back and the play goes on."""
    live = list(db.session.scalars(sa.select(Feedback).where(
        Feedback.id.in_(p.items), Feedback.status.not_in([Status.REJECTED, Status.RECEIVED])).order_by(Feedback.id)))
    if live:
        try:
            _act(p, p.rng.choice(live))
        except REFUSALS:
            db.session.rollback()


def play(seed: int, steps: int) -> Play:
    p = _setup()
    p.rng.seed(seed)
    for _ in range(steps):
        p.tick(p.rng.choice([1, 3, 8, 24, 24, 48, 96, 150]))
        if not p.items or p.rng.random() < 0.2:
            _submit(p)
            continue
        if p.rng.random() < 0.08:
            scan_deadlines(p.now)
            continue
        live = list(db.session.scalars(sa.select(Feedback).where(
            Feedback.id.in_(p.items), Feedback.status.not_in([Status.REJECTED, Status.RECEIVED])).order_by(Feedback.id)))
        if not live:
            continue
        item = p.rng.choice(live)
        try:
            name = _act(p, item)
        except REFUSALS as refused:
            db.session.rollback()
            name = f"refused: {refused}"
        p.done[name] = p.done.get(name, 0) + 1
    return p


def _table(model: type[Any], skip: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    columns = [c for c in model.__table__.columns if c.key not in skip]
    return sorted(tuple(row) for row in db.session.execute(sa.select(*columns)))


def _figures_table(model: type[Any]) -> list[tuple[Any, ...]]:
    """A rollup's rows without answer_changes, and without rows left at zero counts."""
    if not hasattr(model, "answer_changes"):
        return _table(model)
    counts = [c.key for c in model.__table__.columns if c.key in COUNTS]
    columns = [c for c in model.__table__.columns if c.key != "answer_changes"]
    rows = db.session.execute(sa.select(*columns).where(sa.or_(*(model.__table__.c[c] != 0 for c in counts))))
    return sorted(tuple(row) for row in rows)


# Every table the statistics write (the rollups, the units' names); the stored facts apart.
# Every rollup the one writer keeps (``rollups.ROLLUPS``), listed here so that one it forgets fails.
ROLLUP_MODELS = (StatDaily, StatMonthly, StatMonthlyUnit, StatMonthlyPlace, StatDailyUnit, StatMonthlyUnitKind,
                 StatDailyUnitKind, StatMonthlyTopicKind, StatDailyTopicKind, StatMonthlyCommuneKind,
                 StatDailyCommuneKind, StatMonthlyLocalityKind)
STATISTICS_TABLES = (*ROLLUP_MODELS, StatUnitName, StatAnswerHist)


def statistics_tables() -> list[list[tuple[Any, ...]]]:
    """What the statistics store, to compare: each table's figures (``_figures_table``), then
    the stored facts without their ids."""
    return [_figures_table(t) for t in STATISTICS_TABLES] + [_table(StatFact, skip=("id",))]


def stored_and_derived_facts(feedback_ids: list[int]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The facts stored for ``feedback_ids`` and those ``facts_of`` derives from their raw rows,
    each sorted, as comparable tuples."""
    derived = sorted(f.identity + f.counted for f in facts.facts_of(db.session, feedback_ids))
    stored = sorted((r.measure, r.feedback_id, r.ref, r.unit_id, r.locality_id, r.commune_id, r.village_id,
                     r.topic_id, r.kind.value, r.at, r.day, r.on_time, r.seconds, r.satisfied)
                    for r in db.session.scalars(sa.select(StatFact).where(StatFact.feedback_id.in_(feedback_ids))))
    return stored, derived


def _assert_rollups_match_recount(p: Play) -> None:
    # Whole months only (monthly rollups), days only (daily), and whole months with days around them.
    periods = [Period(date(2026, 1, 1), date(2026, 12, 31)), Period(date(2026, 1, 1), date(2026, 1, 31)),
               Period(date(2026, 1, 7), date(2026, 2, 20)), Period(date(2026, 2, 1), date(2026, 3, 31)),
               Period(date(2026, 1, 7), date(2026, 3, 20)), Period(date(2026, 2, 10), date(2026, 6, 30))]
    d = p.d
    scopes = [Scope(), Scope(territory_id=d.ha_tu.id), Scope(territory_id=d.province.id, locality_id=d.village.id),
              Scope(unit_id=d.environment_dept.id), Scope(topic_id=d.environment.id), Scope(kind=Kind.REPORT),
              Scope(territory_id=d.province.id, topic_id=d.environment.id), Scope(territory_id=d.ha_tu.id,
                                                                                 kind=Kind.REPORT)]
    for period in periods:
        for scope in scopes:
            for group in statistics.GROUPINGS:
                live = statistics.figures(db.session, period=period, group=group, scope=scope, now=p.now)
                counted = recount.recount_figures(db.session, period=period, group=group, scope=scope, now=p.now)
                assert live == counted, (period, scope, group)
            assert statistics.totals(db.session, period=period, scope=scope, now=p.now) == \
                recount.recount_totals(db.session, period=period, scope=scope, now=p.now), (period, scope)


def _assert_questions_read_together_match_recount(p: Play) -> None:
    """A dashboard page's questions asked with one ``SharedReads`` (summed together: one statement
    per rollup and run of months or days), plus the units over the trend's months (one grouping
    over two ranges), each equal to the recount of it alone."""
    periods = [Period(date(2026, 1, 7), date(2026, 3, 20)), Period(date(2026, 2, 1), date(2026, 3, 31)),
               Period(date(2026, 2, 10), date(2026, 6, 30)), Period(date(2026, 3, 5), date(2026, 3, 5))]
    d = p.d
    scopes = [Scope(), Scope(territory_id=d.ha_tu.id), Scope(topic_id=d.environment.id),
              Scope(territory_id=d.province.id, locality_id=d.village.id)]
    for period in periods:
        trend = trend_period(period, TREND_MONTHS)
        for scope in scopes:
            for group in ("unit", "commune", "village", "topic", "kind"):
                asked: list[tuple[Period, statistics.Grouping | None]] = [
                    (period, group), (period, "unit"), (trend, "month"), (period, None), (trend, "unit")]
                shared = statistics.SharedReads(asked=tuple(asked))
                for question_period, question_group in asked:
                    if question_group is None:
                        assert statistics.totals(db.session, period=question_period, scope=scope, now=p.now,
                                                 shared=shared) == recount.recount_totals(
                            db.session, period=question_period, scope=scope, now=p.now), (period, scope, group)
                        continue
                    assert statistics.figures(db.session, period=question_period, group=question_group, scope=scope,
                                              now=p.now, shared=shared) == recount.recount_figures(
                        db.session, period=question_period, group=question_group, scope=scope, now=p.now), \
                        (period, scope, group, question_period, question_group)


@pytest.mark.parametrize("seed", [7, 2026])
def test_live_rollups_equal_the_recount_and_a_rebuild(db_session: Session, enqueued: Enqueued, seed: int) -> None:
    p = play(seed, steps=200)
    # The mix did what it says: answers, transfers, ratings and reopenings happened.
    counts = {m: n for m, n in db.session.execute(sa.select(StatFact.measure, sa.func.count()).group_by(StatFact.measure))}
    assert counts.get("answered", 0) >= 5 and counts.get("transfer", 0) >= 2 and counts.get("rating", 0) >= 3, counts
    changed = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.action == "rating_changed"))
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.action == "kind_changed"))
    assert counts.get("reopened", 0) >= 1 and changed and kept is not None, (counts, p.done)
    on_time = set(db.session.scalars(sa.select(StatFact.on_time).where(StatFact.measure == "answered")))
    assert on_time == {True, False}, "the mix answered both on time and late"

    # The stored facts are the raw rows' facts.
    stored, derived = stored_and_derived_facts(p.items)
    assert stored == derived
    assert len(stored) == db.session.scalar(sa.select(sa.func.count()).select_from(StatFact))
    _assert_rollups_match_recount(p)
    _assert_questions_read_together_match_recount(p)
    # The answers' histogram kept by the deltas is the one counted from the raw rows' facts, and
    # the oracle's medians above went through it (the whole tree by unit, by commune, the totals).
    recounted: dict[tuple[str, str, int, int], int] = {}
    for fact in facts.facts_of(db.session, p.items):
        for key in histogram_rows(fact_row(fact)):
            recounted[key] = recounted.get(key, 0) + 1
    assert _table(StatAnswerHist) == sorted((*key, n) for key, n in recounted.items())
    assert histogram_question(db.session(), "unit", filters_of(db.session(), Scope())) == HistogramQuestion("unit")
    assert histogram_question(db.session(), "topic", filters_of(db.session(), Scope())) == HistogramQuestion("topic")

    # answer_changes is history (every answer in or out), not a figure: a rebuild counts each
    # stored answer once, and the live rows it kept at zero counts are not summed again.
    assert tuple(rollup.model for rollup in ROLLUPS) == ROLLUP_MODELS, "the one writer keeps every rollup"
    for rollup in ROLLUP_MODELS:
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(rollup).where(
            rollup.answer_changes < rollup.answered)), "answer_changes counts every answer at least once"
    incremental = statistics_tables()
    assert all(incremental), "every statistics table has rows"
    statistics.rebuild(db.session)
    assert statistics_tables() == incremental
    # Refreshing again changes nothing.
    assert statistics.refresh_items(db.session, p.items) == 0
    assert db.session.get(Unit, p.d.environment_dept.id) is not None
