"""How far a clock is from its due time, counted the way the clock counts its days.

A clock of "N ngày làm việc" is late (or has time left) in working days; a clock of "N ngày" in
calendar days (DESIGN.md §5). Both are counted between local Vietnamese dates, so a clock due at
the end of Friday and looked at on Monday morning is one working day late, three calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.domain.calendar import WorkCalendar, local_date

# Deadline.day_type of a clock counted in working days; anything else counts calendar days.
WORKING = "working"


@dataclass(frozen=True)
class Distance:
    """Days between now and a due time: ``days`` left (``late`` False) or late (``late`` True),
    in working days when ``working`` else calendar days. ``days`` is never negative; 0 days left
    means "due today"; a late clock is at least 1 day late, even on the day it fell due (it is
    then late by hours, which the page shows as "1 ngày")."""

    days: int
    late: bool
    working: bool


def distance(due_at: datetime, now: datetime, *, day_type: str, overdue: bool, calendar: WorkCalendar) -> Distance:
    """Days from ``now`` to ``due_at`` (or from ``due_at`` to ``now`` when ``overdue``), counted as
    ``day_type`` counts: working days through ``calendar`` ((a, b] as ``working_days_between``)
    or calendar days between the local dates. ``overdue`` is the caller's verdict
    (``deadlines.is_overdue``), so that a paused or already-breached clock reads as the rule
    says. Raises ValueError for naive datetimes, CalendarNotCovered outside the calendar. Pure."""
    working = day_type == WORKING
    due_day, today = local_date(due_at), local_date(now)
    if overdue:
        late = calendar.working_days_between(due_day, today) if working else (today - due_day).days
        return Distance(max(late, 1), True, working)
    left = calendar.working_days_between(today, due_day) if working else (due_day - today).days
    return Distance(max(left, 0), False, working)
