"""Deadline reminders and breach escalation: the beat scan over open clocks (DESIGN.md §5).

The scan reads only open, running, unbreached deadlines whose first reminder time has come,
through the partial index ``ix_deadline_open_due`` (``due_at`` where ``closed_at IS NULL AND breached_at IS NULL``): its
cost grows with the number of items due, never with all items. For each such deadline it works
out the one level now in force and writes the notifications of that level as rows (the mailer
sends them later). Every (deadline, level, recipient) notification exists at most once: its
``dedupe_key`` is unique and inserted with ``ON CONFLICT DO NOTHING``; a breach is recorded by a
conditional ``UPDATE … WHERE breached_at IS NULL`` so that of two scanners running at once only
one records it, writes the audit event and escalates.

Catch-up policy (after the worker was stopped across reminder times): only the most advanced
level whose time has come is sent; a missed earlier level is superseded, never sent late.
- "before" (2 working days ahead) missed and the due day has come: only "due_day" is sent, since
  "due in two working days" would be false by then.
- the deadline already passed: only "breach" is sent, to the unit itself, its parent unit and the
  Front committee; a "due today" message after the due day would be false as well.
So a worker started again after a long outage sends one message per recipient and deadline, not
a storm, and every breach is still recorded and escalated exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from feedback.domain.calendar import WorkCalendar
from feedback.domain.events import Actor, EventAction
from feedback.domain.reminders import Level, current_level, scan_horizon
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, Notification, Unit, UnitKind
from feedback.services.audit import record_event
from feedback.services.notifications.outbox import queue_notification
from feedback.services.deadlines.reminder_messages import render_message
from feedback.services.deadlines.calendar import calendar_for_years

log = logging.getLogger(__name__)

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class ScanResult:
    """What one scan did: deadlines examined, notification rows created, breaches recorded."""

    examined: int = 0
    notifications: int = 0
    breaches: int = 0


def scan_deadlines(now: datetime, batch: int = DEFAULT_BATCH, *, calendar: WorkCalendar | None = None) -> ScanResult:
    """Write the reminders and escalations due at ``now``; commits once per batch of ``batch`` deadlines.

    Reads open deadlines (``closed_at``, ``met_at``, ``paused_at`` and ``breached_at`` all NULL)
    with ``due_at`` up to ``scan_horizon(now)``, in (due_at, id) order, a batch at a time until
    none is left. Idempotent and safe to run concurrently: running it again, or in two processes
    at once, creates no second notification, breach or audit event. ``calendar`` defaults to the
    working calendar with administrator overrides for the years around ``now``. A deadline whose
    audit event clashes with a concurrent writer of the same item is left for the next scan.
    """
    cal = calendar or calendar_for_years(range(now.year - 1, now.year + 2))
    horizon = scan_horizon(now, cal)
    examined = created = breaches = 0
    after: tuple[datetime, int] | None = None
    fronts: dict[int, list[Unit]] = {}
    while True:
        deadlines = list(db.session.scalars(_due_query(horizon, after, batch)))
        if not deadlines:
            break
        after = (deadlines[-1].due_at, deadlines[-1].id)
        existing = set(
            db.session.scalars(
                select(Notification.dedupe_key).where(Notification.deadline_id.in_([d.id for d in deadlines]))
            )
        )
        for deadline in deadlines:
            level = current_level(deadline.due_at, now, cal)
            if level is None:
                continue
            try:
                # One savepoint per deadline: a clash rolls back this deadline's breach, event and
                # notifications together, and the others of the batch are kept.
                with db.session.begin_nested():
                    if level is Level.BREACH and not _record_breach(deadline, now, fronts):
                        continue  # another scanner won the breach and escalates it
                    new_rows = _notify(deadline, level, now, existing, fronts)
            except IntegrityError:
                log.warning("deadline %s: concurrent change of item %s, left for the next scan",
                            deadline.id, deadline.feedback_id, exc_info=True)
                continue
            created += new_rows
            breaches += level is Level.BREACH
        examined += len(deadlines)
        db.session.commit()
        if len(deadlines) < batch:
            break
    return ScanResult(examined=examined, notifications=created, breaches=breaches)


def _due_query(horizon: datetime, after: tuple[datetime, int] | None, batch: int) -> Select[Deadline]:
    """Open, running, unbreached deadlines due by ``horizon``: a range scan of ix_deadline_open_due."""
    stmt = (
        select(Deadline)
        .where(
            Deadline.closed_at.is_(None),
            Deadline.due_at <= horizon,
            Deadline.met_at.is_(None),
            Deadline.paused_at.is_(None),
            Deadline.breached_at.is_(None),
        )
        .options(
            selectinload(Deadline.unit).selectinload(Unit.parent),
            selectinload(Deadline.feedback).selectinload(Feedback.locality),
            selectinload(Deadline.feedback).selectinload(Feedback.topic),
            selectinload(Deadline.feedback).selectinload(Feedback.current_unit).selectinload(Unit.parent),
        )
        .order_by(Deadline.due_at, Deadline.id)
        .limit(batch)
    )
    if after is not None:
        # Keyset paging written so the due_at bound stays an index condition.
        due, last_id = after
        stmt = stmt.where(Deadline.due_at >= due, or_(Deadline.due_at > due, Deadline.id > last_id))
    return stmt


def _record_breach(deadline: Deadline, now: datetime, fronts: dict[int, list[Unit]]) -> bool:
    """Set ``breached_at`` once; True only for the caller whose conditional UPDATE won.

    Of two scanners, the second waits for the first's row lock, then finds ``breached_at`` set
    and updates nothing: only the winner writes the audit event and the escalations.
    """
    won = cast(CursorResult[Any], db.session.execute(
        update(Deadline)
        .where(Deadline.id == deadline.id, Deadline.breached_at.is_(None), Deadline.closed_at.is_(None))
        .values(breached_at=now)
        .execution_options(synchronize_session=False)
    )).rowcount
    if not won:
        return False
    unit = _unit_of(deadline)
    record_event(
        deadline.feedback,
        EventAction.DEADLINE_BREACHED,
        actor=Actor.deadline_scan(),
        at=now,
        before={"breached_at": None},
        after={
            "deadline_id": deadline.id,
            "clock": deadline.clock,
            "due_at": deadline.due_at.isoformat(),
            "breached_at": now.isoformat(),
            "unit_id": unit.id if unit else None,
            "escalated_to": [u.id for role, u in _recipients(deadline, Level.BREACH, fronts) if role != "unit"],
        },
    )
    return True


def _unit_of(deadline: Deadline) -> Unit | None:
    """The unit the clock runs against: the deadline's own, else the item's current unit."""
    return deadline.unit or deadline.feedback.current_unit


def _recipients(deadline: Deadline, level: Level, fronts: dict[int, list[Unit]]) -> list[tuple[str, Unit]]:
    """(role, unit) pairs for ``level``: the unit; on a breach also its parent and the Front."""
    unit = _unit_of(deadline)
    found: list[tuple[str, Unit]] = [("unit", unit)] if unit else []
    if level is Level.BREACH:
        if unit is not None and unit.parent is not None and unit.parent.active:
            found.append(("parent", unit.parent))
        found.extend(("front", front) for front in _front_committees(deadline.feedback.locality, fronts))
    seen: set[int] = set()
    unique = []
    for role, recipient in found:
        if recipient.id not in seen:
            seen.add(recipient.id)
            unique.append((role, recipient))
    return unique


def _front_committees(locality: Locality, cache: dict[int, list[Unit]]) -> list[Unit]:
    """Active Front committees of the item's commune, else of its province (cached per scan)."""
    if locality.id not in cache:
        ancestors = locality.ancestor_ids() or (locality.id,)
        rows = db.session.execute(
            select(Unit, Locality.level)
            .join(Locality, Unit.locality_id == Locality.id)
            .where(
                Unit.kind == UnitKind.FRONT_COMMITTEE,
                Unit.active.is_(True),
                Unit.locality_id.in_(ancestors),
                Locality.level.in_([LocalityLevel.COMMUNE, LocalityLevel.PROVINCE]),
            )
            .order_by(Unit.id)
        ).all()
        by_level: dict[LocalityLevel, list[Unit]] = {}
        for unit, level in rows:
            by_level.setdefault(level, []).append(unit)
        cache[locality.id] = by_level.get(LocalityLevel.COMMUNE) or by_level.get(LocalityLevel.PROVINCE) or []
    return cache[locality.id]


def _notify(deadline: Deadline, level: Level, now: datetime, existing: set[str],
            fronts: dict[int, list[Unit]]) -> int:
    """Queue one notification per recipient of ``level``; returns how many rows this call created."""
    created = 0
    unit = _unit_of(deadline)
    for role, recipient in _recipients(deadline, level, fronts):
        key = dedupe_key(deadline.id, level, recipient.id)
        if key in existing:
            continue
        subject, body = render_message(deadline, level, role, recipient, unit)
        if queue_notification(
            key,
            f"deadline_{level}",
            subject=subject,
            body=body,
            now=now,
            feedback_id=deadline.feedback_id,
            deadline_id=deadline.id,
            recipient_unit_id=recipient.id,
        ):
            created += 1
        existing.add(key)
    return created


def dedupe_key(deadline_id: int, level: Level | str, unit_id: int) -> str:
    """The unique key of one (deadline, level, recipient unit) notification."""
    return f"deadline:{deadline_id}:{level}:unit:{unit_id}"


__all__ = ["ScanResult", "dedupe_key", "scan_deadlines"]

