"""Routing with rules stored in the database: precedence, fallback to the commune's UBND,
configuration errors left visible, the explanation stored, clocks and the unit's notice written
once, and the sweep that finds items stranded in `received`."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
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


def _counted_as_the_raw_rows_say(item_ids: list[int], now: datetime) -> list[list[tuple[Any, ...]]]:
    """Asserts that the statistics stored after routing ``item_ids`` are what the generic paths
    derive from the raw rows: the stored facts are ``facts_of``'s, the incremental refresh finds
    nothing to change, the figures are the recount's, and a rebuild from scratch leaves every
    table as it was. Returns the tables (``statistics_tables``)."""
    from feedback.services import statistics
    from feedback.services.statistics import Period, Scope, recount
    from tests.services.test_statistics_random import statistics_tables, stored_and_derived_facts

    stored, derived = stored_and_derived_facts(item_ids)
    assert stored == derived and stored, "the stored facts are the raw rows' facts"
    assert statistics.refresh_items(db.session, item_ids) == 0
    year = Period(date(now.year, 1, 1), date(now.year, 12, 31))
    for group in statistics.GROUPINGS:
        assert statistics.figures(db.session, period=year, group=group, scope=Scope(), now=now) == \
            recount.recount_figures(db.session, period=year, group=group, scope=Scope(), now=now), group
    assert statistics.totals(db.session, period=year, scope=Scope(), now=now) == \
        recount.recount_totals(db.session, period=year, scope=Scope(), now=now)
    tables = statistics_tables()
    statistics.rebuild(db.session)
    assert statistics_tables() == tables, "a rebuild from scratch changes nothing"
    return tables


@pytest.mark.parametrize("by_rule", [True, False], ids=["by a rule", "by the fallback, as the route_feedback task"])
def test_routing_one_item_sends_at_most_8_statements_statistics_included(directory: Directory,
                                                                         by_rule: bool) -> None:
    """Proves issue #11 item 2 on PostgreSQL (it took 22, then 13 with the statistics, 14 by the
    fallback, then 8): the item with "ever held" and the end of its audit chain (1), the rules
    with the commune's People's Committee (1), the claim that also stores unit, rule and
    explanation (1), the case facts with the calendar's overrides (1), the assignment with its
    clocks (1), and one statement writing both events, the unit's and the resident's notices, the
    item's fact, the unit's name and the twelve rollups (1): 6, in the routing's one transaction,
    whether a rule applies or the committee is the fallback. The statistics read nothing: an item
    no unit ever held has one fact, known to routing; what it stores is what the generic refresh,
    the recount and a rebuild make of it. The ``route_feedback`` task (``confirm``) sends the same
    6: the resident's confirmation goes first in the notices."""
    from feedback.services.notifications.receipt_mail import RECEIPT_KIND
    from tests.statements import recorded_statements

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory, locality=directory.village, submitter_email="dan@example.vn",
                         topic=directory.waste if by_rule else directory.land)
    db.session.commit()
    item_id = item.id
    department_id = directory.environment_dept.id if by_rule else directory.ubnd_ha_tu.id
    db.session.expunge_all()

    with recorded_statements() as statements:
        result = route_item(item_id, now=ROUTED_AT, confirm=not by_rule)

    sent = [" ".join(s.split()) for s in statements if "SAVEPOINT" not in s]  # the test harness's own
    assert result.outcome is RouteOutcome.ASSIGNED and result.unit_id == department_id
    assert len(sent) <= 6, "\n".join(sent)
    last = sent[-1]
    assert last.startswith("WITH write_0 AS (INSERT INTO event "), last
    assert "write_1 AS (INSERT INTO notification " in last, last
    assert [s for s in sent if s.startswith("WITH new_assignment AS (INSERT INTO assignment ")
            and "new_clocks AS (INSERT INTO deadline " in s], sent
    assert all(f"INSERT INTO {table} " in last for table in (
        "stat_fact", "stat_unit_name", "stat_daily", "stat_monthly", "stat_monthly_unit", "stat_monthly_place",
        "stat_daily_unit", "stat_monthly_unit_kind", "stat_daily_unit_kind", "stat_monthly_topic_kind",
        "stat_daily_topic_kind", "stat_monthly_commune_kind", "stat_daily_commune_kind",
        "stat_monthly_locality_kind")), last
    assert not [s for s in sent if "stat_" in s and s.startswith("SELECT")], "the statistics read nothing"
    assert not [s for s in sent if "FROM calendar_override" in s and s.startswith("SELECT calendar_override")]
    assert [s for s in sent if s.startswith("SELECT event.seq")] == []
    assert len([s for s in sent if "INSERT INTO event" in s]) == 1
    assert len([s for s in sent if "INSERT INTO notification" in s]) == 1
    assert not [s for s in sent if "FROM deadline" in s and s.startswith("SELECT")]
    routed = db.session.get(Feedback, item_id)
    assert routed is not None
    assert [e.action for e in events(routed)] == ["assigned", "deadlines_set"]
    notices = db.session.scalars(sa.select(Notification.kind).where(Notification.feedback_id == item_id))
    assert sorted(notices) == ["assigned", *([] if by_rule else [RECEIPT_KIND]), "resident_routed"]
    tables = _counted_as_the_raw_rows_say([item_id], ROUTED_AT)
    assert tables[-1] and all(row[0] == "received" and row[3] == department_id for row in tables[-1])


@pytest.mark.parametrize("confirm", [True, False], ids=["three notices, as the route_feedback task", "two notices"])
def test_routing_a_second_item_compiles_no_statement(directory: Directory, confirm: bool) -> None:
    """Issue #11 item 1b: every statement of routing is found compiled in SQLAlchemy's cache when
    the next item comes (one of the same shape: rule or fallback, number of notices). The last
    statement (notices, fact, unit name, the rollups) used to be a multi-row VALUES, which
    SQLAlchemy never caches: built and compiled again for every item, about half of routing's
    CPU. With several notices its rows go as ``INSERT … SELECT … UNION ALL``, in their order: the
    resident's confirmation keeps the lowest id (the mailer sends it first)."""
    from sqlalchemy import event
    from sqlalchemy.engine.interfaces import CacheStats

    from feedback.services.database import driver_statement
    from feedback.services.notifications.receipt_mail import RECEIPT_KIND

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    items = [make_feedback(directory, locality=directory.village, submitter_email="dan@example.vn",
                           topic=directory.land, title=f"Đường hỏng {n}") for n in (1, 2, 3)]
    db.session.commit()
    *earlier, last_id = [item.id for item in items]
    committee_id = directory.ubnd_ha_tu.id
    # Two first: the case facts' read of a process's very first routing gets another cache key than
    # the next ones (main's code does the same; one extra compile per process).
    for n, item_id in enumerate(earlier):
        route_item(item_id, now=ROUTED_AT + timedelta(seconds=n), confirm=confirm)
        db.session.expunge_all()
    misses: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        # Driver SQL (``database.execute_kept``) has no compiled form here: it was compiled once
        # per process, which the count of ``driver_statement``'s compilations below checks.
        if context is not None and "SAVEPOINT" not in statement and context.compiled is not None \
                and context.cache_hit is not CacheStats.CACHE_HIT:
            misses.append(f"{context.cache_hit.name} {' '.join(statement.split())[:200]}")

    compiled_before = driver_statement.cache_info().misses
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = route_item(last_id, now=ROUTED_AT + timedelta(minutes=1), confirm=confirm)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert result.outcome is RouteOutcome.ASSIGNED and result.unit_id == committee_id
    assert misses == []
    assert driver_statement.cache_info().misses == compiled_before, "driver SQL compiled again"
    kinds = list(db.session.scalars(sa.select(Notification.kind).where(Notification.feedback_id == last_id)
                                    .order_by(Notification.id)))
    assert kinds == [*([RECEIPT_KIND] if confirm else []), "assigned", "resident_routed"]


def test_routing_a_second_item_parses_no_placeholders(directory: Directory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #11 item 1b: psycopg turns ``%(name)s`` placeholders into ``$n`` with a regular
    expression and remembers it only for statements under 4,096 bytes and 50 parameters, so
    routing's last statement (events, notices, fact, a dozen rollups: about 200 parameters) was
    parsed at every item, 10 % of routing's CPU. The kept statements' conversions are remembered
    (``database.KeptCursor``): routing the next item converts none again."""
    from psycopg import _queries

    from feedback.services.database import KeptCursor

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    items = [make_feedback(directory, locality=directory.village, submitter_email="dan@example.vn",
                           title=f"Đường hỏng {n}") for n in (1, 2, 3)]
    db.session.commit()
    *earlier, last_id = [item.id for item in items]
    for n, item_id in enumerate(earlier):
        route_item(item_id, now=ROUTED_AT + timedelta(seconds=n), confirm=True)
        db.session.expunge_all()
    parsed: list[int] = []
    real = _queries._query2pg_nocache

    def parse(query: bytes, encoding: str) -> Any:
        parsed.append(len(query))
        return real(query, encoding)

    monkeypatch.setattr(_queries, "_query2pg_nocache", parse)
    assert db.session.connection().connection.driver_connection.cursor_factory is KeptCursor
    result = route_item(last_id, now=ROUTED_AT + timedelta(minutes=1), confirm=True)

    assert result.outcome is RouteOutcome.ASSIGNED
    assert parsed == []


def test_a_first_routing_stores_the_facts_and_rollups_the_generic_refresh_would(directory: Directory) -> None:
    """Proves that routing's own count of a first assignment (``count_first_assignment``) and
    the generic refresh (``refresh_items``, which every other path uses) give identical facts
    and rollups: items of every kind, at a village, a remote village, a ward and the province
    itself, by a rule or by the fallback, routed on both sides of a local midnight, are counted
    by routing; then the statistics are emptied and the generic refresh counts the same items
    from their raw rows: every table is the same."""
    from feedback.models import StatFact
    from feedback.services import statistics
    from tests.services.test_statistics_random import STATISTICS_TABLES, statistics_tables

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    cases = [(Kind.REPORT, directory.village, directory.waste), (Kind.COMMENT, directory.village, directory.land),
             (Kind.COMPLAINT, directory.remote_village, directory.waste), (Kind.PETITION, directory.ha_tu,
             directory.environment), (Kind.DENUNCIATION, directory.ha_tu, directory.other),
             (Kind.REPORT, directory.province, directory.other)]
    items = [make_feedback(directory, kind=kind, locality=place, topic=topic) for kind, place, topic in cases]
    db.session.commit()
    # 23:59 and 00:01 local (UTC+7): the facts fall on two local days
    times = [datetime(2026, 3, 3, 16, 59, tzinfo=UTC), datetime(2026, 3, 3, 17, 1, tzinfo=UTC)]
    outcomes = [route_item(item.id, now=times[i % 2]) for i, item in enumerate(items)]
    assigned = [item.id for item, result in zip(items, outcomes) if result.outcome is RouteOutcome.ASSIGNED]
    assert len(assigned) >= 5, outcomes  # (the province itself has no commune committee to fall back to)
    assert {r.unit_id for r in outcomes} >= {directory.environment_dept.id, directory.ubnd_ha_tu.id}
    by_routing = _counted_as_the_raw_rows_say(assigned, times[1])
    assert len({row[10] for row in by_routing[-1]}) == 2, "facts on both local days"

    for table in (*STATISTICS_TABLES, StatFact):
        db.session.execute(sa.delete(table))
    assert not any(statistics_tables())
    assert statistics.refresh_items(db.session, assigned) == len(assigned)
    assert statistics_tables() == by_routing


def test_a_rolled_back_routing_leaves_no_trace_in_the_statistics(directory: Directory,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves that routing's count is in its own transaction: a routing refused after the
    statistics' write (an IntegrityError, as from a concurrent open assignment) leaves no fact
    and no rollup row; the next run counts the item once."""
    from sqlalchemy.exc import IntegrityError

    from feedback.models import StatDaily, StatFact
    from tests.services.test_statistics_random import statistics_tables

    item = make_feedback(directory)
    db.session.commit()
    real_give = routing.give

    def give_then_refuse(*args: Any, **kwargs: Any) -> Assignment:
        real_give(*args, **kwargs)
        db.session.flush()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StatFact)) == 1  # written, not committed
        raise IntegrityError("INSERT INTO assignment", {}, Exception("uq_assignment_open"))

    monkeypatch.setattr(routing, "give", give_then_refuse)
    assert route_item(item.id, now=ROUTED_AT).outcome is RouteOutcome.SKIPPED
    assert not any(statistics_tables())
    monkeypatch.setattr(routing, "give", real_give)

    assert route_item(item.id, now=ROUTED_AT).outcome is RouteOutcome.ASSIGNED
    assert db.session.scalar(sa.select(sa.func.sum(StatDaily.received))) == 1
    _counted_as_the_raw_rows_say([item.id], ROUTED_AT)


def test_a_counted_event_after_routings_count_brings_the_item_back_to_the_refresh(directory: Directory) -> None:
    """Proves the limit of the shortcut: when the item is returned in the same transaction after
    routing counted its first assignment, the refresh before the commit counts the return and the
    next unit's receipt from the raw rows, as it would have without the shortcut."""
    from feedback.domain.events import Actor
    from feedback.services.routing import return_item

    item = make_feedback(directory)
    db.session.commit()
    first = routing.choose_target(item, ROUTED_AT, held_before=False)
    assert first.first and first.unit.id == directory.ubnd_ha_tu.id
    routing.give(item, first, ROUTED_AT)  # not committed: return_item commits both
    later = ROUTED_AT + timedelta(hours=1)
    returned = return_item(item.id, unit_id=first.unit.id, reason="Không thuộc thẩm quyền.",
                           target_unit_id=directory.environment_dept.id, actor=Actor.system(), now=later)
    assert returned.unit_id == directory.environment_dept.id
    tables = _counted_as_the_raw_rows_say([item.id], later)
    assert sorted((row[0], row[3]) for row in tables[-1]) == [
        ("received", directory.ubnd_ha_tu.id), ("received", directory.environment_dept.id),
        ("transfer", directory.ubnd_ha_tu.id)]


def test_a_routing_refused_by_the_database_is_logged_with_the_refusing_constraint(
        directory: Directory, caplog: pytest.LogCaptureFixture) -> None:
    """Proves: when the database refuses routing's writes (here a fact already stored for an item
    no unit ever held, which routing's own count then cannot insert), the routing is skipped,
    nothing is kept, and the log names the constraint that refused instead of always blaming an
    open assignment."""
    from feedback.services.statistics.values import FactKind
    from feedback.models import StatFact

    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory, locality=directory.village)
    db.session.flush()
    unit = directory.environment_dept
    db.session.add(StatFact(measure=FactKind.RECEIVED.value, feedback_id=item.id, ref=unit.id, unit_id=unit.id,
                            locality_id=item.locality_id, commune_id=directory.ha_tu.id, village_id=directory.village.id,
                            topic_id=item.topic_id, kind=item.kind, at=ROUTED_AT, day=ROUTED_AT.date()))
    db.session.commit()
    item_id = item.id

    with caplog.at_level(logging.ERROR, logger=routing.__name__):
        assert route_item(item_id, now=ROUTED_AT).outcome is RouteOutcome.SKIPPED

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                             .where(Assignment.feedback_id == item_id)) == 0
    (record,) = [r for r in caplog.records if r.name == routing.__name__ and r.levelno == logging.ERROR]
    expected = "uq_stat_fact" if db.engine.dialect.name == "postgresql" else "a unique constraint"
    assert record.getMessage() == f"item {item_id} was received but could not be given: {expected} refused the write"
