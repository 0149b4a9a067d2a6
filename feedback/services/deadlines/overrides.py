"""The working calendar in force: public holidays plus administrator overrides.

``calendar_for`` (from ``work_calendar``) builds the WorkCalendar for the years a computation
touches, from the ``holidays`` package and the CalendarOverride rows. ``add_override`` and ``remove_override``
change the overrides and recompute the due dates of OPEN deadlines (not closed, not breached):
a breach already recorded is a fact about the past and is never rewritten (DESIGN.md §5).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from feedback.domain.calendar import WorkCalendar, end_of_local_day, start_of_local_day
from feedback.domain.deadlines import Clock
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import CalendarOverride, Deadline, Feedback
from feedback.services.audit import record_event
from feedback.services.deadlines.replay import operations_for, recompute_due_at
from feedback.services.deadlines.calendar import calendar_for, calendar_for_years

__all__ = ["add_override", "calendar_for", "calendar_for_years", "remove_override"]

log = logging.getLogger(__name__)



def add_override(
    day: date,
    is_day_off: bool,
    note: str,
    *,
    now: datetime,
    actor: Actor,
) -> int:
    """Declare ``day`` a day off (``is_day_off``) or a working day, and recompute open deadlines.

    An existing override for the same day is replaced. Every open deadline (``closed_at`` and
    ``breached_at`` both NULL) whose period may include ``day`` gets its due date recomputed with
    the new calendar, pauses and extensions replayed (see ``deadline_replay``); each
    item whose deadlines moved gets one "deadline_recomputed" event. Breached or closed
    deadlines are never touched. Commits. Returns the number of deadlines whose due date changed
    (0 when the calendar already said so). Idempotent: a second identical call returns 0.
    """
    row = db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        db.session.add(CalendarOverride(day=day, is_day_off=is_day_off, note=note, created_at=now))
    else:
        row.is_day_off = is_day_off
        row.note = note
    db.session.flush()
    changed = _recompute_around(day, now=now, actor=actor,
                                note=f"override {day.isoformat()} {'off' if is_day_off else 'worked'}")
    db.session.commit()
    log.info("calendar override %s (day off: %s) recomputed %d deadlines", day, is_day_off, changed)
    return changed


def remove_override(day: date, *, now: datetime, actor: Actor) -> int:
    """Delete the override of ``day`` (if any) and recompute open deadlines as ``add_override`` does.

    Commits. Returns the number of deadlines whose due date changed; 0 when there was no
    override for ``day``. Idempotent.
    """
    row = db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        return 0
    db.session.delete(row)
    db.session.flush()
    changed = _recompute_around(day, now=now, actor=actor,
                                note=f"override {day.isoformat()} removed")
    db.session.commit()
    log.info("calendar override %s removed, recomputed %d deadlines", day, changed)
    return changed


def _recompute_around(day: date, *, now: datetime, actor: Actor, note: str) -> int:
    """Recompute open deadlines that may count ``day``; write one event per affected item.

    Every day the arithmetic looks at lies after the start day and at or before the final due
    day, so only clocks that started before ``day`` and fall due on or after it can move (one
    day of margin is kept on both sides). A complaint or tố cáo whose resolution clock is still
    planned from the acceptance due date (``plan_deadlines``) follows its acceptance clock.
    The rows are locked so that a concurrent pause or extension waits for this change.
    """
    candidates = db.session.scalars(
        select(Deadline)
        .where(
            Deadline.closed_at.is_(None),
            Deadline.breached_at.is_(None),
            Deadline.starts_at < end_of_local_day(day) + timedelta(days=1),
            Deadline.due_at >= start_of_local_day(day) - timedelta(days=1),
        )
        .order_by(Deadline.feedback_id, Deadline.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    changes: dict[int, list[dict[str, Any]]] = {}
    operations = operations_for(d.feedback_id for d in candidates)
    calendars: dict[tuple[int, int], WorkCalendar] = {}

    def move(deadline: Deadline) -> bool:
        """Store the recomputed due date of ``deadline``; True when it changed."""
        new_due = recompute_due_at(deadline, operations, calendars)
        if new_due == deadline.due_at:
            return False
        changes.setdefault(deadline.feedback_id, []).append(
            {"id": deadline.id, "clock": deadline.clock, "before": deadline.due_at.isoformat(),
             "due_at": new_due.isoformat()}
        )
        deadline.due_at = new_due
        return True

    for deadline in candidates:
        old_due = deadline.due_at
        if move(deadline) and deadline.clock == Clock.ACCEPTANCE.value:
            chained = _chained_resolution(deadline, old_due)
            if chained is not None:
                chained.starts_at = deadline.due_at
                if chained not in candidates:
                    move(chained)
    for feedback_id, moved in changes.items():
        item = db.session.get(Feedback, feedback_id)
        if item is None:  # pragma: no cover - the foreign key forbids it
            continue
        record_event(
            item,
            EventAction.DEADLINE_RECOMPUTED,
            actor=actor,
            at=now,
            before={"deadlines": [{"id": c["id"], "due_at": c["before"]} for c in moved]},
            after={"reason": note, "deadlines": [{k: v for k, v in c.items() if k != "before"} for c in moved]},
        )
    return sum(len(moved) for moved in changes.values())


def _chained_resolution(acceptance: Deadline, old_due: datetime) -> Deadline | None:
    """The open RESOLUTION clock of a complaint or tố cáo still planned from ``old_due``."""
    item = db.session.get(Feedback, acceptance.feedback_id)
    if item is None or item.kind not in (Kind.COMPLAINT, Kind.DENUNCIATION):
        return None
    return db.session.scalar(
        select(Deadline).where(
            Deadline.feedback_id == acceptance.feedback_id,
            Deadline.clock == Clock.RESOLUTION.value,
            Deadline.closed_at.is_(None),
            Deadline.breached_at.is_(None),
            Deadline.starts_at == old_due,
        ).with_for_update().execution_options(populate_existing=True)
    )
