"""A custom period typed by a person: two local dates, both ends inclusive, checked.

The Front dashboard offers named periods (this month, last month, this quarter, this year) and a
custom range "from … to …" typed as YYYY-MM-DD (an ``<input type="date">`` sends that form;
DD/MM/YYYY, as people write dates in Vietnam, is read too). A range that cannot be right is
refused with the reason, never silently replaced by another one. Pure.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

# No figure exists before the platform; a range longer than this is a typing error.
EARLIEST = date(2000, 1, 1)
MAX_DAYS = 20 * 366


class RangeProblem(StrEnum):
    """Why a typed range was refused (the page words each one)."""

    MISSING = "missing"  # one of the two dates is empty
    NOT_A_DATE = "not_a_date"  # text that is not a calendar date (31/02, "abc")
    REVERSED = "reversed"  # "from" after "to"
    TOO_EARLY = "too_early"  # before EARLIEST
    TOO_LONG = "too_long"  # longer than MAX_DAYS
    FUTURE = "future"  # "from" after today


class BadRange(ValueError):
    """The typed range is refused; ``problem`` says why."""

    def __init__(self, problem: RangeProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY`` (surrounding spaces ignored) as a date; BadRange(NOT_A_DATE)
    for anything else."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadRange(RangeProblem.NOT_A_DATE)


def parse_range(start_text: str | None, end_text: str | None, *, today: date) -> tuple[date, date]:
    """The range from ``start_text`` to ``end_text``, both inclusive, as dates; BadRange with the
    first problem found otherwise (missing, not a date, reversed, before 2000, longer than 20
    years, starting after ``today``). An end after today is allowed (the figures stop at now)."""
    if not (start_text or "").strip() or not (end_text or "").strip():
        raise BadRange(RangeProblem.MISSING)
    start, end = parse_day(start_text or ""), parse_day(end_text or "")
    if start > end:
        raise BadRange(RangeProblem.REVERSED)
    if start < EARLIEST:
        raise BadRange(RangeProblem.TOO_EARLY)
    if (end - start).days >= MAX_DAYS:
        raise BadRange(RangeProblem.TOO_LONG)
    if start > today:
        raise BadRange(RangeProblem.FUTURE)
    return start, end
