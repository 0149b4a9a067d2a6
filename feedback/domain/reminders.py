"""Reminder levels of a deadline and when each comes (DESIGN.md §5), as pure functions of time.

The beat scan (``feedback.services.deadlines.reminders``) reads the clocks whose stored
``notify_at`` has come, sends for each the one level ``current_level`` names and stores
``next_notice_at`` as the clock's next ``notify_at``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from feedback.domain.calendar import WorkCalendar
from feedback.domain.deadlines import reminder_schedule

# DESIGN.md §5: "Reminders go to the unit before a deadline (default 2 working days before and on the day)".
BEFORE_WORKING_DAYS = 2


class Level(StrEnum):
    """A reminder level, in the order they fall due."""

    BEFORE = "before"
    DUE_DAY = "due_day"
    BREACH = "breach"


# A clock's reminder instants in chronological order, each with the level it brings.
Schedule = tuple[tuple[Level, datetime], ...]


def current_level(due_at: datetime, now: datetime, calendar: WorkCalendar) -> Level | None:
    """The most advanced level whose time has come at ``now``, or None when none has.

    BREACH once ``now`` is strictly after ``due_at``; otherwise the last of the domain's
    ``reminder_schedule`` whose instant is at or before ``now``. Earlier levels are superseded
    (see the scan's catch-up policy in ``feedback.services.deadlines.reminders``).
    """
    return notice_state(due_at, now, schedule_of(due_at, calendar))[0]


def schedule_of(due_at: datetime, calendar: WorkCalendar) -> Schedule:
    """The domain's ``reminder_schedule`` of a clock due at ``due_at``, as levels. It depends only on
    the local date of ``due_at`` (its instants are starts of local days): a caller that meets many
    clocks may keep it per due date."""
    return tuple((Level(name), at) for name, at in reminder_schedule(due_at, calendar, BEFORE_WORKING_DAYS))


# The first instant ``current_level`` calls a breach: it is strictly after the due time, and the
# database keeps microseconds.
_AFTER_DUE = timedelta(microseconds=1)


def next_notice_at(due_at: datetime, now: datetime, calendar: WorkCalendar) -> datetime | None:
    """The first instant after ``now`` at which ``current_level`` moves on, or None once it is BREACH.

    That is the next reminder of ``reminder_schedule`` still to come, else the breach (just after
    ``due_at``). The scan stores it as the clock's ``notify_at`` and reads the clock again only then.
    """
    return notice_state(due_at, now, schedule_of(due_at, calendar))[1]


def notice_state(due_at: datetime, now: datetime, schedule: Schedule) -> tuple[Level | None, datetime | None]:
    """``current_level`` and ``next_notice_at`` at once, of a clock due at ``due_at`` whose
    ``schedule_of`` is ``schedule`` (chronological)."""
    if now > due_at:
        return Level.BREACH, None
    level: Level | None = None
    for name, at in schedule:
        if at > now:
            return level, at
        level = name
    return level, due_at + _AFTER_DUE
