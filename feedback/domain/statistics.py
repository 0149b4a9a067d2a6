"""The arithmetic of the statistics (DESIGN.md §6): rates that are empty without a denominator,
Wilson's score interval, the median, and the periods the Front reads figures for.

Pure: values in, values out; "today" is passed in. A rate with no denominator is ``None`` (shown
as empty, never as 0: "no answer yet" is not "0 % on time").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# 95 % two-sided: the normal quantile DESIGN.md §6 names.
Z_95 = 1.96


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` as a fraction in [0, 1]; None when the denominator is 0."""
    if denominator == 0:
        return None
    return numerator / denominator


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson's score interval for ``successes`` out of ``n`` (both ends in [0, 1]); None when
    ``n`` is 0. ValueError when the counts are impossible (negative, more successes than n).

    8 of 10 at 95 % is (0.490, 0.943): a short record cannot top a league table by luck.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"impossible counts: {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the two middle values for an even count); None when empty."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return None
    middle = count // 2
    if count % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


PERIOD_NAMES = ("this_month", "last_month", "this_quarter", "this_year", "last_12_months")
# How many months a trend (the figures by month) shows, ending with the period's last month.
TREND_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """Local (Asia/Ho_Chi_Minh) calendar dates, both ends inclusive. ValueError when ``end``
    is before ``start``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def named(cls, name: str, today: date) -> Period:
        """One of PERIOD_NAMES, seen from the local date ``today`` (ValueError for another name):
        this_month and this_quarter and this_year run up to ``today``; last_month is the whole
        previous month; last_12_months is the 12 months ending ``today`` (from the day after the
        same date a year before)."""
        if name == "this_month":
            return cls(today.replace(day=1), today)
        if name == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return cls(end.replace(day=1), end)
        if name == "this_quarter":
            first_month = 3 * ((today.month - 1) // 3) + 1
            return cls(date(today.year, first_month, 1), today)
        if name == "this_year":
            return cls(date(today.year, 1, 1), today)
        if name == "last_12_months":
            try:
                year_before = today.replace(year=today.year - 1)
            except ValueError:  # 29 February: a year before has no 29th
                year_before = date(today.year - 1, 2, 28)
            return cls(year_before + timedelta(days=1), today)
        raise ValueError(f"unknown period {name!r}")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[str]:
        """The months the period touches, "YYYY-MM", oldest first."""
        months: list[str] = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def trend_period(period: Period, months: int = TREND_MONTHS) -> Period:
    """The ``months`` months ending with ``period``'s last month (its last day included)."""
    year, month = period.end.year, period.end.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return Period(date(year, month, 1), period.end)
