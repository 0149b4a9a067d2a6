"""Routing with rules stored in the database: precedence, fallback to the commune's UBND,
configuration errors left visible, the explanation stored, clocks and the unit's notice written
once, and the sweep that finds items stranded in `received`."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, Notification, UnitKind, WorkerHeartbeat
from feedback.services.routing import route as routing
from feedback.services.routing.route import RouteOutcome, route_item, stranded_ids, sweep_received
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory, make_feedback
from tests.services.routing_rows import add_rule, extra_unit
from tests.times import ROUTED_AT, SWEEP_AT, TUESDAY, TUESDAY_MORNING


def events(item: Feedback) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id).order_by(Event.seq)))


def assignments(item: Feedback) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.feedback_id == item.id)))


@pytest.fixture
def directory(db_session: Session) -> Directory:
    d = make_directory()
    db.session.commit()
    return d


# Which rule wins for a report from Tổ dân phố 1 (village of Phường Hà Tu) on Rác thải
# (child of Môi trường). Each name is a rule: locality × topic × kind.
RULES = {
    "province×any": ("province", None, None),
    "province×waste": ("province", "waste", None),
    "ha_tu×any": ("ha_tu", None, None),
    "ha_tu×environment": ("ha_tu", "environment", None),
    "ha_tu×environment×report": ("ha_tu", "environment", Kind.REPORT),
    "ha_tu×waste": ("ha_tu", "waste", None),
    "village×any": ("village", None, None),
    "any×waste×report": (None, "waste", Kind.REPORT),
}


@pytest.mark.parametrize(
    ("present", "winner"),
    [
        # a deeper locality beats a deeper topic
        (["province×waste", "ha_tu×any"], "ha_tu×any"),
        # same locality: the deeper topic wins
        (["ha_tu×environment", "ha_tu×waste", "ha_tu×any"], "ha_tu×waste"),
        # same locality and topic: a rule for the kind beats a rule for any kind
        (["ha_tu×environment", "ha_tu×environment×report"], "ha_tu×environment×report"),
        # the village beats everything above it
        (["village×any", "ha_tu×waste", "any×waste×report"], "village×any"),
        # locality outranks kind and topic
        (["province×any", "any×waste×report"], "province×any"),
    ],
)
def test_most_specific_rule_wins(directory: Directory, present: list[str], winner: str) -> None:
    """Proves the precedence of the issue (locality depth, then topic depth, then kind) with
    rules read from the database, each rule sending the item to a different unit."""
    rules = {}
    for i, name in enumerate(present):
        locality, topic, kind = RULES[name]
        unit = extra_unit(f"U-{i}", f"Đơn vị {name}")
        rules[name] = add_rule(
            unit,
            locality=getattr(directory, locality) if locality else None,
            topic=getattr(directory, topic) if topic else None,
            kind=kind,
        )
    item = make_feedback(directory, kind=Kind.REPORT, locality=directory.village, topic=directory.waste)
    db.session.commit()

    result = route_item(item.id, now=ROUTED_AT)

    assert result.outcome is RouteOutcome.ASSIGNED
    assert result.unit_id == rules[winner].unit_id
    db.session.refresh(item)
    assert item.routing_rule_id == rules[winner].id


def test_explanation_names_rule_locality_topic_and_unit(directory: Directory) -> None:
    """The stored explanation reads like the issue's example and is kept on item and assignment."""
    rule = add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory)
    db.session.commit()

    route_item(item.id, now=ROUTED_AT)

    expected = f"Quy tắc #{rule.id}: Phường Hà Tu × Môi trường → Sở Nông nghiệp và Môi trường"
    db.session.refresh(item)
    assert item.routing_explanation == expected
    assert item.status is Status.ASSIGNED
    assert item.current_unit_id == directory.environment_dept.id
    [assignment] = assignments(item)
    assert (assignment.unit_id, assignment.rule_id, assignment.explanation) == (
        directory.environment_dept.id, rule.id, expected)


def test_without_rule_the_commune_ubnd_answers(directory: Directory) -> None:
    """No rule applies (the only rule is for another commune): the item goes to the People's
    Committee of its commune, found by walking up from the village."""
    add_rule(directory.environment_dept, locality=directory.van_don)
    item = make_feedback(directory, locality=directory.village)
    db.session.commit()

    result = route_item(item.id, now=ROUTED_AT)

    assert result.outcome is RouteOutcome.ASSIGNED
    assert result.unit_id == directory.ubnd_ha_tu.id
    db.session.refresh(item)
    assert item.routing_rule_id is None
    assert item.routing_explanation is not None and "UBND Phường Hà Tu" in item.routing_explanation


def test_rules_outside_their_dates_or_for_inactive_units_do_not_apply(directory: Directory) -> None:
    """An expired rule, a rule not yet valid and a rule whose unit is inactive are all skipped."""
    add_rule(directory.environment_dept, locality=directory.ha_tu, valid_to=TUESDAY - timedelta(days=1))
    add_rule(directory.province_committee, locality=directory.ha_tu, valid_from=TUESDAY + timedelta(days=1))
    closed = extra_unit("CLOSED", "Đơn vị đã giải thể")
    closed.active = False
    add_rule(closed, locality=directory.village)
    current = add_rule(directory.front_province, locality=directory.province, valid_from=date(2026, 1, 1),
                       valid_to=TUESDAY)
    item = make_feedback(directory)
    db.session.commit()

    assert route_item(item.id, now=ROUTED_AT).unit_id == current.unit_id


def test_equally_specific_rules_leave_the_item_received(
    directory: Directory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two rules for the same locality, topic and kind are a configuration error: nothing is
    picked at random, the item stays `received`, an internal event names both rules and an
    error is logged for administrators; the sweep then leaves it alone for a while."""
    # Alembic's fileConfig (run by the migrations in the app fixture) disables existing loggers.
    monkeypatch.setattr(routing.log, "disabled", False)
    first = add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    second = add_rule(directory.ubnd_ha_tu, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory)
    db.session.commit()

    with caplog.at_level(logging.ERROR, logger="feedback.services.routing.route"):
        result = route_item(item.id, now=ROUTED_AT)

    assert result.outcome is RouteOutcome.AMBIGUOUS
    db.session.refresh(item)
    assert (item.status, item.current_unit_id) == (Status.RECEIVED, None)
    assert assignments(item) == []
    failed = [e for e in events(item) if e.action == "routing_failed"]
    assert len(failed) == 1 and failed[0].public is False
    assert failed[0].after is not None and failed[0].after["rule_ids"] == sorted([first.id, second.id])
    assert any("failed" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert item.id not in stranded_ids(now=SWEEP_AT, older_than=timedelta(minutes=2))
    assert item.id in stranded_ids(now=SWEEP_AT + routing.FAILED_RETRY_AFTER, older_than=timedelta(minutes=2))


def test_routing_twice_assigns_once(directory: Directory) -> None:
    """A second run finds the item claimed: one assignment, one set of clocks, one notice,
    one "assigned" event."""
    item = make_feedback(directory)
    db.session.commit()

    first = route_item(item.id, now=ROUTED_AT)
    second = route_item(item.id, now=ROUTED_AT + timedelta(seconds=5))

    assert (first.outcome, second.outcome) == (RouteOutcome.ASSIGNED, RouteOutcome.SKIPPED)
    assert len(assignments(item)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(Deadline.feedback_id == item.id)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.feedback_id == item.id)) == 1
    assert [e.action for e in events(item)].count("assigned") == 1


def test_assignment_writes_events_clocks_and_the_units_notice(directory: Directory) -> None:
    """The public "assigned" event names the unit; "deadlines_set" lists the clocks with their
    legal basis; the notice goes to the unit's address with a dedupe key per assignment."""
    item = make_feedback(directory, kind=Kind.REPORT)
    db.session.commit()

    result = route_item(item.id, now=ROUTED_AT)

    actions = [(e.action, e.public) for e in events(item)]
    assert ("assigned", True) in actions and ("deadlines_set", True) in actions
    assigned = next(e for e in events(item) if e.action == "assigned")
    assert assigned.after is not None and assigned.after["unit"] == "UBND Phường Hà Tu"
    assert assigned.unit_id == directory.ubnd_ha_tu.id
    clocks = {d.clock: d for d in db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == item.id))}
    assert set(clocks) == {"acceptance", "resolution"}
    assert clocks["acceptance"].legal_basis == "Luật Tiếp công dân 2013, Điều 28"
    assert all(d.unit_id == directory.ubnd_ha_tu.id and d.starts_at == TUESDAY_MORNING for d in clocks.values())
    notice = db.session.scalar(sa.select(Notification).where(Notification.feedback_id == item.id))
    assert notice is not None
    assert notice.dedupe_key == f"assigned:{result.assignment_id}"
    assert (notice.kind, notice.recipient_unit_id, notice.recipient_email) == (
        "assigned", directory.ubnd_ha_tu.id, directory.ubnd_ha_tu.email)
    assert str(item.code) in notice.subject


def test_remote_locality_lengthens_the_complaint_resolution(directory: Directory) -> None:
    """A first-round complaint from a remote village gets 45 days to resolve, one from an
    ordinary village 30 (Luật Khiếu nại 2011 Art. 28)."""
    ordinary = make_feedback(directory, kind=Kind.COMPLAINT, locality=directory.village)
    remote = make_feedback(directory, kind=Kind.COMPLAINT, locality=directory.remote_village)
    db.session.commit()

    route_item(ordinary.id, now=ROUTED_AT)
    route_item(remote.id, now=ROUTED_AT)

    def resolution(item: Feedback) -> Deadline:
        return db.session.scalars(sa.select(Deadline).where(
            Deadline.feedback_id == item.id, Deadline.clock == "resolution")).one()

    assert resolution(ordinary).period_days == 30
    assert resolution(remote).period_days == 45
    assert "vùng sâu, vùng xa" in resolution(remote).legal_basis
    assert resolution(remote).unit_id == directory.ubnd_van_don.id


def test_topic_resolution_is_inherited_from_the_parent_topic(directory: Directory) -> None:
    """The local quy chế sets 5 working days for Môi trường; an item on its child Rác thải uses it."""
    directory.environment.resolution_working_days = 5
    item = make_feedback(directory, kind=Kind.REPORT, topic=directory.waste)
    db.session.commit()

    route_item(item.id, now=ROUTED_AT)

    resolution = db.session.scalars(sa.select(Deadline).where(
        Deadline.feedback_id == item.id, Deadline.clock == "resolution")).one()
    assert (resolution.period_days, resolution.day_type) == (5, "working")
    assert "Môi trường" in resolution.legal_basis


def test_no_commune_committee_leaves_the_item_received(directory: Directory) -> None:
    """Without rules and without an active UBND for the commune there is no unit: a visible failure."""
    directory.ubnd_ha_tu.active = False
    item = make_feedback(directory)
    db.session.commit()

    assert route_item(item.id, now=ROUTED_AT).outcome is RouteOutcome.NO_UNIT
    db.session.refresh(item)
    assert item.status is Status.RECEIVED
    assert [e.action for e in events(item)] == ["routing_failed"]


def test_sweep_sends_only_items_stranded_long_enough_oldest_first(
    directory: Directory, enqueued: Enqueued
) -> None:
    """Items `received` for more than 2 minutes are sent again, oldest first; a fresh item and
    an assigned one are not; the sweep records its heartbeat."""
    newer = make_feedback(directory, received_at=TUESDAY_MORNING)
    older = make_feedback(directory, received_at=TUESDAY_MORNING - timedelta(hours=1))
    make_feedback(directory, received_at=SWEEP_AT - timedelta(minutes=1))  # only one minute old
    make_feedback(directory, status=Status.ASSIGNED, received_at=TUESDAY_MORNING - timedelta(days=1))
    db.session.commit()

    found, taken = sweep_received(now=SWEEP_AT, older_than=timedelta(minutes=2))

    assert (found, taken) == (2, 2)
    assert enqueued == [("feedback.route_feedback", older.id), ("feedback.route_feedback", newer.id)]
    heartbeat = db.session.get(WorkerHeartbeat, "sweep_received")
    assert heartbeat is not None and heartbeat.last_run_at == SWEEP_AT


def test_sweep_batch_is_bounded(directory: Directory, enqueued: Enqueued) -> None:
    """One run sends at most ``limit`` items; the rest wait for the next run."""
    for _ in range(5):
        make_feedback(directory)
    db.session.commit()

    assert sweep_received(now=SWEEP_AT, older_than=timedelta(minutes=2), limit=3) == (3, 3)


def test_jurisdiction_front_is_the_communes_else_the_provinces(directory: Directory) -> None:
    """The dispute goes to the commune's Front committee; without it, to the province's."""
    item = make_feedback(directory)
    db.session.commit()
    assert routing.dispute_unit(item) == directory.front_ha_tu
    assert routing.dispute_unit(item, frozenset({directory.front_ha_tu.id})) == directory.front_province
    other = make_feedback(directory, locality=directory.remote_village)
    assert routing.dispute_unit(other) == directory.front_province
    assert directory.front_ha_tu.kind is UnitKind.FRONT_COMMITTEE


@pytest.mark.parametrize("kind", [Kind.COMPLAINT, Kind.DENUNCIATION])
def test_a_rule_for_any_kind_never_captures_complaints_or_denunciations(directory: Directory, kind: Kind) -> None:
    """Proves issue #6 item 6 beyond the demo: a village-level rule for any kind (the most specific
    there is) sends a report to the service centre, but a khiếu nại or tố cáo on the same topic
    and village goes to the commune's People's Committee (the fallback), and a rule naming the
    kind is still obeyed."""
    centre = extra_unit("TTPVHCC-22", "Trung tâm Phục vụ hành chính công", UnitKind.SERVICE_CENTRE)
    add_rule(centre, locality=directory.village, topic=directory.waste)
    report = make_feedback(directory, kind=Kind.REPORT, topic=directory.waste)
    head_only = make_feedback(directory, kind=kind, topic=directory.waste)
    db.session.commit()

    assert route_item(report.id, now=ROUTED_AT).unit_id == centre.id
    result = route_item(head_only.id, now=ROUTED_AT)

    assert (result.outcome, result.unit_id) == (RouteOutcome.ASSIGNED, directory.ubnd_ha_tu.id)
    db.session.refresh(head_only)
    assert head_only.routing_rule_id is None

    inspector = extra_unit("TTR-22", "Thanh tra tỉnh")
    named = add_rule(inspector, locality=directory.province, kind=kind)
    second = make_feedback(directory, kind=kind, topic=directory.waste)
    db.session.commit()
    assert route_item(second.id, now=ROUTED_AT).unit_id == inspector.id
    db.session.refresh(second)
    assert second.routing_rule_id == named.id


def test_routing_one_item_sends_a_bounded_number_of_statements(directory: Directory,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #11: routing one item took 22 statements. Now: the item with "ever held" and the end
    of its audit chain (1), the rules (1), the claim that also stores unit, rule and explanation
    (1), the case facts with the calendar's overrides (1), the assignment (1), the clocks (1), both
    events (1), the unit's and the resident's notices (1): 8 (one more, the commune's People's
    Committee, when no rule applies). No clock is looked up for an item no unit ever held, the
    chain's end is not read apart, nothing is read after the commit. The statistics' refresh of the item's facts and rollups, in
    the same transaction, is bounded apart (at most 5 on PostgreSQL: the item with its places,
    its events, its assignments, its stored facts, then one statement writing the new fact, the
    unit's name and the three rollups): 13 in the routing's transaction in all."""
    from tests.statements import recorded_statements

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory, locality=directory.village, submitter_email="dan@example.vn")
    db.session.commit()
    item_id, department_id = item.id, directory.environment_dept.id
    db.session.expunge_all()

    from feedback.services.statistics import live

    refresh_started: list[int] = []
    real_refresh = live.refresh_items

    def marked_refresh(session: Any, ids: Any) -> None:
        refresh_started.append(len(statements))
        real_refresh(session, ids)

    monkeypatch.setattr(live, "refresh_items", marked_refresh)
    with recorded_statements() as statements:
        result = route_item(item_id, now=ROUTED_AT)

    # Routing's own statements, then (issue #9) the statistics' refresh of the item's facts and
    # rollups in the same transaction, before its commit: counted apart, each with its bound.
    assert len(refresh_started) == 1
    own, statistics_part = statements[:refresh_started[0]], statements[refresh_started[0]:]
    sent = [s for s in own if "SAVEPOINT" not in s]  # the test harness's own
    assert result.outcome is RouteOutcome.ASSIGNED and result.unit_id == department_id
    assert len(sent) <= 8, "\n".join(sent)
    assert not [s for s in sent if "FROM calendar_override" in s and s.startswith("SELECT calendar_override")]
    refresh = [s for s in statistics_part if "SAVEPOINT" not in s]
    writes = [s for s in refresh if not s.startswith("SELECT")]
    if db.engine.dialect.name == "postgresql":  # one statement writes the fact, the name and the rollups
        written = " ".join(writes[0].split()) if writes else ""
        assert len(writes) == 1 and written.startswith("WITH write_0 AS (INSERT INTO stat_fact "), writes
        assert all(f"INSERT INTO {table} " in written
                   for table in ("stat_unit_name", "stat_daily", "stat_monthly", "stat_monthly_unit",
                                 "stat_monthly_place", "stat_daily_unit"))
        assert len(refresh) <= 5, "\n".join(refresh)
    else:
        assert any(s.startswith("INSERT INTO stat_fact") for s in refresh)
        assert len(refresh) <= 11, "\n".join(refresh)  # one upsert per rollup table there
    assert len(sent) + len(refresh) <= 13
    assert [s for s in sent if s.startswith("SELECT event.seq")] == []
    assert len([s for s in sent if s.startswith("INSERT INTO event")]) == 1
    assert len([s for s in sent if s.startswith("INSERT INTO notification")]) == 1
    assert not [s for s in sent if "FROM deadline" in s and s.startswith("SELECT")]
    routed = db.session.get(Feedback, item_id)
    assert routed is not None
    assert [e.action for e in events(routed)] == ["assigned", "deadlines_set"]
