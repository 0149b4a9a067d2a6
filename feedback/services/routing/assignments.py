"""Giving an item to a unit: the Assignment row, the clocks, the events and the unit's notice.

One step shared by routing (``routing.route_item``) and transfer (``transfer.return_item``);
it writes in the caller's transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.calendar import local_date
from feedback.domain.assignments import EndReason
from feedback.domain.deadlines import Clock
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Feedback, Unit
from feedback.services.audit import record_event
from feedback.services.deadlines.clocks import first_clocks, mark_met, record_clocks_set, start_clocks
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
    # An item no unit held has no clocks: its first ones are planned before anything is written,
    # so that the assignment and the clocks go in one flush, and both events in one INSERT after.
    fresh_clocks = first_clocks(item, unit, now) if first else []
    assignment = Assignment(
        feedback_id=item.id, unit_id=unit.id, rule_id=rule_id, explanation=explanation, assigned_at=now
    )
    db.session.add(assignment)
    db.session.add_all(fresh_clocks)
    db.session.flush()
    if item.status is not Status.ASSIGNED:
        item.status = next_status(item.status, Status.ASSIGNED)
    item.current_unit_id = unit.id
    item.routing_rule_id = rule_id
    item.routing_explanation = explanation
    item.updated_at = now
    db.session.flush()
    record_event(item, EventAction.ASSIGNED, actor=actor, at=now,
                 after={"unit": unit.name, "unit_id": unit.id, "rule_id": rule_id, "explanation": explanation})
    if first:
        record_clocks_set(item, fresh_clocks, now, actor=actor)
        started = fresh_clocks
    else:
        mark_met(item, Clock.TRANSFER, now, actor=actor)
        started = start_clocks(item, unit, now, actor=actor)
    rows = [_notice(item, unit, assignment, next((d for d in started if d.clock == Clock.RESOLUTION.value), None))]
    told = _resident_notice(item, unit, assignment, now)
    queued = [*notices, *rows, *([told] if told else [])]
    if first:  # its facts are known: counted here, in the notices' statement, not re-read before the commit
        count_first_assignment(db.session(), item, unit, now, along=notifications_insert(queued, now=now))
    else:
        queue_notifications(queued, now=now)
    return assignment


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
