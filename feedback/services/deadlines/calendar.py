"""Loading the working calendar in force: public holidays plus administrator overrides.

Kept apart from ``calendar.py`` (which changes overrides and recomputes deadlines) so that the
deadline service can read the calendar without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from typing import Any

from sqlalchemy import ScalarSelect, String, case, cast, extract, func, literal, select

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
    return calendar_for_years(calendar_years(*instants))


def calendar_years(*instants: datetime) -> frozenset[int]:
    """The years ``calendar_for(*instants)`` covers: those of ``instants`` and the next one."""
    if not instants:
        raise ValueError("calendar_for needs at least one instant")
    first = min(i.year for i in instants)
    last = max(i.year for i in instants) + 1
    return frozenset(range(first, last + 1))


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


def overrides_column(years: Iterable[int]) -> ScalarSelect[Any]:
    """The overrides of ``years`` as one text column ("2026-05-02:1,2026-05-09:0", day off 1,
    working day 0; NULL when none) that a caller adds to a statement it sends anyway, then
    passes to ``calendar_from``: the calendar without a read of its own."""
    return _overrides_column(frozenset(years))


@lru_cache(maxsize=16)  # the construct only (immutable), built once per set of years: not the rows
def _overrides_column(years: frozenset[int]) -> ScalarSelect[Any]:
    flag = case((CalendarOverride.is_day_off.is_(True), literal("1")), else_=literal("0"))
    return select(func.aggregate_strings(cast(CalendarOverride.day, String) + literal(":") + flag, ",")).where(
        extract("year", CalendarOverride.day).in_(sorted(years))
    ).scalar_subquery()


def calendar_from(years: Iterable[int], overrides: str | None) -> WorkCalendar:
    """``calendar_for_years(years)`` from the value of ``overrides_column(years)``."""
    off: set[date] = set()
    worked: set[date] = set()
    for part in (overrides or "").split(","):
        if part:
            day, flag = part.rsplit(":", 1)
            (off if flag == "1" else worked).add(date.fromisoformat(day.strip()[:10]))
    return _cached_calendar(frozenset(years), frozenset(off), frozenset(worked))


@lru_cache(maxsize=64)
def _cached_calendar(years: frozenset[int], off: frozenset[date], worked: frozenset[date]) -> WorkCalendar:
    version = f"holidays+{len(off)} off+{len(worked)} worked"
    return vietnam_calendar(years, off, worked, version=version)
