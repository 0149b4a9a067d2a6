"""Working-day calendar and local-time helpers for Vietnamese legal deadlines.

Pure values: no database, no clock. Dates are local Vietnamese dates (Asia/Ho_Chi_Minh);
instants are timezone-aware datetimes, returned in UTC. Vietnam has no daylight saving time, so
every local day is exactly 24 hours long.

Day counting follows Bộ luật Dân sự 2015: a period starts the day after the event (Art. 147) and,
when its last day is a weekend or holiday, ends on the next working day (Art. 148(5)).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# State agencies work Monday to Friday, Saturday and Sunday off (Quyết định 188/1999/QĐ-TTg);
# weekday holidays and swap days come from the data, not from this constant.
_WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday

_ONE_DAY = timedelta(days=1)
_END_OF_DAY = time(23, 59, 59)


class CalendarNotCovered(ValueError):
    """Raised when a date falls in a year the calendar was not built for.

    A calendar built for 2026 does not know the holidays of 2027; answering anyway would silently
    produce a wrong deadline, so the question is refused instead.
    """

    def __init__(self, day: date, years: frozenset[int]) -> None:
        super().__init__(f"{day.isoformat()} is outside the calendar years {sorted(years)}")
        self.day = day
        self.years = years


@dataclass(frozen=True)
class WorkCalendar:
    """Which local dates are working days.

    A date is a working day when it is in `worked_days`, otherwise when it is not in `days_off`
    and not a Saturday or Sunday. `days_off` holds public holidays and other days off that fall
    on weekdays (listing a weekend day there is harmless); `worked_days` holds days declared
    working, normally swap Saturdays. The two sets must be disjoint: a date in both is a
    configuration error and raises ValueError at construction, it is never resolved silently.

    `years`, when not empty, is the set of years the calendar knows; asking about any other date
    raises `CalendarNotCovered`. An empty `years` means "weekends plus the listed dates, for any
    year" (useful in tests and for hand-built calendars). `version` identifies the calendar data
    so that a stored deadline can say which calendar computed it.
    """

    days_off: frozenset[date] = frozenset()
    worked_days: frozenset[date] = frozenset()
    version: str = ""
    years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        clash = self.days_off & self.worked_days
        if clash:
            listed = ", ".join(d.isoformat() for d in sorted(clash))
            raise ValueError(f"dates both off and worked: {listed}")

    def is_working_day(self, d: date) -> bool:
        """True when `d` is a working day. Raises CalendarNotCovered outside `years`."""
        if self.years and d.year not in self.years:
            raise CalendarNotCovered(d, self.years)
        if d in self.worked_days:
            return True
        return d not in self.days_off and d.weekday() not in _WEEKEND

    def next_working_day_on_or_after(self, d: date) -> date:
        """`d` itself when it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`, counting starts the day after `d`.

        `d` itself never counts, whether or not it is a working day. n = 0 returns `d`
        unchanged. A negative n counts backwards the same way: the |n|-th working day before `d`.
        """
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_working_day(d):
                remaining -= 1
        return d

    def add_calendar_days_rolled(self, d: date, n: int) -> date:
        """Last day of an "n ngày" period that starts the day after `d`.

        BLDS 2015 Art. 147: the period starts the day after the event, so the last day is d + n.
        Art. 148(5): if that day is a weekend or holiday, the period ends on the next working day.
        Raises ValueError for negative n.
        """
        if n < 0:
            raise ValueError(f"a period cannot be negative: {n}")
        return self.next_working_day_on_or_after(d + timedelta(days=n))

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in the half-open interval (a, b].

        Consistent with `add_working_days`: when `b` is a working day after `a`,
        `add_working_days(a, working_days_between(a, b)) == b`. Returns 0 when a == b and the
        negated count of (b, a] when b is before a.
        """
        if b < a:
            return -self.working_days_between(b, a)
        if self.years:
            for year in range((a + _ONE_DAY).year, b.year + 1):
                if year not in self.years:  # the first date of (a, b] the calendar does not know
                    raise CalendarNotCovered(max(a + _ONE_DAY, date(year, 1, 1)), self.years)
        # Counted, not walked day by day (an item overdue for a year is shown with its working days
        # late on every inbox page): the weekdays of (a, b], less the weekdays off, plus the
        # weekend days worked; the same answer as asking ``is_working_day`` of each date.
        weeks, rest = divmod((b - a).days, 7)
        weekdays = 5 * weeks + sum(1 for i in range(1, rest + 1)
                                   if (a + timedelta(days=i)).weekday() not in _WEEKEND)
        off = sum(1 for d in self.days_off if a < d <= b and d.weekday() not in _WEEKEND)
        worked = sum(1 for d in self.worked_days if a < d <= b and d.weekday() in _WEEKEND)
        return weekdays - off + worked


def vietnam_calendar(
    years: Iterable[int],
    extra_days_off: Iterable[date] = (),
    worked_days: Iterable[date] = (),
    *,
    version: str = "",
) -> WorkCalendar:
    """The Vietnamese public-sector calendar for `years`, with administrator overrides.

    Base data comes from `holidays.VN` (Bộ luật Lao động 2019 Art. 112: Tết Dương lịch, lunar
    Tết, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh, and the swap days and worked Saturdays the
    package knows). Administrator overrides then win over the package, because they record
    decisions the package may not know yet (the Prime Minister's final Tết schedule, a swap
    that was cancelled):

    - a date in `extra_days_off` is a day off, even if the package lists it as a worked Saturday;
    - a date in `worked_days` is a working day, even if the package lists it as a holiday.

    A date in both `extra_days_off` and `worked_days` contradicts itself and raises ValueError.
    The result only answers for `years` (see `WorkCalendar.years`). Overrides outside `years`
    raise ValueError, because they would be silently ignored.
    """
    year_set = frozenset(years)
    if not year_set:
        raise ValueError("a calendar needs at least one year")
    extra_off = frozenset(extra_days_off)
    extra_worked = frozenset(worked_days)
    clash = extra_off & extra_worked
    if clash:
        listed = ", ".join(d.isoformat() for d in sorted(clash))
        raise ValueError(f"override lists dates both off and worked: {listed}")
    stray = sorted(d for d in extra_off | extra_worked if d.year not in year_set)
    if stray:
        listed = ", ".join(d.isoformat() for d in stray)
        raise ValueError(f"overrides outside the calendar years: {listed}")

    package = holidays.country_holidays("VN", years=sorted(year_set))
    package_off = frozenset(d for d in package if d.year in year_set)
    # weekend_workdays may carry dates of other years the package knows about; keep ours only.
    package_worked = frozenset(d for d in package.weekend_workdays if d.year in year_set)

    days_off = (package_off - extra_worked) | extra_off
    worked = (package_worked - extra_off) | extra_worked
    return WorkCalendar(
        days_off=days_off, worked_days=worked, version=version, years=year_set
    )


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {instant.isoformat()}")


def local_date(instant: datetime) -> date:
    """The local Vietnamese date (Asia/Ho_Chi_Minh, UTC+7) of an aware instant.

    17:00 UTC is already the next local day. Raises ValueError for a naive datetime.
    """
    _require_aware(instant)
    return instant.astimezone(VN_TZ).date()


def start_of_local_day(d: date) -> datetime:
    """00:00:00 Asia/Ho_Chi_Minh on local date `d`, as an aware UTC datetime."""
    return datetime.combine(d, time(0, 0), tzinfo=VN_TZ).astimezone(UTC)


def end_of_local_day(d: date) -> datetime:
    """23:59:59 Asia/Ho_Chi_Minh on local date `d`, as an aware UTC datetime.

    A deadline falls due at the end of its last local day; it is breached by anything
    strictly later than this instant.
    """
    return datetime.combine(d, _END_OF_DAY, tzinfo=VN_TZ).astimezone(UTC)
