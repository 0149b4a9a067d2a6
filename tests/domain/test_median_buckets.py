"""The answers' histogram's buckets and calendar spans (``feedback.domain.median_buckets``): a
duration exactly on an edge counts in the bucket above it, and any range of days is made of
whole spans, each of its days in exactly one."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from feedback.domain.median_buckets import EDGES, bucket_bounds, bucket_of, spans_covering, spans_of


@pytest.mark.parametrize(("seconds", "bucket"), [
    (0, 0), (59, 0), (60, 1), (65, 1), (66, 2), (EDGES[100] - 1, 100), (EDGES[100], 101), (EDGES[-1], len(EDGES)),
])
def test_bucket_of_counts_an_edge_in_the_bucket_above(seconds: int, bucket: int) -> None:
    assert bucket_of(seconds) == bucket
    low, high = bucket_bounds(bucket)
    assert (low is None or low <= seconds) and (high is None or seconds < high)


def test_edges_grow_by_a_tenth_from_a_minute() -> None:
    assert EDGES[0] == 60 and all(b > a for a, b in zip(EDGES, EDGES[1:]))
    assert all(abs(b / a - 1.1) < 0.02 for a, b in zip(EDGES[20:], EDGES[21:]))
    assert EDGES[-1] < 2 ** 31 - 1


def test_spans_of_a_day() -> None:
    assert spans_of(date(2026, 2, 17)) == ("2026-02-17", "2026-02:2", "2026-02", "2026-Q1", "2026")
    assert spans_of(date(2025, 12, 31)) == ("2025-12-31", "2025-12:3", "2025-12", "2025-Q4", "2025")


@pytest.mark.parametrize(("first", "last", "spans"), [
    (date(2025, 2, 10), date(2026, 1, 20),
     ["2025-02-10", "2025-02:2", "2025-02:3", "2025-03", "2025-Q2", "2025-Q3", "2025-Q4", "2026-01:1", "2026-01:2"]),
    (date(2024, 1, 1), date(2025, 12, 31), ["2024", "2025"]),
    (date(2026, 2, 21), date(2026, 2, 28), ["2026-02:3"]),  # the last ten-day runs to the month's end
    (date(2026, 2, 21), date(2026, 2, 27), [f"2026-02-{d}" for d in range(21, 28)]),
    (date(2026, 4, 1), date(2026, 6, 30), ["2026-Q2"]),
    (date(2026, 3, 5), date(2026, 3, 5), ["2026-03-05"]),
    (date(2026, 3, 5), date(2026, 3, 4), []),
])
def test_a_range_is_the_largest_spans_that_fit(first: date, last: date, spans: list[str]) -> None:
    assert spans_covering(first, last) == spans


def test_every_day_of_a_range_is_in_exactly_one_of_its_spans() -> None:
    rng = random.Random(9)
    for _ in range(300):
        first = date(2023, 1, 1) + timedelta(days=rng.randrange(1500))
        last = first + timedelta(days=rng.randrange(800))
        spans = spans_covering(first, last)
        assert len(spans) <= 40
        inside = {first + timedelta(days=n) for n in range((last - first).days + 1)}
        for day in inside | {first - timedelta(days=1), last + timedelta(days=1)}:
            assert sum(span in spans_of(day) for span in spans) == (1 if day in inside else 0), (first, last, day)
