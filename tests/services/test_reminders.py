"""The deadline scan: reminders 2 working days before and on the due day, breach recorded once
and escalated to the parent unit and the Front, exactly once per (deadline, level, recipient),
catch-up after an outage, paused clocks skipped, and an index range scan."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.calendar import end_of_local_day, local_date
from feedback.domain.events import EventAction
from feedback.domain.reminders import Level
from feedback.extensions import db
from feedback.models import Deadline, Event, Notification
from feedback.services.deadlines.reminders import dedupe_key, scan_deadlines
from tests.factories import make_directory
from tests.services.deadline_rows import (
    FRI_13_FEB_0900,
    MON_23_FEB_0800,
    add_deadline,
    assigned_item,
)
from tests.times import (
    DUE_AFTER_TET,
    RECEIVED_BEFORE_TET,
    THU_12_FEB_0900,
    TUE_10_MAR_0900,
    TUE_24_FEB_0001,
    WED_11_FEB_0900,
)


def notifications(deadline: Deadline) -> list[tuple[str, int | None]]:
    """(kind, recipient unit id) of the deadline's notifications, sorted."""
    rows = db.session.execute(
        sa.select(Notification.kind, Notification.recipient_unit_id).where(Notification.deadline_id == deadline.id)
    ).all()
    return sorted((kind, unit_id) for kind, unit_id in rows)


def breach_events(deadline: Deadline) -> list[Event]:
    return list(db.session.scalars(
        sa.select(Event).where(Event.feedback_id == deadline.feedback_id, Event.action == EventAction.DEADLINE_BREACHED)
    ))


def test_before_reminder_two_working_days_ahead_across_tet(db_session: Session) -> None:
    """Proves the 'before' reminder comes on 12/02 (not earlier), to the unit only, keyed once."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)

    assert scan_deadlines(WED_11_FEB_0900).notifications == 0
    assert notifications(deadline) == []

    result = scan_deadlines(THU_12_FEB_0900)

    assert result.notifications == 1
    assert notifications(deadline) == [("deadline_before", d.ubnd_ha_tu.id)]
    row = db.session.scalar(sa.select(Notification).where(Notification.deadline_id == deadline.id))
    assert row is not None
    assert row.dedupe_key == dedupe_key(deadline.id, Level.BEFORE, d.ubnd_ha_tu.id)
    assert row.dedupe_key == f"deadline:{deadline.id}:before:unit:{d.ubnd_ha_tu.id}"
    assert "Nhắc hạn" in row.subject and row.feedback_id == deadline.feedback_id
    assert "23/02/2026" in row.body and "Nguyễn" not in row.body
    # The next day, still before the due day: nothing new.
    assert scan_deadlines(FRI_13_FEB_0900).notifications == 0


def test_due_day_reminder_on_the_due_day(db_session: Session) -> None:
    """Proves the due-day reminder: after the 'before' one, on 23/02 the unit gets 'due_day'."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)
    scan_deadlines(THU_12_FEB_0900)

    result = scan_deadlines(MON_23_FEB_0800)

    assert result.notifications == 1 and result.breaches == 0
    assert notifications(deadline) == [("deadline_before", d.ubnd_ha_tu.id), ("deadline_due_day", d.ubnd_ha_tu.id)]
    db.session.refresh(deadline)
    assert deadline.breached_at is None


def test_breach_is_recorded_once_and_escalated_to_parent_and_commune_front(db_session: Session) -> None:
    """Proves a breach sets breached_at, writes one audit event, and notifies exactly the unit, its
    parent (UBND tỉnh) and the Front committee of the item's commune (not the province's)."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu, d.village), d.ubnd_ha_tu)

    result = scan_deadlines(TUE_24_FEB_0001)

    assert result.breaches == 1 and result.notifications == 3
    assert notifications(deadline) == sorted([
        ("deadline_breach", d.ubnd_ha_tu.id),
        ("deadline_breach", d.province_committee.id),
        ("deadline_breach", d.front_ha_tu.id),
    ])
    db.session.refresh(deadline)
    assert deadline.breached_at == TUE_24_FEB_0001
    [event] = breach_events(deadline)
    assert event.after is not None
    assert event.after["deadline_id"] == deadline.id
    assert sorted(event.after["escalated_to"]) == sorted([d.province_committee.id, d.front_ha_tu.id])


def test_front_falls_back_to_the_province_when_the_commune_has_none(db_session: Session) -> None:
    """Proves the Front lookup: Vân Đồn has no Front committee in the directory, so the province's is told."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_van_don, d.remote_village), d.ubnd_van_don)

    scan_deadlines(TUE_24_FEB_0001)

    recipients = {unit_id for _, unit_id in notifications(deadline)}
    assert recipients == {d.ubnd_van_don.id, d.province_committee.id, d.front_province.id}


def test_scanning_twice_changes_nothing(db_session: Session) -> None:
    """Proves idempotency: a second scan at the same time, and a later one, add no row or event."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)

    first = scan_deadlines(TUE_24_FEB_0001)
    second = scan_deadlines(TUE_24_FEB_0001)
    later = scan_deadlines(TUE_24_FEB_0001 + timedelta(days=3))

    assert (first.breaches, first.notifications) == (1, 3)
    assert (second.breaches, second.notifications) == (0, 0)
    assert (later.breaches, later.notifications) == (0, 0)
    assert len(notifications(deadline)) == 3
    assert len(breach_events(deadline)) == 1
    db.session.refresh(deadline)
    assert deadline.breached_at == TUE_24_FEB_0001


def test_catch_up_after_an_outage_sends_the_breach_once_and_no_stale_reminders(db_session: Session) -> None:
    """Proves the catch-up policy: a worker stopped from before 12/02 until 10/03 records the breach
    and escalates once; the missed 'before' and 'due_day' reminders are superseded, not sent late."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)

    result = scan_deadlines(TUE_10_MAR_0900)
    again = scan_deadlines(TUE_10_MAR_0900 + timedelta(minutes=1))

    assert (result.breaches, result.notifications) == (1, 3)
    assert (again.breaches, again.notifications) == (0, 0)
    kinds = [kind for kind, _ in notifications(deadline)]
    assert kinds == ["deadline_breach"] * 3
    db.session.refresh(deadline)
    assert deadline.breached_at == TUE_10_MAR_0900
    assert len(breach_events(deadline)) == 1


def test_catch_up_on_the_due_day_sends_only_the_due_day_reminder(db_session: Session) -> None:
    """Proves a missed 'before' reminder is skipped once the due day has come."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)

    scan_deadlines(MON_23_FEB_0800)

    assert notifications(deadline) == [("deadline_due_day", d.ubnd_ha_tu.id)]


def test_paused_closed_and_met_clocks_are_not_scanned(db_session: Session) -> None:
    """Proves a paused clock (waiting for the resident), a closed and a met one get nothing."""
    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu)
    paused = add_deadline(item, d.ubnd_ha_tu, paused_at=THU_12_FEB_0900)
    closed = add_deadline(item, d.ubnd_ha_tu, sequence=2, closed_at=FRI_13_FEB_0900)
    met = add_deadline(item, d.ubnd_ha_tu, sequence=3, met_at=FRI_13_FEB_0900)

    result = scan_deadlines(TUE_10_MAR_0900)

    assert result == type(result)(examined=0, notifications=0, breaches=0)
    for deadline in (paused, closed, met):
        assert notifications(deadline) == []
        db.session.refresh(deadline)
        assert deadline.breached_at is None


def test_all_due_deadlines_are_handled_across_batches(db_session: Session) -> None:
    """Proves keyset paging: with batch=2, five deadlines due at the same instant all get reminded."""
    d = make_directory()
    deadlines = [add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu) for _ in range(5)]

    result = scan_deadlines(MON_23_FEB_0800, batch=2)

    assert result.examined == 5 and result.notifications == 5
    assert all(notifications(x) == [("deadline_due_day", d.ubnd_ha_tu.id)] for x in deadlines)


def test_a_clock_without_a_unit_still_escalates_to_the_front(db_session: Session) -> None:
    """Proves an item that no unit holds (stranded in routing) is still escalated to the Front."""
    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu)
    item.current_unit = None
    deadline = add_deadline(item, None)

    result = scan_deadlines(TUE_24_FEB_0001)

    assert result.breaches == 1
    assert notifications(deadline) == [("deadline_breach", d.front_ha_tu.id)]


def _plan_nodes(plan: dict[str, object]) -> list[dict[str, object]]:
    nodes = [plan]
    for child in plan.get("Plans", []):  # type: ignore[union-attr]
        nodes.extend(_plan_nodes(child))  # type: ignore[arg-type]
    return nodes


def test_the_scan_reads_only_due_deadlines_through_the_partial_index(db_session: Session) -> None:
    """Proves the cost depends on the items due: with 3,000 open deadlines due in 2027 (inserted in
    bulk, so the column default alone gives them their notify_at), the scan's own query (captured
    as executed) is one index scan of ix_deadline_wake, read in the scan's order (no sort, no
    other index for the running conditions), that examines only the 5 rows due, never a
    sequential scan of the table."""
    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu)
    far = end_of_local_day(date(2027, 6, 1))
    db.session.execute(sa.insert(Deadline), [
        dict(feedback_id=item.id, unit_id=d.ubnd_ha_tu.id, clock="resolution", sequence=100 + i,
             legal_basis="x", day_type="working", period_days=15, starts_at=RECEIVED_BEFORE_TET,
             due_at=far + timedelta(minutes=i), extensions=0, created_at=RECEIVED_BEFORE_TET)
        for i in range(3000)
    ])
    for i in range(5):
        add_deadline(item, d.ubnd_ha_tu, sequence=i + 1)
    db.session.flush()
    db.session.execute(sa.text("ANALYZE deadline"))

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM deadline" in statement and "notify_at <=" in statement:
            captured.append((statement, parameters))

    connection = db.session.connection()
    sa.event.listen(connection, "before_cursor_execute", capture)
    try:
        result = scan_deadlines(MON_23_FEB_0800)
    finally:
        sa.event.remove(connection, "before_cursor_execute", capture)

    assert result.examined == 5 and captured
    statement, parameters = captured[0]
    raw = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
    plan = raw.scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = _plan_nodes(plan[0]["Plan"])
    on_deadline = [n for n in nodes if n.get("Relation Name") == "deadline"]
    assert [n["Node Type"] for n in on_deadline if n["Node Type"] == "Seq Scan"] == []
    assert [n.get("Index Name") for n in nodes if "Index Name" in n] == ["ix_deadline_wake"]
    assert [n["Node Type"] for n in nodes if n["Node Type"] in ("Sort", "BitmapAnd")] == []
    index_node = next(n for n in nodes if n.get("Index Name") == "ix_deadline_wake")
    examined = int(index_node["Actual Rows"]) + int(index_node.get("Rows Removed by Filter", 0))  # type: ignore[call-overload]
    assert examined <= 5
    assert local_date(MON_23_FEB_0800) == date(2026, 2, 23)


def test_two_clocks_of_one_item_breached_in_one_scan_keep_the_audit_chain(db_session: Session) -> None:
    """Proves two breaches of the same item in one scan write two chained events (seq n, n+1) and
    the chain still verifies: the per-deadline savepoints do not fork it."""
    from feedback.services.audit import verify_chain

    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu)
    acceptance = add_deadline(item, d.ubnd_ha_tu, DUE_AFTER_TET - timedelta(days=7), clock="acceptance")
    resolution = add_deadline(item, d.ubnd_ha_tu)

    result = scan_deadlines(TUE_10_MAR_0900)

    assert result.breaches == 2
    events = breach_events(resolution)
    assert sorted(e.after["deadline_id"] for e in events if e.after) == sorted([acceptance.id, resolution.id])
    first, second = sorted(e.seq for e in events)
    assert second == first + 1
    assert verify_chain(item.id)


def test_each_message_says_its_own_thing_and_never_the_residents_text(db_session: Session) -> None:
    """Proves: the four texts (before, due day, breach to the unit, breach to a supervisor) are
    distinct, filled in (no "%(" left), name the item by code and the due date, and never carry
    the resident's title. Guards the table of messages in ``reminder_messages``."""
    from feedback.services.deadlines.reminder_messages import render_message

    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu, title="Rác thải tồn đọng ở ngõ 5")
    deadline = add_deadline(item, d.ubnd_ha_tu)
    cases = [("before", "unit"), ("due_day", "unit"), ("breach", "unit"), ("breach", "parent")]
    texts = [render_message(deadline, level, role, d.ubnd_ha_tu, d.ubnd_ha_tu) for level, role in cases]

    assert len({subject for subject, _ in texts}) == 4 and len({body for _, body in texts}) == 4
    for subject, body in texts:
        assert str(item.code) in subject and "23/02/2026" in body and "%(" not in subject + body
        assert "ngõ 5" not in subject + body
    assert texts[0][0].startswith("[Nhắc hạn]") and texts[1][0].startswith("[Đến hạn hôm nay]")
    assert "đã quá hạn" in texts[2][0] and d.ubnd_ha_tu.name in texts[3][0]


def test_a_tick_reads_only_what_falls_due_in_it_with_a_fixed_number_of_statements(db_session: Session) -> None:
    """Proves issue #11's fix: a clock already reminded is not read again until its next notice
    (the second tick examines nothing although 30 clocks are open inside the reminder window), and
    a tick's statements do not grow with the clocks due (30 reminders cost what 3 cost: one
    INSERT of all notifications, no SAVEPOINT, no read of the notification table)."""
    from tests.statements import recorded_statements

    d = make_directory()
    few = [add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu) for _ in range(3)]
    with recorded_statements() as small:
        first = scan_deadlines(THU_12_FEB_0900)
    assert first.examined == 3 and first.notifications == 3
    many = [add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu) for _ in range(30)]
    with recorded_statements() as large:
        second = scan_deadlines(THU_12_FEB_0900 + timedelta(minutes=1))
    assert second.examined == 30 and second.notifications == 30
    assert len(large) == len(small)
    assert not [s for s in large if "FROM notification" in s], large
    # The per-deadline savepoints are gone; what is left is the test harness's own (one per commit).
    assert len([s for s in large if "SAVEPOINT" in s]) <= 2, large
    assert len([s for s in large if s.startswith("INSERT INTO notification")]) == 1

    with recorded_statements() as idle:
        third = scan_deadlines(FRI_13_FEB_0900)
    assert third == type(third)(examined=0, notifications=0, breaches=0)
    assert [s for s in idle if "SAVEPOINT" not in s and "FROM deadline" not in s] == []
    assert len([s for s in idle if "FROM deadline" in s]) == 1  # the one read, which found nothing

    # The next notice of each clock is its due day's morning, then the breach: read again only then.
    on_due_day = scan_deadlines(MON_23_FEB_0800)
    assert on_due_day.examined == 33 and on_due_day.notifications == 33
    assert scan_deadlines(MON_23_FEB_0800 + timedelta(hours=1)).examined == 0
    assert all(notifications(x) == [("deadline_before", d.ubnd_ha_tu.id), ("deadline_due_day", d.ubnd_ha_tu.id)]
               for x in few + many)


def test_a_clock_extended_or_resumed_through_the_orm_is_looked_at_again(db_session: Session) -> None:
    """Proves the notify_at listener: a clock whose due time moves (or that is paused and resumed)
    gets its first wake again from the new due time, so its reminders follow the new date."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)
    assert scan_deadlines(THU_12_FEB_0900).notifications == 1
    db.session.refresh(deadline)
    assert deadline.notify_at is not None and deadline.notify_at > THU_12_FEB_0900

    deadline.paused_at = FRI_13_FEB_0900
    db.session.flush()
    db.session.refresh(deadline)
    assert deadline.notify_at is None
    deadline.paused_at = None
    deadline.due_at = DUE_AFTER_TET + timedelta(days=14)
    db.session.flush()
    db.session.refresh(deadline)
    assert deadline.notify_at == DUE_AFTER_TET + timedelta(days=14) - timedelta(days=31)

    # Due on 09/03 now: nothing on 23/02 (it was the old due day), the "before" reminder is kept
    # (same level, sent once), the breach comes after the new date only.
    assert scan_deadlines(MON_23_FEB_0800).notifications == 0
    assert scan_deadlines(TUE_10_MAR_0900).breaches == 1


def test_a_clash_on_the_audit_chain_redoes_the_batch_one_clock_at_a_time(db_session: Session) -> None:
    """Proves the concurrency path of the set-based batch: when the batch's one INSERT of audit
    events is refused because a concurrent writer took an item's next seq (simulated by writing
    that row just before the INSERT runs), the batch is rolled back and redone a clock at a time:
    both breaches are still recorded with exactly one chained event each and escalated."""
    from feedback.services.audit import verify_chain

    d = make_directory()
    items = [assigned_item(d, d.ubnd_ha_tu) for _ in range(2)]
    deadlines = [add_deadline(item, d.ubnd_ha_tu) for item in items]
    db.session.commit()  # the scan's rollback goes back to here
    clashed: list[str] = []

    def clash(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO event") and not clashed:
            clashed.append(statement)
            cursor.connection.execute(
                "INSERT INTO event (feedback_id, seq, action, actor, at, public, prev_hash, hash) "
                "VALUES (%s, 1, 'note', 'other writer', now(), false, '', 'x')", (items[0].id,))

    connection = db.session.connection()
    sa.event.listen(connection, "before_cursor_execute", clash)
    try:
        result = scan_deadlines(TUE_24_FEB_0001)
    finally:
        sa.event.remove(connection, "before_cursor_execute", clash)

    assert clashed and result.breaches == 2
    for item, deadline in zip(items, deadlines, strict=True):
        assert len(breach_events(deadline)) == 1
        assert [e.action for e in db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id))] == [
            EventAction.DEADLINE_BREACHED]
        assert ("deadline_breach", d.ubnd_ha_tu.id) in notifications(deadline)
        assert verify_chain(item.id)


def test_the_scan_writes_the_texts_render_message_gives(db_session: Session) -> None:
    """Proves the set-based rendering (texts looked up once per tick, values read as rows) writes
    exactly what ``render_message`` gives for the ORM row, for a reminder and for each breach
    recipient (the unit, its parent, the Front)."""
    from feedback.models import Unit
    from feedback.services.deadlines.reminder_messages import render_message

    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu, d.village), d.ubnd_ha_tu)
    scan_deadlines(THU_12_FEB_0900)
    scan_deadlines(TUE_24_FEB_0001)

    rows = db.session.scalars(sa.select(Notification).where(Notification.deadline_id == deadline.id)).all()
    assert len(rows) == 4
    for row in rows:
        level = row.kind.removeprefix("deadline_")
        recipient = db.session.get(Unit, row.recipient_unit_id)
        assert recipient is not None
        role = "unit" if recipient.id == d.ubnd_ha_tu.id else "parent"
        assert (row.subject, row.body) == render_message(deadline, level, role, recipient, d.ubnd_ha_tu)
