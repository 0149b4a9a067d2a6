"""Hot spots (điểm nóng): a locality × topic pair with an unusual surge of items (issue #9 item 3).

The rule, as the issue states it: the last 7 days hold more than 3 times the pair's weekly
average over the 8 weeks before them, and at least 5 items. Pure: days and counts in, answers out.

Days are local calendar days (Asia/Ho_Chi_Minh). The check "as of" a day looks at the 7 days
ending with that day (both ends included) and at the 56 days before them; the daily task checks
the last complete day, so a run at any hour of the next day gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

RECENT_DAYS = 7
BASELINE_WEEKS = 8
FACTOR = 3
MIN_ITEMS = 5
# A pair that surges again within this many days of its last sighting is the same hot spot
# (its committee is not told twice); after a quiet week it is a new one.
SAME_EPISODE_DAYS = 7


@dataclass(frozen=True)
class Windows:
    """The two periods of a check as of ``day``: [recent_start, day] and [baseline_start, baseline_end]."""

    day: date
    recent_start: date
    baseline_start: date
    baseline_end: date


def windows(day: date) -> Windows:
    """The recent week ending with ``day`` and the 8 weeks before it (local dates, inclusive)."""
    recent_start = day - timedelta(days=RECENT_DAYS - 1)
    baseline_end = recent_start - timedelta(days=1)
    baseline_start = recent_start - timedelta(weeks=BASELINE_WEEKS)
    return Windows(day, recent_start, baseline_start, baseline_end)


def is_hot_spot(recent: int, baseline: int) -> bool:
    """Whether ``recent`` items in the last 7 days against ``baseline`` items in the 8 weeks
    before make a hot spot: at least MIN_ITEMS, and strictly more than FACTOR times the weekly
    average (``baseline / 8``). Exactly 3 times is not a surge. Integer arithmetic: no rounding.

    >>> is_hot_spot(6, 16), is_hot_spot(7, 16), is_hot_spot(4, 0), is_hot_spot(5, 0)
    (False, True, False, True)
    """
    if recent < 0 or baseline < 0:
        raise ValueError("counts cannot be negative")
    return recent >= MIN_ITEMS and recent * BASELINE_WEEKS > FACTOR * baseline


def weekly_average(baseline: int) -> float:
    """The baseline's weekly average (items a week over the 8 weeks)."""
    return baseline / BASELINE_WEEKS


def continues(started: date, last_seen: date, day: date) -> bool:
    """Whether a surge found as of ``day`` belongs to the hot spot seen from ``started`` to
    ``last_seen``: ``day`` falls within SAME_EPISODE_DAYS of that span (either side)."""
    gap = timedelta(days=SAME_EPISODE_DAYS)
    return started - gap <= day <= last_seen + gap
