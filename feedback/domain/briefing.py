"""The monthly briefing (giao ban): which month a report covers and when it is due. Pure.

A report covers one calendar month (local dates, both ends included). Beat makes last month's
report on the first working day of the month (the working calendar decides: 1 January, Tết or a
weekend push it later) or at any run after it, while the report is still missing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from feedback.domain.calendar import WorkCalendar

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# No report is made for a month before the platform could hold any data.
EARLIEST_MONTH = date(2000, 1, 1)


class BadMonth(ValueError):
    """The month typed is not a month ("2026-13", "03/2026"), is before 2000, or has not ended."""


def parse_month(text: str) -> date:
    """``YYYY-MM`` (surrounding spaces ignored) as the month's first day; BadMonth otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None:
        raise BadMonth(text)
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        raise BadMonth(text)
    first = date(year, month, 1)
    if first < EARLIEST_MONTH:
        raise BadMonth(text)
    return first


def month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return next_month(first) - timedelta(days=1)


def next_month(first: date) -> date:
    """The first day of the month after the one that holds ``first``."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(day: date) -> date:
    """The first day of the month before the one that holds ``day``."""
    this = day.replace(day=1)
    return (this - timedelta(days=1)).replace(day=1)


def has_ended(first: date, today: date) -> bool:
    """Whether the month starting on ``first`` is over on local date ``today``."""
    return month_end(first) < today


def first_working_day(first: date, calendar: WorkCalendar) -> date:
    """The first working day of the month that starts on ``first``."""
    return calendar.next_working_day_on_or_after(first)


def report_due(today: date, calendar: WorkCalendar) -> date | None:
    """Last month's first day when its report is due on ``today`` (today is on or after this
    month's first working day), else None."""
    if today < first_working_day(today.replace(day=1), calendar):
        return None
    return previous_month(today)
