"""Reminder levels of a deadline and when each comes (DESIGN.md §5), as pure functions of time.

The beat scan (``feedback.services.deadlines.reminders``) reads the stored deadlines up to
``scan_horizon`` and sends, for each, the one level ``current_level`` names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from feedback.domain.calendar import WorkCalendar, end_of_local_day, local_date
from feedback.domain.deadlines import reminder_schedule

# DESIGN.md §5: "Reminders go to the unit before a deadline (default 2 working days before and on the day)".
BEFORE_WORKING_DAYS = 2


class Level(StrEnum):
    """A reminder level, in the order they fall due."""

    BEFORE = "before"
    DUE_DAY = "due_day"
    BREACH = "breach"


def scan_horizon(now: datetime, calendar: WorkCalendar) -> datetime:
    """The latest ``due_at`` whose first reminder time has come at ``now``.

    A deadline due on local day D is first reminded on the working day W that lies
    ``BEFORE_WORKING_DAYS`` working days before D; W has come when W ≤ today, and then
    D ≤ today + ``BEFORE_WORKING_DAYS`` working days. Computed with the calendar, so a due date
    just after Tết (due 23/02/2026, reminded 12/02/2026) is inside the scan eleven days ahead.
    """
    return end_of_local_day(calendar.add_working_days(local_date(now), BEFORE_WORKING_DAYS))


def current_level(due_at: datetime, now: datetime, calendar: WorkCalendar) -> Level | None:
    """The most advanced level whose time has come at ``now``, or None when none has.

    BREACH once ``now`` is strictly after ``due_at``; otherwise the last of the domain's
    ``reminder_schedule`` whose instant is at or before ``now``. Earlier levels are superseded
    (see the scan's catch-up policy in ``feedback.services.deadlines.reminders``).
    """
    if now > due_at:
        return Level.BREACH
    reached = [Level(name) for name, at in reminder_schedule(due_at, calendar, BEFORE_WORKING_DAYS) if at <= now]
    return reached[-1] if reached else None


# The first instant ``current_level`` calls a breach: it is strictly after the due time, and the
# database keeps microseconds.
_AFTER_DUE = timedelta(microseconds=1)


def next_notice_at(due_at: datetime, now: datetime, calendar: WorkCalendar) -> datetime | None:
    """The first instant after ``now`` at which ``current_level`` moves on, or None once it is BREACH.

    That is the next reminder of ``reminder_schedule`` still to come, else the breach (just after
    ``due_at``). The scan stores it as the clock's ``notify_at`` and reads the clock again only then.
    """
    if now > due_at:
        return None
    for _name, at in reminder_schedule(due_at, calendar, BEFORE_WORKING_DAYS):
        if at > now:
            return at
    return due_at + _AFTER_DUE
