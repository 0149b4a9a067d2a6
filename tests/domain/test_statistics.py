"""The statistics' arithmetic (DESIGN.md §6): Wilson's interval against published values, rates
that stay empty without a denominator, the median, and the named periods."""

from __future__ import annotations

from datetime import date

import pytest

from feedback.domain.statistics import Period, median, rate, wilson


@pytest.mark.parametrize("successes, n, low, high", [
    (8, 10, 0.4902, 0.9433),  # the example
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (1, 2, 0.0945, 0.9055),
    (50, 100, 0.4038, 0.5962),
    (1, 1, 0.2065, 1.0),
])
def test_wilson_matches_known_values(successes: int, n: int, low: float, high: float) -> None:
    interval = wilson(successes, n)
    assert interval is not None
    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_of_nothing_is_none_and_impossible_counts_are_refused() -> None:
    assert wilson(0, 0) is None
    for successes, n in ((3, 2), (-1, 4), (0, -1)):
        with pytest.raises(ValueError):
            wilson(successes, n)


def test_a_lucky_single_answer_ranks_below_a_long_good_record() -> None:
    """Proves why rankings use the lower end: 1 of 1 (100 %) sits below 45 of 50 (90 %)."""
    one = wilson(1, 1)
    record = wilson(45, 50)
    assert one is not None and record is not None and one[0] < record[0]


def test_rates_are_empty_without_a_denominator_never_zero() -> None:
    assert rate(0, 0) is None
    assert rate(0, 4) == 0.0
    assert rate(3, 4) == 0.75


@pytest.mark.parametrize("values, expected", [
    ([], None), ([5.0], 5.0), ([2.0, 8.0, 10.0, 13.0], 9.0), ([13.0, 2.0, 10.0], 10.0), ([1.5, 1.5], 1.5),
])
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize("name, today, start, end", [
    ("this_month", date(2026, 3, 17), date(2026, 3, 1), date(2026, 3, 17)),
    ("last_month", date(2026, 3, 17), date(2026, 2, 1), date(2026, 2, 28)),
    ("last_month", date(2026, 1, 5), date(2025, 12, 1), date(2025, 12, 31)),
    ("this_quarter", date(2026, 8, 20), date(2026, 7, 1), date(2026, 8, 20)),
    ("this_quarter", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
    ("this_year", date(2026, 3, 17), date(2026, 1, 1), date(2026, 3, 17)),
    ("last_12_months", date(2026, 3, 17), date(2025, 3, 18), date(2026, 3, 17)),
    ("last_12_months", date(2028, 2, 29), date(2027, 3, 1), date(2028, 2, 29)),
])
def test_named_periods(name: str, today: date, start: date, end: date) -> None:
    assert Period.named(name, today) == Period(start, end)


def test_a_period_cannot_end_before_it_starts_nor_have_an_unknown_name() -> None:
    with pytest.raises(ValueError):
        Period(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError):
        Period.named("next_week", date(2026, 3, 1))
    assert Period(date(2025, 11, 20), date(2026, 2, 1)).months() == ["2025-11", "2025-12", "2026-01", "2026-02"]
