"""Deadline reminders and breach escalation: the beat scan over open clocks (DESIGN.md §5).

Every clock keeps ``notify_at``, the instant the scan next has something to do for it (a reminder
or the breach; ``feedback.domain.reminders.next_notice_at``), indexed by ``ix_deadline_notify_at``.
A tick reads only the clocks whose ``notify_at`` has come: its cost follows what falls due in the
tick, never the number of items or of clocks open inside the reminder window (issue #11). For
each such clock it works out the one level now in force, writes the notifications of that level
as rows (the mailer sends them later) and moves ``notify_at`` to the next instant. Every
(deadline, level, recipient) notification exists at most once: its ``dedupe_key`` is unique and
the rows of a batch are inserted in one statement with ``ON CONFLICT DO NOTHING``; a breach is
recorded by a conditional ``UPDATE … WHERE breached_at IS NULL`` so that of two scanners running
at once only one records it, writes the audit event and escalates.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Table, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from feedback.domain.calendar import WorkCalendar
from feedback.domain.events import Actor, EventAction
from feedback.domain.reminders import Level, current_level, next_notice_at
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, Unit, UnitKind
from feedback.services.audit import record_event
from feedback.services.notifications.outbox import queue_notifications
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

    Reads the running clocks (``closed_at``, ``met_at``, ``paused_at`` and ``breached_at`` all
    NULL) whose ``notify_at`` is at or before ``now``, in (notify_at, id) order, a batch at a time
    until none is left. A batch costs a fixed number of statements: the read and its eager loads,
    one conditional UPDATE for its breaches, one audit event per breach, one INSERT of all its
    notifications and one UPDATE of the clocks' next ``notify_at``. Idempotent and safe to run
    concurrently: running it again, or in two processes at once, creates no second notification,
    breach or audit event. ``calendar`` defaults to the working calendar with administrator
    overrides for the years around ``now``. When an audit event of the batch clashes with a
    concurrent writer of the same item, the batch is redone one deadline at a time (a savepoint
    each) and the clashing deadline is left for the next scan.
    """
    cal = calendar
    examined = created = breaches = 0
    after: tuple[datetime, int] | None = None
    fronts: dict[int, list[Unit]] = {}
    while True:
        deadlines = list(db.session.scalars(_due_query(now, after, batch)))
        if not deadlines:
            break
        last = deadlines[-1]
        assert last.notify_at is not None  # the query reads only clocks with a notify_at
        after = (last.notify_at, last.id)
        if cal is None:  # read only when something fell due: an idle tick is one statement
            cal = calendar_for_years(range(now.year - 1, now.year + 2))
        try:
            made, breached = _handle(deadlines, now, cal, fronts)
        except IntegrityError:
            db.session.rollback()
            made, breached = _handle_one_by_one([d.id for d in deadlines], now, cal)
            fronts = {}
        created += made
        breaches += breached
        examined += len(deadlines)
        db.session.commit()
        if len(deadlines) < batch:
            break
    return ScanResult(examined=examined, notifications=created, breaches=breaches)


def _running() -> list[object]:
    return [Deadline.closed_at.is_(None), Deadline.met_at.is_(None), Deadline.paused_at.is_(None),
            Deadline.breached_at.is_(None)]


def _due_query(now: datetime, after: tuple[datetime, int] | None, batch: int) -> Select[Deadline]:
    """Running clocks whose ``notify_at`` has come: a range scan of ix_deadline_notify_at."""
    stmt = (
        select(Deadline)
        .where(Deadline.notify_at <= now, *_running())  # type: ignore[arg-type]
        .options(
            selectinload(Deadline.unit).selectinload(Unit.parent),
            selectinload(Deadline.feedback).selectinload(Feedback.locality),
            selectinload(Deadline.feedback).selectinload(Feedback.topic),
            selectinload(Deadline.feedback).selectinload(Feedback.current_unit).selectinload(Unit.parent),
        )
        .order_by(Deadline.notify_at, Deadline.id)
        .limit(batch)
    )
    if after is not None:
        # Keyset paging written so the notify_at bound stays an index condition.
        at, last_id = after
        stmt = stmt.where(Deadline.notify_at >= at, or_(Deadline.notify_at > at, Deadline.id > last_id))
    return stmt


def _handle(deadlines: Sequence[Deadline], now: datetime, cal: WorkCalendar,
            fronts: dict[int, list[Unit]]) -> tuple[int, int]:
    """Breaches, notifications and next ``notify_at`` of ``deadlines``; (rows created, breaches).

    Writes in the caller's transaction; raises IntegrityError when an audit event clashes.
    """
    levels = {d.id: current_level(d.due_at, now, cal) for d in deadlines}
    breaching = [d.id for d in deadlines if levels[d.id] is Level.BREACH]
    won = set(db.session.scalars(
        update(Deadline)
        .where(Deadline.id.in_(breaching), *_running())  # type: ignore[arg-type]
        .values(breached_at=now, notify_at=None)
        .returning(Deadline.id)
        .execution_options(synchronize_session=False)
    )) if breaching else set()
    rows: list[dict[str, object]] = []
    moves: list[dict[str, object]] = []
    for deadline in deadlines:
        level = levels[deadline.id]
        if level is Level.BREACH:
            if deadline.id not in won:
                continue  # another scanner won the breach and escalates it
            _record_breach(deadline, now, fronts)
        else:
            moves.append({"b_id": deadline.id, "b_due": deadline.due_at,
                          "b_next": next_notice_at(deadline.due_at, now, cal)})
        if level is not None:
            rows.extend(_messages(deadline, level, fronts))
    if moves:
        # Only where the facts read are still the facts: a clock changed meanwhile (paused,
        # extended, stopped) keeps the notify_at its change set.
        table = Deadline.__table__
        assert isinstance(table, Table)
        db.session.execute(
            update(table)
            .where(and_(table.c.id == bindparam("b_id"), table.c.due_at == bindparam("b_due"),
                        table.c.closed_at.is_(None), table.c.paused_at.is_(None)))
            .values(notify_at=bindparam("b_next")),
            moves,
        )
    created = queue_notifications(rows, now=now)
    return created, len(won)


def _handle_one_by_one(ids: list[int], now: datetime, cal: WorkCalendar) -> tuple[int, int]:
    """``_handle`` for each deadline of ``ids`` still due, in a savepoint of its own, so that a clash
    rolls back that deadline's breach, event and notifications together and keeps the others."""
    created = breaches = 0
    fronts: dict[int, list[Unit]] = {}
    query = select(Deadline).where(Deadline.id.in_(ids), Deadline.notify_at <= now, *_running())  # type: ignore[arg-type]
    for deadline in db.session.scalars(query.order_by(Deadline.id)).all():
        try:
            with db.session.begin_nested():
                made, breached = _handle([deadline], now, cal, fronts)
        except IntegrityError:
            log.warning("deadline %s: concurrent change of item %s, left for the next scan",
                        deadline.id, deadline.feedback_id, exc_info=True)
            continue
        created += made
        breaches += breached
    return created, breaches


def _record_breach(deadline: Deadline, now: datetime, fronts: dict[int, list[Unit]]) -> None:
    """The audit event of a breach this scan won (``_handle``'s conditional UPDATE)."""
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


def _messages(deadline: Deadline, level: Level, fronts: dict[int, list[Unit]]) -> list[dict[str, object]]:
    """The notification rows of ``level`` for ``deadline``: one per recipient."""
    unit = _unit_of(deadline)
    rows: list[dict[str, object]] = []
    for role, recipient in _recipients(deadline, level, fronts):
        subject, body = render_message(deadline, level, role, recipient, unit)
        rows.append(dict(dedupe_key=dedupe_key(deadline.id, level, recipient.id), kind=f"deadline_{level}",
                         subject=subject, body=body, feedback_id=deadline.feedback_id, deadline_id=deadline.id,
                         recipient_unit_id=recipient.id))
    return rows


def dedupe_key(deadline_id: int, level: Level | str, unit_id: int) -> str:
    """The unique key of one (deadline, level, recipient unit) notification."""
    return f"deadline:{deadline_id}:{level}:unit:{unit_id}"


__all__ = ["ScanResult", "dedupe_key", "scan_deadlines"]

