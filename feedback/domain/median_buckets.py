"""The buckets and calendar spans of the answers' histogram, from which an exact median of any
range of days reads a few rows (``feedback.services.statistics.histogram``). Pure.

- A bucket is a span of durations: bucket ``i`` holds the answers that took at least
  ``EDGES[i - 1]`` and less than ``EDGES[i]`` seconds (bucket 0: under a minute; the last: from
  ``EDGES[-1]`` on). The edges grow by a tenth from one minute (``bucket_of`` is the number of
  edges at or below the duration: PostgreSQL's ``width_bucket`` over the same array).
- A span is a piece of the calendar the histogram counts by, named so that one name is one
  piece: a day "2026-01-05", a ten-day "2026-01:1" (days 1-10; ":2" 11-20, ":3" 21 to the
  month's end, as the dekads of the government's reports), a month "2026-01", a quarter
  "2026-Q1", a year "2026". Every answer counts in the five spans of its day (``spans_of``);
  any range of days is a handful of whole spans (``spans_covering``: the largest ones that fit,
  from its first day on).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

# Bucket edges in seconds: 60 * 1.1 ** k rounded, while under 2 ** 31 (the column is an int).
EDGES: tuple[int, ...] = tuple(round(60 * 1.1 ** k) for k in range(183))
assert EDGES[-1] < 2 ** 31 - 1 and len(set(EDGES)) == len(EDGES)


def bucket_of(seconds: int) -> int:
    """The histogram bucket of an answer that took ``seconds``."""
    return bisect_right(EDGES, seconds)


def bucket_bounds(bucket: int) -> tuple[int | None, int | None]:
    """The durations of ``bucket``: from (inclusive) and below (exclusive); None: unbounded."""
    low = EDGES[bucket - 1] if bucket > 0 else None
    high = EDGES[bucket] if bucket < len(EDGES) else None
    return low, high


def _dekad(day: date) -> int:
    return 1 if day.day <= 10 else 2 if day.day <= 20 else 3


def spans_of(day: date) -> tuple[str, str, str, str, str]:
    """The day's span, ten-day, month, quarter and year."""
    month = f"{day.year:04d}-{day.month:02d}"
    return (day.isoformat(), f"{month}:{_dekad(day)}", month, f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}",
            f"{day.year:04d}")


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _largest(day: date, last: date) -> tuple[str, date]:
    """The largest span starting on ``day`` and ending by ``last``: (its name, its last day)."""
    day_name, dekad_name, month_name, quarter_name, year_name = spans_of(day)
    candidates: list[tuple[str, date]] = []
    if day.day == 1:
        if day.month == 1:
            candidates.append((year_name, date(day.year, 12, 31)))
        if day.month % 3 == 1:
            candidates.append((quarter_name, _month_end(date(day.year, day.month + 2, 1))))
        candidates.append((month_name, _month_end(day)))
    if day.day in (1, 11, 21):
        candidates.append((dekad_name, _month_end(day) if day.day == 21 else day + timedelta(days=9)))
    candidates.append((day_name, day))
    return next((name, end) for name, end in candidates if end <= last)


def spans_covering(first: date, last: date) -> list[str]:
    """The spans that make up the days ``first`` to ``last`` (inclusive), each day in exactly
    one; empty when ``last`` is before ``first``."""
    found: list[str] = []
    day = first
    while day <= last:
        name, end = _largest(day, last)
        found.append(name)
        day = end + timedelta(days=1)
    return found
