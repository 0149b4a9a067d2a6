"""Giving an item to a unit: the Assignment row, the clocks, the events and the unit's notice.

One step shared by routing (``routing.route_item``) and transfer (``transfer.return_item``);
it writes in the caller's transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, true

from feedback.domain.calendar import local_date
from feedback.domain.assignments import EndReason
from feedback.domain.deadlines import Clock
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Feedback, Unit
from feedback.models.feedback import first_wake
from feedback.services.audit import NewEvent, chained_rows, events_insert, record_event
from feedback.services.database import execute_kept, on_postgresql, per_shape, rows_insert, rows_params
from feedback.services.deadlines.clocks import clocks_set_after, first_clocks, mark_met, start_clocks
from feedback.services.notifications.outbox import item_facts, notifications_insert, queue_notifications
from feedback.services.statistics import count_first_assignment


def returned_reason(assignment: Assignment) -> str | None:
    """The reason a unit gave when it returned the item, or None if this was not a return."""
    if assignment.ended_at is None or assignment.end_reason is not EndReason.NOT_COMPETENT:
        return None
    return assignment.end_reason_text or ""


def returns_of(item: Feedback) -> list[Assignment]:
    """The item's assignments that ended with a return, oldest first. Transfers are counted from
    these rows (never from a counter)."""
    return list(db.session.scalars(
        select(Assignment)
        .where(Assignment.feedback_id == item.id, Assignment.ended_at.is_not(None),
               Assignment.end_reason == EndReason.NOT_COMPETENT)
        .order_by(Assignment.id)
    ))


def open_assignment(item: Feedback) -> Assignment | None:
    """The assignment in force (at most one: a partial unique index guarantees it)."""
    return db.session.scalar(
        select(Assignment).where(Assignment.feedback_id == item.id, Assignment.ended_at.is_(None))
    )


def assign(
    item: Feedback,
    unit: Unit,
    *,
    rule_id: int | None,
    explanation: str,
    now: datetime,
    actor: Actor = Actor.system(),
    first: bool = False,
    notices: Sequence[dict[str, object]] = (),
) -> Assignment:
    """Give ``item`` to ``unit`` and tell the unit.

    Creates the Assignment (the partial unique index refuses a second open one: IntegrityError
    at flush, which the caller turns into "already assigned"), stores the unit, rule and
    explanation on the item, sets the status assigned, meets any open TRANSFER clock (the item
    reached the next unit), starts or hands over the clocks (``start_clocks``), writes the
    public "assigned" event and queues one notification per assignment to the unit (dedupe key
    ``assigned:<assignment id>``) and one to the resident when they gave an email (the item's
    language, the code and the unit's name only; ``handling.resident_notices``). ``first`` says
    that no unit ever held the item (the caller read its assignments): it then has no clocks, and
    none are looked up, and its statistics are counted here, in the notices' statement
    (``statistics.count_first_assignment``), instead of being re-derived before the commit.
    ``notices`` (notification rows the caller has ready, such as the resident's confirmation) go
    first in the same INSERT as these. Does not commit.
    """
    if first:
        return _assign_first(item, unit, rule_id=rule_id, explanation=explanation, now=now, actor=actor,
                             notices=notices)
    assignment = Assignment(
        feedback_id=item.id, unit_id=unit.id, rule_id=rule_id, explanation=explanation, assigned_at=now
    )
    db.session.add(assignment)
    db.session.flush()
    _store_on_item(item, unit, rule_id, explanation, now)
    db.session.flush()
    record_event(item, EventAction.ASSIGNED, actor=actor, at=now, after=_assigned_after(unit, rule_id, explanation))
    mark_met(item, Clock.TRANSFER, now, actor=actor)
    started = start_clocks(item, unit, now, actor=actor)
    rows = [_notice(item, unit, assignment, next((d for d in started if d.clock == Clock.RESOLUTION.value), None))]
    told = _resident_notice(item, unit, assignment, now)
    queue_notifications([*notices, *rows, *([told] if told else [])], now=now)
    return assignment


def _store_on_item(item: Feedback, unit: Unit, rule_id: int | None, explanation: str, now: datetime) -> None:
    """What an assignment changes on the item (ORM attributes, written at the next flush). Only
    the values that differ are set: when the caller's claim wrote them already (``route_item``)
    the item stays clean, and no flush has to look at it."""
    if item.status is not Status.ASSIGNED:
        item.status = next_status(item.status, Status.ASSIGNED)
    for name, value in (("current_unit_id", unit.id), ("routing_rule_id", rule_id),
                        ("routing_explanation", explanation), ("updated_at", now)):
        if getattr(item, name) != value:
            setattr(item, name, value)


def _assigned_after(unit: Unit, rule_id: int | None, explanation: str) -> dict[str, Any]:
    """The "assigned" event's ``after``."""
    return {"unit": unit.name, "unit_id": unit.id, "rule_id": rule_id, "explanation": explanation}


def _assign_first(item: Feedback, unit: Unit, *, rule_id: int | None, explanation: str, now: datetime, actor: Actor,
                  notices: Sequence[dict[str, object]]) -> Assignment:
    """``assign`` of an item no unit ever held (issue #11: the routing of every new item), with the
    same rows written as plain values, no ORM object flushed: the assignment and its first clocks
    in one statement (``_insert_assignment_and_clocks``), then the two events (chained as
    ``record_event`` chains them), the notices, the item's fact and its rollups in one more
    (``statistics.count_first_assignment``). Returns the assignment as a transient object with its
    id (not in the session); the clocks are transient too."""
    # Its first clocks are planned before anything is written (the case facts' read).
    clocks = first_clocks(item, unit, now)
    assignment = Assignment(feedback_id=item.id, unit_id=unit.id, rule_id=rule_id, explanation=explanation,
                            assigned_at=now)
    _store_on_item(item, unit, rule_id, explanation, now)
    _insert_assignment_and_clocks(assignment, clocks)
    events = chained_rows([
        NewEvent(feedback_id=item.id, action=action, actor=actor, at=now, locality_id=item.locality_id,
                 topic_id=item.topic_id, unit_id=unit.id, after=after)
        for action, after in ((EventAction.ASSIGNED, _assigned_after(unit, rule_id, explanation)),
                              (EventAction.DEADLINES_SET, clocks_set_after(clocks)))
    ])
    resolution = next((d for d in clocks if d.clock == Clock.RESOLUTION.value), None)
    told = _resident_notice(item, unit, assignment, now)
    queued = [*notices, _notice(item, unit, assignment, resolution), *([told] if told else [])]
    # Its facts are known: counted here, in the statement of its events and notices.
    count_first_assignment(db.session(), item, unit, now,
                           along=[events_insert(events), notifications_insert(queued, now=now)])
    return assignment


# The columns routing writes of a new assignment and of a new clock (the others are NULL).
_ASSIGNMENT_COLUMNS = ("feedback_id", "unit_id", "rule_id", "explanation", "assigned_at")
_CLOCK_COLUMNS = ("feedback_id", "unit_id", "clock", "sequence", "legal_basis", "day_type", "period_days",
                  "starts_at", "due_at", "extensions", "created_at", "notify_at")


def _insert_assignment_and_clocks(assignment: Assignment, clocks: Sequence[Deadline]) -> None:
    """INSERT ``assignment`` and ``clocks`` (transient objects, left out of the session) with the
    values the ORM would write (the models' defaults: a clock's ``sequence``, ``extensions`` and
    ``notify_at``), and set their ids: on PostgreSQL in one statement (the assignment's INSERT a
    data-modifying WITH query of the clocks'), kept compiled (``database.execute_kept``); on
    SQLite one INSERT each. The open assignment's unique index refuses a second one
    (IntegrityError), as the ORM's flush did."""
    for clock in clocks:
        clock.sequence = 1 if clock.sequence is None else clock.sequence
        clock.extensions = 0 if clock.extensions is None else clock.extensions
        clock.notify_at = first_wake(clock.due_at)
    new = {name: getattr(assignment, name) for name in _ASSIGNMENT_COLUMNS}
    rows = [{name: getattr(clock, name) for name in _CLOCK_COLUMNS} for clock in clocks]
    params = {**rows_params("assignment", _ASSIGNMENT_COLUMNS, [new]), **rows_params("deadline", _CLOCK_COLUMNS, rows)}
    if on_postgresql() and rows:
        ids = {clock: (assignment_id, clock_id) for assignment_id, clock_id, clock in
               execute_kept(_assignment_and_clocks_statement(len(rows)), params)}
        assignment.id = next(iter(ids.values()))[0]
    else:
        postgres = on_postgresql()
        assignment.id = db.session.execute(_assignment_statement(postgres), params).scalar_one()
        ids = {clock: (assignment.id, clock_id) for clock_id, clock in
               db.session.execute(_clocks_statement(len(rows), postgres), params)} if rows else {}
    for clock in clocks:
        clock.id = ids[clock.clock][1]


@lru_cache(maxsize=2)
def _assignment_statement(_postgres: bool) -> Any:
    """The assignment's INSERT, returning its id (``_postgres``: the session's dialect, which
    ``rows_insert`` builds for)."""
    return rows_insert(Assignment.__table__, _ASSIGNMENT_COLUMNS, 1, "assignment").returning(Assignment.id)


@per_shape
def _clocks_statement(count: int, _postgres: bool) -> Any:
    """The INSERT of ``count`` clocks, returning each one's id and clock."""
    return rows_insert(Deadline.__table__, _CLOCK_COLUMNS, count, "deadline").returning(Deadline.id, Deadline.clock)


@per_shape
def _assignment_and_clocks_statement(count: int) -> Any:
    """PostgreSQL: the assignment and ``count`` clocks, one row per clock (assignment id, clock id,
    clock)."""
    new_assignment = _assignment_statement(True).cte("new_assignment")
    new_clocks = _clocks_statement(count, True).cte("new_clocks")
    return select(new_assignment.c.id, new_clocks.c.id, new_clocks.c.clock).select_from(
        new_assignment.join(new_clocks, true()))


def _resident_notice(item: Feedback, unit: Unit, assignment: Assignment, now: datetime) -> dict[str, object] | None:
    # Imported here: handling's refusals return items through ``routing.transfer``, which
    # imports this module, so a module-level import would be circular.
    from feedback.services.handling.resident_notices import Notice, resident_notice

    return resident_notice(item, Notice.ROUTED, occurrence=str(assignment.id), now=now, unit=unit.name)


def _notice(item: Feedback, unit: Unit, assignment: Assignment,
            resolution: Deadline | None = None) -> dict[str, object]:
    """The unit's notice as a notification row; ``resolution`` is the clock just started, else it
    is read."""
    if resolution is None:
        resolution = db.session.scalar(
            select(Deadline)
            .where(Deadline.feedback_id == item.id, Deadline.clock == Clock.RESOLUTION.value,
                   Deadline.closed_at.is_(None))
            .order_by(Deadline.id.desc())
            .limit(1)
        )
    due = local_date(resolution.due_at).strftime("%d/%m/%Y") if resolution is not None else "—"
    facts = item_facts(item)
    subject = _("Ý kiến %(code)s được giao cho %(unit)s", code=facts["code"], unit=unit.name)
    # Code, kind, topic and deadline only: the resident's text is read after logging in
    # (notifications.item_facts says why).
    body = _(
        "Đơn vị %(unit)s được giao xử lý ý kiến %(code)s.\n"
        "Loại: %(kind)s\n"
        "Lĩnh vực: %(topic)s\n"
        "Căn cứ giao: %(explanation)s\n"
        "Hạn giải quyết: %(due)s\n"
        "Đăng nhập hệ thống để xem nội dung: %(url)s",
        unit=unit.name,
        explanation=assignment.explanation,
        due=due,
        url=current_app.config["PUBLIC_BASE_URL"],
        code=facts["code"],
        kind=facts["kind"],
        topic=facts["topic"],
    )
    return dict(dedupe_key=f"assigned:{assignment.id}", kind="assigned", subject=subject, body=body,
                feedback_id=item.id, recipient_unit_id=unit.id, recipient_email=unit.email)
