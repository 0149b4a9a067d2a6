"""Loading the working calendar in force: public holidays plus administrator overrides.

Kept apart from ``calendar.py`` (which changes overrides and recomputes deadlines) so that the
deadline service can read the calendar without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import extract, select

from feedback.domain.calendar import WorkCalendar, vietnam_calendar
from feedback.extensions import db
from feedback.models import CalendarOverride


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
