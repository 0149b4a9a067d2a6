"""The pure rules of the Front dashboard: custom date ranges, spreadsheet-safe text, chart geometry."""

from __future__ import annotations

from datetime import date

import pytest

from feedback.domain.charts import interval_chart, nice_ceiling, trend_chart
from feedback.domain.date_range import BadRange, RangeProblem, parse_range
from feedback.domain.spreadsheet import safe_text

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-01-01", "2026-03-31", (date(2026, 1, 1), date(2026, 3, 31))),
    (" 01/02/2026 ", "28/02/2026", (date(2026, 2, 1), date(2026, 2, 28))),
    ("2026-03-15", "2026-03-15", (date(2026, 3, 15), date(2026, 3, 15))),
])
def test_a_typed_range_is_read(start: str, end: str, expected: tuple[date, date]) -> None:
    """Proves: ISO and Vietnamese day/month/year dates are read, both ends inclusive."""
    assert parse_range(start, end, today=TODAY) == expected


@pytest.mark.parametrize(("start", "end", "problem"), [
    ("", "2026-03-01", RangeProblem.MISSING),
    ("2026-03-01", None, RangeProblem.MISSING),
    ("2026-02-30", "2026-03-01", RangeProblem.NOT_A_DATE),
    ("hôm qua", "2026-03-01", RangeProblem.NOT_A_DATE),
    ("2026-03-02", "2026-03-01", RangeProblem.REVERSED),
    ("1999-12-31", "2026-03-01", RangeProblem.TOO_EARLY),
    ("2000-01-01", "2030-01-01", RangeProblem.TOO_LONG),
    ("2026-03-16", "2026-04-01", RangeProblem.FUTURE),
])
def test_a_wrong_range_is_refused_with_its_reason(start: str, end: str | None, problem: RangeProblem) -> None:
    """Proves: each kind of wrong range raises BadRange naming that problem (never a silent default)."""
    with pytest.raises(BadRange) as refused:
        parse_range(start, end, today=TODAY)
    assert refused.value.problem is problem


@pytest.mark.parametrize(("text", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+84 912", "'+84 912"),
    ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Rác thải = ô nhiễm", "Rác thải = ô nhiễm"),
    ("", ""),
])
def test_text_that_starts_a_formula_is_neutralised(text: str, expected: str) -> None:
    """Proves: a leading =, +, -, @, tab or CR gets an apostrophe; other text is unchanged."""
    assert safe_text(text) == expected


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (260, 500)])
def test_the_count_axis_ends_on_a_round_number(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_interval_bars_are_as_long_as_the_rate_and_its_bounds() -> None:
    """Proves: the bar ends at the rate's share of the plot, the interval at its bounds' shares,
    rows go down in the order given, and a unit without ratings has no bar."""
    chart = interval_chart([("A", 0.8, (0.490, 0.943), 10), ("B", None, None, 0)], width=320)
    first, second = chart.rows
    assert chart.plot_width == pytest.approx(308)
    assert first.bar_end == pytest.approx(4 + 308 * 0.8)
    assert (first.low_x, first.high_x) == (pytest.approx(4 + 308 * 0.490), pytest.approx(4 + 308 * 0.943))
    assert second.bar_y > first.bar_y and second.bar_end == chart.left
    assert [t.value for t in chart.ticks] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert chart.height > second.bar_y + second.bar_height


def test_trend_bars_stand_on_one_axis() -> None:
    """Proves: bar tops are proportional to the counts on an axis ending at the round ceiling."""
    chart = trend_chart([("01/26", 8, 2), ("02/26", 4, 4)], height=180)
    assert chart.maximum == 10
    january, february = chart.groups
    plot = chart.baseline - chart.top
    assert january.received_y == pytest.approx(chart.baseline - plot * 0.8)
    assert january.on_time_y == pytest.approx(chart.baseline - plot * 0.2)
    assert february.received_x > january.on_time_x > january.received_x
    assert chart.label_every() == 1
