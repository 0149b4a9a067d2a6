"""Geometry of the Front dashboard's charts, drawn as server-side SVG (no JavaScript, no CDN).

Two charts compare figures (issue #9 item 2): the satisfaction rate of each unit with its 95 %
Wilson interval as an error bar, and the monthly trend of items received and answered on time.
This module only computes coordinates in the SVG's own units (a ``viewBox`` of ``width`` ×
``height``, scaled by the browser to the screen, so a 320-unit-wide chart fits a 360 px phone);
the templates draw them, each with a ``<title>`` and a table of the same numbers beside it.
Values in, values out; pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A chart 320 units wide fits a 360 px phone with the page's margins; wider screens scale it up.
CHART_WIDTH = 320.0
# Room for the y axis labels of the trend chart ("1000") and its x labels ("03/26").
_TREND_LEFT = 36.0
_TREND_BOTTOM = 22.0
_TREND_TOP = 8.0


@dataclass(frozen=True)
class Tick:
    """A gridline: its position along the axis and the number it marks (a rate 0..1 or a count)."""

    position: float
    value: float


@dataclass(frozen=True)
class IntervalRow:
    """One unit of the satisfaction chart: its label line at ``label_y``; the bar from the axis to
    ``bar_end`` at ``bar_y`` (height ``bar_height``); the interval from ``low_x`` to ``high_x``
    at ``middle_y``. ``rate`` None (no ratings) draws no bar and no interval."""

    label: str
    rate: float | None
    low: float | None
    high: float | None
    ratings: int
    label_y: float
    bar_y: float
    bar_height: float
    middle_y: float
    bar_end: float
    low_x: float
    high_x: float


@dataclass(frozen=True)
class IntervalChart:
    width: float
    height: float
    left: float  # x of the 0 % axis
    plot_width: float  # 100 % is at left + plot_width
    rows: tuple[IntervalRow, ...]
    ticks: tuple[Tick, ...]  # 0 %, 25 %, 50 %, 75 %, 100 %


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def interval_chart(rows: Sequence[tuple[str, float | None, tuple[float, float] | None, int]], *,
                   width: float = CHART_WIDTH, row_height: float = 38.0) -> IntervalChart:
    """Horizontal bars of ``(label, rate, (low, high) or None, ratings)``, one row each in the
    order given: the label above its bar (so long unit names need no side margin), the bar as
    long as the rate, the Wilson interval as a line with end ticks over it. Rates and bounds are
    fractions 0..1 (clamped). An empty ``rows`` gives a chart with no rows. Pure."""
    left, right = 4.0, 8.0
    plot_width = width - left - right
    top = 4.0
    built = []
    for index, (label, rate, interval, ratings) in enumerate(rows):
        y = top + index * row_height
        bar_y = y + 16.0
        bar_height = 14.0
        low, high = interval if interval is not None else (None, None)
        built.append(IntervalRow(
            label=label, rate=rate, low=low, high=high, ratings=ratings,
            label_y=y + 11.0, bar_y=bar_y, bar_height=bar_height, middle_y=bar_y + bar_height / 2,
            bar_end=left + plot_width * _clamp(rate or 0.0),
            low_x=left + plot_width * _clamp(low or 0.0), high_x=left + plot_width * _clamp(high or 0.0),
        ))
    height = top + len(rows) * row_height + 14.0  # room for the percentage labels under the rows
    ticks = tuple(Tick(left + plot_width * share, share) for share in (0.0, 0.25, 0.5, 0.75, 1.0))
    return IntervalChart(width, height, left, plot_width, tuple(built), ticks)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is at least ``value`` (1 for 0 or less): the top of a
    count axis, so that its gridlines fall on round numbers. Pure."""
    if value <= 1:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= value:
            return step * power
    return 10.0 * power  # pragma: no cover  (the loop always returns)


@dataclass(frozen=True)
class TrendGroup:
    """One month of the trend chart: two bars side by side, received then answered on time, each
    from its top (``*_y``) down to the baseline; ``label_x`` centres the month's label."""

    label: str
    received: int
    on_time: int
    received_x: float
    on_time_x: float
    bar_width: float
    received_y: float
    on_time_y: float
    label_x: float


@dataclass(frozen=True)
class TrendChart:
    width: float
    height: float
    left: float
    baseline: float  # y of the zero line
    top: float  # y of the axis maximum
    maximum: float
    groups: tuple[TrendGroup, ...]
    ticks: tuple[Tick, ...]  # y positions of 0, max/2, max

    def label_every(self) -> int:
        """Show every n-th month's label so that labels never overlap (about 30 units each)."""
        if not self.groups:
            return 1
        slot = (self.width - self.left) / len(self.groups)
        return max(1, math.ceil(30.0 / slot))


def trend_chart(points: Sequence[tuple[str, int, int]], *, width: float = CHART_WIDTH,
                height: float = 180.0) -> TrendChart:
    """Grouped vertical bars of ``(month label, received, answered on time)`` in the order given,
    on one count axis from 0 to ``nice_ceiling`` of the largest value. Pure."""
    baseline = height - _TREND_BOTTOM
    plot_height = baseline - _TREND_TOP
    maximum = nice_ceiling(max((max(r, o) for _, r, o in points), default=0))
    slot = (width - _TREND_LEFT - 4.0) / max(len(points), 1)
    bar_width = max(slot * 0.36, 1.0)

    def top_of(value: int) -> float:
        return baseline - plot_height * (value / maximum)

    groups = tuple(
        TrendGroup(label=label, received=received, on_time=on_time,
                   received_x=_TREND_LEFT + index * slot + slot * 0.12,
                   on_time_x=_TREND_LEFT + index * slot + slot * 0.12 + bar_width,
                   bar_width=bar_width, received_y=top_of(received), on_time_y=top_of(on_time),
                   label_x=_TREND_LEFT + index * slot + slot / 2)
        for index, (label, received, on_time) in enumerate(points)
    )
    ticks = tuple(Tick(baseline - plot_height * share, maximum * share) for share in (0.0, 0.5, 1.0))
    return TrendChart(width, height, _TREND_LEFT, baseline, _TREND_TOP, maximum, groups, ticks)
