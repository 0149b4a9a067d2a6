"""Deadline reminders and breach escalation: the beat scan over open clocks (DESIGN.md §5).

Every clock keeps ``notify_at``, the instant the scan next has something to do for it (a reminder
or the breach; ``feedback.domain.reminders.next_notice_at``), indexed by ``ix_deadline_wake``.
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

A batch is handled set-based, in a fixed number of statements whatever the number of clocks in
it: the clocks are read as plain rows (no ORM objects), what their messages and audit events name
(item, topic, unit, parent unit, the item's locality) is read for all of them in one statement,
the Front committees of the breached items' localities in one more, the audit chain ends of the
breached items in one, and the events, the notifications and the next ``notify_at`` are each
written in one statement. The message texts are looked up in the locale once per tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Unpack

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from feedback.domain.calendar import WorkCalendar, local_date
from feedback.domain.events import Actor, EventAction
from feedback.domain.paths import ids_of
from feedback.domain.reminders import Level, Schedule, notice_state, schedule_of
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, Topic, Unit, UnitKind
from feedback.services.audit import NewEvent, record_events
from feedback.services.database import among, on_postgresql
from feedback.services.deadlines.calendar import calendar_for_years
from feedback.services.deadlines.reminder_messages import ClockFacts, MessageTexts
from feedback.services.notifications.outbox import queue_notifications

log = logging.getLogger(__name__)

# Clocks per batch (one transaction, one commit): a tick's usual load (1 % of the running clocks
# at a million items: a few hundred) is one batch; a backlog after an outage goes in several.
DEFAULT_BATCH = 1000

# A row read by the scan (a ``_DUE_COLUMNS`` row or a ``_facts`` row), read by column name.
_Row = Any
# A recipient of a message: (role, unit id, unit name); role is "unit", "parent" or "front".
Recipient = tuple[str, int, str]


@dataclass(frozen=True)
class ScanResult:
    """What one scan did: deadlines examined, notification rows created, breaches recorded."""

    examined: int = 0
    notifications: int = 0
    breaches: int = 0


class _Tick:
    """What one scan reads once and reuses across its batches: the calendar, the message texts,
    the reminder schedule of each local due day and the Front committees of each locality met so
    far."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.texts = MessageTexts()
        self.fronts: dict[int, list[tuple[int, str]]] = {}
        self.schedules: dict[date, Schedule] = {}

    def notice_state(self, due_at: datetime, now: datetime) -> tuple[Level | None, datetime | None]:
        """(``current_level``, ``next_notice_at``) of a clock due at ``due_at``: the working-day
        arithmetic is done once per local due day of the tick, not once per clock."""
        day = local_date(due_at)
        schedule = self.schedules.get(day)
        if schedule is None:
            schedule = self.schedules[day] = schedule_of(due_at, self.calendar)
        return notice_state(due_at, now, schedule)


def scan_deadlines(now: datetime, batch: int = DEFAULT_BATCH, *, calendar: WorkCalendar | None = None) -> ScanResult:
    """Write the reminders and escalations due at ``now``; commits once per batch of ``batch`` deadlines.

    Reads the running clocks (``closed_at``, ``met_at``, ``paused_at`` and ``breached_at`` all
    NULL) whose ``notify_at`` is at or before ``now``, in (notify_at, id) order, a batch at a time
    until none is left. A batch costs a fixed number of statements (see the module's docstring):
    the read, one conditional UPDATE for its breaches, one read of what the messages name, for
    breaches one read of Front committees and one of audit chain ends, one INSERT of the audit
    events, one INSERT of all its notifications and one UPDATE of the clocks' next ``notify_at``.
    Idempotent and safe to run concurrently: running it again, or in two processes at once,
    creates no second notification, breach or audit event. ``calendar`` defaults to the working
    calendar with administrator overrides for the years around ``now``. When an audit event of the
    batch clashes with a concurrent writer of the same item, the batch is redone one deadline at a
    time (a savepoint each) and the clashing deadline is left for the next scan.
    """
    tick: _Tick | None = None
    examined = created = breaches = 0
    after: tuple[datetime, int] | None = None
    while True:
        deadlines = db.session.execute(_due_query(now, after, batch)).all()
        if not deadlines:
            break
        last = deadlines[-1]
        after = (last.notify_at, last.id)
        if tick is None:  # read only when something fell due: an idle tick is one statement
            tick = _Tick(calendar or calendar_for_years(range(now.year - 1, now.year + 2)))
        try:
            made, breached = _handle(deadlines, now, tick)
        except IntegrityError:
            db.session.rollback()
            made, breached = _handle_one_by_one([d.id for d in deadlines], now, tick)
        created += made
        breaches += breached
        examined += len(deadlines)
        db.session.commit()
        if len(deadlines) < batch:
            break
    return ScanResult(examined=examined, notifications=created, breaches=breaches)


def _running() -> list[Any]:
    return [Deadline.closed_at.is_(None), Deadline.met_at.is_(None), Deadline.paused_at.is_(None),
            Deadline.breached_at.is_(None)]


_DUE_COLUMNS = (Deadline.id, Deadline.feedback_id, Deadline.clock, Deadline.legal_basis, Deadline.due_at,
                Deadline.notify_at)


def _due_query(now: datetime, after: tuple[datetime, int] | None, batch: int) -> Select[Unpack[tuple[Any, ...]]]:
    """Running clocks whose ``notify_at`` has come, as rows: an ordered range of ix_deadline_wake
    (partial on these very conditions)."""
    stmt = (
        select(*_DUE_COLUMNS)
        .where(Deadline.notify_at <= now, *_running())
        .order_by(Deadline.notify_at, Deadline.id)
        .limit(batch)
    )
    if after is not None:
        # Keyset paging written so the notify_at bound stays an index condition.
        at, last_id = after
        stmt = stmt.where(Deadline.notify_at >= at, or_(Deadline.notify_at > at, Deadline.id > last_id))
    return stmt


def _handle(deadlines: Sequence[_Row], now: datetime, tick: _Tick) -> tuple[int, int]:
    """Breaches, notifications and next ``notify_at`` of ``deadlines`` (rows of ``_DUE_COLUMNS``);
    (rows created, breaches). Writes in the caller's transaction; raises IntegrityError when an
    audit event clashes."""
    states = {d.id: tick.notice_state(d.due_at, now) for d in deadlines}
    levels = {i: level for i, (level, _next) in states.items()}
    breaching = [d.id for d in deadlines if levels[d.id] is Level.BREACH]
    won = set(db.session.scalars(
        update(Deadline)
        .where(among(Deadline.id, breaching), *_running())
        .values(breached_at=now, notify_at=None)
        .returning(Deadline.id)
        .execution_options(synchronize_session=False)
    )) if breaching else set()
    moves = [(d.id, d.due_at, states[d.id][1]) for d in deadlines if levels[d.id] is not Level.BREACH]
    # Clocks with something to say: a reminder, or a breach this scan won (another scanner that
    # won a breach escalates it).
    acting = [d for d in deadlines if levels[d.id] is not None and (levels[d.id] is not Level.BREACH or d.id in won)]
    facts = _facts([d.id for d in acting])
    acting = [d for d in acting if d.id in facts]  # a clock deleted meanwhile (with its item) says nothing
    fronts = _front_committees([(facts[d.id].locality_id, facts[d.id].path) for d in acting
                                if d.id in won and facts[d.id].locality_id is not None], tick.fronts)
    events: list[NewEvent] = []
    rows: list[dict[str, object]] = []
    for d in acting:
        level = levels[d.id]
        assert level is not None
        f = facts[d.id]
        recipients = _recipients(f, level, fronts)
        if level is Level.BREACH:
            events.append(_breach_event(d, f, recipients, now))
        values = tick.texts.values(ClockFacts(code=f.code or str(f.feedback_id), kind=f.kind, topic=f.topic,
                                              clock=d.clock, due_at=d.due_at, legal_basis=d.legal_basis,
                                              unit=f.unit_name))
        for role, recipient_id, recipient_name in recipients:
            subject, body = tick.texts.render(values, level, role, recipient_name)
            rows.append(dict(dedupe_key=dedupe_key(d.id, level, recipient_id), kind=f"deadline_{level}",
                             subject=subject, body=body, feedback_id=d.feedback_id, deadline_id=d.id,
                             recipient_unit_id=recipient_id))
    record_events(events)
    _move_notify_at(moves)
    created = queue_notifications(rows, now=now)
    return created, len(won)


# One UPDATE of all the moves of a batch on PostgreSQL: the three columns travel as three arrays.
_MOVE_SQL = text(
    "UPDATE deadline SET notify_at = v.next_at"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:dues AS timestamptz[]), CAST(:nexts AS timestamptz[]))"
    " AS v(id, due_at, next_at)"
    " WHERE deadline.id = v.id AND deadline.due_at = v.due_at"
    " AND deadline.closed_at IS NULL AND deadline.paused_at IS NULL"
)


def _move_notify_at(moves: list[tuple[int, datetime, datetime | None]]) -> None:
    """Store each (deadline id, due_at read, next notify_at) of ``moves``, only where the facts read
    are still the facts: a clock changed meanwhile (paused, extended, stopped) keeps the
    ``notify_at`` its change set. One statement on PostgreSQL, an executemany on SQLite."""
    if not moves:
        return
    if on_postgresql():
        db.session.execute(_MOVE_SQL, {"ids": [m[0] for m in moves], "dues": [m[1].astimezone(UTC) for m in moves],
                                       "nexts": [m[2].astimezone(UTC) if m[2] else None for m in moves]})
        return
    table = Deadline.__table__
    assert isinstance(table, Table)
    db.session.execute(
        update(table)
        .where(and_(table.c.id == bindparam("b_id"), table.c.due_at == bindparam("b_due"),
                    table.c.closed_at.is_(None), table.c.paused_at.is_(None)))
        .values(notify_at=bindparam("b_next")),
        [{"b_id": i, "b_due": due, "b_next": nxt} for i, due, nxt in moves],
    )


def _handle_one_by_one(ids: list[int], now: datetime, tick: _Tick) -> tuple[int, int]:
    """``_handle`` for each deadline of ``ids`` still due, in a savepoint of its own, so that a clash
    rolls back that deadline's breach, event and notifications together and keeps the others."""
    created = breaches = 0
    query = select(*_DUE_COLUMNS).where(Deadline.id.in_(ids), Deadline.notify_at <= now, *_running())
    for deadline in db.session.execute(query.order_by(Deadline.id)).all():
        try:
            with db.session.begin_nested():
                made, breached = _handle([deadline], now, tick)
        except IntegrityError:
            log.warning("deadline %s: concurrent change of item %s, left for the next scan",
                        deadline.id, deadline.feedback_id, exc_info=True)
            continue
        created += made
        breaches += breached
    return created, breaches


_Parent = aliased(Unit)
_Holder = aliased(Unit)


def _facts(deadline_ids: list[int]) -> dict[int, _Row]:
    """What the messages and audit events of these clocks name, by deadline id, in one statement:
    the item (code, kind, topic name, locality and its path, current unit), the unit holding the
    clock (the deadline's own, else the item's current unit) and that unit's parent."""
    if not deadline_ids:
        return {}
    rows = db.session.execute(
        select(
            Deadline.id, Deadline.feedback_id, Feedback.code, Feedback.kind, Feedback.locality_id,
            Feedback.topic_id, Feedback.current_unit_id, Topic.name.label("topic"), Locality.path.label("path"),
            _Holder.id.label("unit_id"), _Holder.name.label("unit_name"), _Parent.id.label("parent_id"),
            _Parent.name.label("parent_name"), _Parent.active.label("parent_active"),
        )
        .join(Feedback, Feedback.id == Deadline.feedback_id)
        .outerjoin(Topic, Topic.id == Feedback.topic_id)
        .outerjoin(Locality, Locality.id == Feedback.locality_id)
        .outerjoin(_Holder, _Holder.id == func.coalesce(Deadline.unit_id, Feedback.current_unit_id))
        .outerjoin(_Parent, _Parent.id == _Holder.parent_id)
        .where(among(Deadline.id, deadline_ids))
    ).all()
    return {row.id: row for row in rows}


def _front_committees(localities: list[tuple[int, str | None]], cache: dict[int, list[tuple[int, str]]]
                      ) -> dict[int, list[tuple[int, str]]]:
    """Active Front committees, (id, name) in id order, of each (locality id, path) of
    ``localities``: those of the commune, else of the province. One statement for all the
    localities not in ``cache`` (the scan's), which it fills."""
    missing = {loc: ids_of(path or "") or (loc,) for loc, path in localities if loc not in cache}
    if missing:
        ancestors = sorted({a for chain in missing.values() for a in chain})
        rows = db.session.execute(
            select(Unit.id, Unit.name, Unit.locality_id, Locality.level)
            .join(Locality, Unit.locality_id == Locality.id)
            .where(
                Unit.kind == UnitKind.FRONT_COMMITTEE,
                Unit.active.is_(True),
                among(Unit.locality_id, ancestors),
                Locality.level.in_([LocalityLevel.COMMUNE, LocalityLevel.PROVINCE]),
            )
            .order_by(Unit.id)
        ).all()
        for loc, chain in missing.items():
            mine = [row for row in rows if row.locality_id in chain]
            commune = [(row.id, row.name) for row in mine if row.level == LocalityLevel.COMMUNE]
            province = [(row.id, row.name) for row in mine if row.level == LocalityLevel.PROVINCE]
            cache[loc] = commune or province
    return {loc: cache[loc] for loc, _path in localities}


def _recipients(facts: _Row, level: Level, fronts: dict[int, list[tuple[int, str]]]) -> list[Recipient]:
    """The recipients of ``level``: the unit holding the clock; on a breach also its parent (when
    active) and the Front committees of the item's locality; each unit once."""
    found: list[Recipient] = []
    if facts.unit_id is not None:
        found.append(("unit", facts.unit_id, facts.unit_name))
    if level is Level.BREACH:
        if facts.parent_id is not None and facts.parent_active:
            found.append(("parent", facts.parent_id, facts.parent_name))
        found.extend(("front", unit_id, name) for unit_id, name in fronts.get(facts.locality_id, ()))
    seen: set[int] = set()
    unique = []
    for recipient in found:
        if recipient[1] not in seen:
            seen.add(recipient[1])
            unique.append(recipient)
    return unique


def _breach_event(deadline: _Row, facts: _Row, recipients: list[Recipient], now: datetime) -> NewEvent:
    """The audit event of a breach this scan won (``_handle``'s conditional UPDATE)."""
    return NewEvent(
        feedback_id=deadline.feedback_id,
        action=EventAction.DEADLINE_BREACHED,
        actor=Actor.deadline_scan(),
        at=now,
        locality_id=facts.locality_id,
        topic_id=facts.topic_id,
        unit_id=facts.current_unit_id,
        before={"breached_at": None},
        after={
            "deadline_id": deadline.id,
            "clock": deadline.clock,
            "due_at": deadline.due_at.isoformat(),
            "breached_at": now.isoformat(),
            "unit_id": facts.unit_id,
            "escalated_to": [unit_id for role, unit_id, _name in recipients if role != "unit"],
        },
    )


def dedupe_key(deadline_id: int, level: Level | str, unit_id: int) -> str:
    """The unique key of one (deadline, level, recipient unit) notification."""
    return f"deadline:{deadline_id}:{level}:unit:{unit_id}"


__all__ = ["ScanResult", "dedupe_key", "scan_deadlines"]
