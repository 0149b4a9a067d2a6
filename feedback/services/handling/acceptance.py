"""Acceptance (thụ lý): the unit takes the item up; the first-step clock is met and, for
khiếu nại and tố cáo, the resolution clock is re-planned from the real acceptance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from feedback.domain.access import Action
from feedback.domain.deadlines import Clock, plan_on_acceptance, resolution_counts_from_acceptance
from feedback.domain.events import EventAction
from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Deadline, Feedback, InfoRequest, User
from feedback.services.audit import record_event
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.deadlines.clocks import add_planned, case_facts, mark_met, open_deadlines
from feedback.services.handling.common import locked_item, move, require, require_status
from feedback.services.handling.errors import WrongStatus
from feedback.services.handling.resident_notices import Notice, tell_resident

def accept(user: User, feedback_id: int, *, now: datetime) -> list[Deadline]:
    """The unit holding the item accepts it at ``now`` (HANDLE); commits; returns the new clocks.

    assigned → in_progress, ``accepted_at = now``, the ACCEPTANCE clock met (on time or late, a
    fact). Khiếu nại and tố cáo: the open RESOLUTION clock is superseded (closed, not met) by one
    counted from ``now`` (``plan_on_acceptance``, Luật Khiếu nại 2011 Art. 28, Luật Tố cáo 2018
    Art. 30), and a tố cáo gets its ACCEPTANCE_NOTICE clock (5 working days, Art. 29(3)).
    Informal kinds keep their resolution clock. Writes a public "accepted" event; tells the
    resident. WrongStatus unless assigned, or while waiting for the resident's information;
    NotAllowed for anyone outside the holding unit.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_status(item, {Status.ASSIGNED})
        if waiting_for_resident(item):
            raise WrongStatus(_("Ý kiến đang chờ người gửi bổ sung thông tin: chưa thể thụ lý."))
        move(item, Status.IN_PROGRESS)
        item.accepted_at = now
        item.updated_at = now
        mark_met(item, Clock.ACCEPTANCE, now, actor=actor)
        rows = _replan(item, now) if resolution_counts_from_acceptance(item.kind) else []
        record_event(item, EventAction.ACCEPTED, actor=actor, at=now,
                     after={"status": item.status.value, "accepted_at": now.isoformat(),
                            "deadlines": [_describe(row) for row in rows]})
        tell_resident(item, Notice.ACCEPTED, occurrence=str(_open_assignment_id(item)), now=now)
        db.session.commit()
        return rows
    except BaseException:
        db.session.rollback()
        raise


def acceptance_notice_sent(user: User, feedback_id: int, *, now: datetime) -> bool:
    """The unit (HANDLE) records that it sent the denouncer the written notice of acceptance
    (Luật Tố cáo 2018 Art. 29(3)); the ACCEPTANCE_NOTICE clock is met at ``now``, on time or
    late (public "deadline_met" event); commits. False when no such clock is open (idempotent)."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        met = mark_met(item, Clock.ACCEPTANCE_NOTICE, now, actor=actor)
        db.session.commit()
        return bool(met)
    except BaseException:
        db.session.rollback()
        raise


def waiting_for_resident(item: Feedback) -> bool:
    """Whether the item has an unanswered request for more information."""
    return bool(db.session.scalar(
        select(func.count()).select_from(InfoRequest).where(
            InfoRequest.feedback_id == item.id, InfoRequest.answered_at.is_(None))
    ))


def _replan(item: Feedback, now: datetime) -> list[Deadline]:
    """Supersede the open RESOLUTION clock and write the clocks the acceptance sets."""
    for old in open_deadlines(item, [Clock.RESOLUTION], lock=True):
        old.closed_at = now  # superseded, neither met nor breached by this
    return add_planned(item, plan_on_acceptance(now, case_facts(item), calendar_for(item.received_at, now)), now)


def _describe(row: Deadline) -> dict[str, Any]:
    return {"id": row.id, "clock": row.clock, "due_at": row.due_at.isoformat(), "legal_basis": row.legal_basis}


def _open_assignment_id(item: Feedback) -> int | None:
    return next((a.id for a in item.assignments if a.ended_at is None), None)
