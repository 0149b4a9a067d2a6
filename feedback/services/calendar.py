"""The working calendar in force: public holidays plus administrator overrides.

``calendar_for`` builds the WorkCalendar for the years a computation touches, from the
``holidays`` package and the CalendarOverride rows. ``add_override`` and ``remove_override``
change the overrides and recompute the due dates of OPEN deadlines (not closed, not breached):
a breach already recorded is a fact about the past and is never rewritten (DESIGN.md §5).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import extract, select

from feedback.domain.calendar import WorkCalendar, end_of_local_day, start_of_local_day, vietnam_calendar
from feedback.extensions import db
from feedback.models import CalendarOverride, Deadline, Feedback
from feedback.services.audit import record_event

log = logging.getLogger(__name__)

ADMIN_ACTOR = "admin"


def calendar_for(*instants: datetime) -> WorkCalendar:
    """The calendar in force, covering the years of ``instants`` and the whole next year.

    The extra year lets a period that starts in December end in the following year (70 days,
    plus pauses and extensions). Reads the overrides of those years from the database each
    call (so a change is seen at once); the holiday computation itself is cached by its
    inputs, which is exact because ``vietnam_calendar`` is a pure function.
    Raises ValueError when no instant is given.
    """
    if not instants:
        raise ValueError("calendar_for needs at least one instant")
    first = min(i.year for i in instants)
    last = max(i.year for i in instants) + 1
    return calendar_for_years(range(first, last + 1))


def calendar_for_years(years: Iterable[int]) -> WorkCalendar:
    """The calendar in force for exactly ``years`` (holidays plus the overrides of those years)."""
    year_set = frozenset(years)
    rows = db.session.execute(
        select(CalendarOverride.day, CalendarOverride.is_day_off).where(
            extract("year", CalendarOverride.day).in_(sorted(year_set))
        )
    ).all()
    off = frozenset(row.day for row in rows if row.is_day_off)
    worked = frozenset(row.day for row in rows if not row.is_day_off)
    return _cached_calendar(year_set, off, worked)


@lru_cache(maxsize=64)
def _cached_calendar(years: frozenset[int], off: frozenset[date], worked: frozenset[date]) -> WorkCalendar:
    version = f"holidays+{len(off)} off+{len(worked)} worked"
    return vietnam_calendar(years, off, worked, version=version)


def add_override(
    day: date,
    is_day_off: bool,
    note: str,
    *,
    now: datetime,
    actor: str = ADMIN_ACTOR,
    actor_user_id: int | None = None,
) -> int:
    """Declare ``day`` a day off (``is_day_off``) or a working day, and recompute open deadlines.

    An existing override for the same day is replaced. Every open deadline (``closed_at`` and
    ``breached_at`` both NULL) whose period may include ``day`` gets its due date recomputed with
    the new calendar, pauses and extensions replayed (see ``deadlines.recompute_due_at``); each
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
    changed = _recompute_around(day, now=now, actor=actor, actor_user_id=actor_user_id,
                                note=f"override {day.isoformat()} {'off' if is_day_off else 'worked'}")
    db.session.commit()
    log.info("calendar override %s (day off: %s) recomputed %d deadlines", day, is_day_off, changed)
    return changed


def remove_override(
    day: date, *, now: datetime, actor: str = ADMIN_ACTOR, actor_user_id: int | None = None
) -> int:
    """Delete the override of ``day`` (if any) and recompute open deadlines as ``add_override`` does.

    Commits. Returns the number of deadlines whose due date changed; 0 when there was no
    override for ``day``. Idempotent.
    """
    row = db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        return 0
    db.session.delete(row)
    db.session.flush()
    changed = _recompute_around(day, now=now, actor=actor, actor_user_id=actor_user_id,
                                note=f"override {day.isoformat()} removed")
    db.session.commit()
    log.info("calendar override %s removed, recomputed %d deadlines", day, changed)
    return changed


def _recompute_around(day: date, *, now: datetime, actor: str, actor_user_id: int | None, note: str) -> int:
    """Recompute open deadlines that may count ``day``; write one event per affected item.

    Every day the arithmetic looks at lies strictly after the start day and at or before the
    (final) due day, so only clocks that started before ``day`` and fall due on or after it can
    move. The rows are locked so that a concurrent pause or extension waits for this change.
    """
    from feedback.services.deadlines import recompute_due_at  # the two modules call each other

    candidates = db.session.scalars(
        select(Deadline)
        .where(
            Deadline.closed_at.is_(None),
            Deadline.breached_at.is_(None),
            Deadline.starts_at < end_of_local_day(day),
            Deadline.due_at >= start_of_local_day(day) - timedelta(days=1),
        )
        .order_by(Deadline.feedback_id, Deadline.id)
        .with_for_update()
    ).all()
    changed_by_item: dict[int, list[dict[str, object]]] = {}
    for deadline in candidates:
        new_due = recompute_due_at(deadline)
        if new_due == deadline.due_at:
            continue
        changed_by_item.setdefault(deadline.feedback_id, []).append(
            {"id": deadline.id, "clock": deadline.clock, "before": deadline.due_at.isoformat(),
             "due_at": new_due.isoformat()}
        )
        deadline.due_at = new_due
    for feedback_id, changes in changed_by_item.items():
        item = db.session.get(Feedback, feedback_id)
        if item is None:  # pragma: no cover - the foreign key forbids it
            continue
        record_event(
            item,
            "deadline_recomputed",
            actor=actor,
            actor_user_id=actor_user_id,
            at=now,
            before={"deadlines": [{"id": c["id"], "due_at": c["before"]} for c in changes]},
            after={"reason": note, "deadlines": [{k: v for k, v in c.items() if k != "before"}
                                                 for c in changes]},
        )
    return sum(len(changes) for changes in changed_by_item.values())
