"""WorkCalendar and local-time helpers against the real Vietnamese calendar of 2026–2027.

Holidays used (from `holidays.VN`): Tết 16–20/2/2026, Giỗ Tổ 26/4 with nghỉ bù 27/4, 30/4 and
1/5, 31/8 (swap for the worked Saturday 22/8), 1–2/9, 24/11, 1/1/2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from feedback.domain.calendar import (
    VN_TZ,
    CalendarNotCovered,
    WorkCalendar,
    end_of_local_day,
    local_date,
    start_of_local_day,
    vietnam_calendar,
)
from tests.times import FEB_12_2330_LOCAL, FEB_13_MIDNIGHT_LOCAL

VN = vietnam_calendar([2026, 2027], version="test-2026")

# One second before the local midnight of 12→13 February 2026 (tests/times.py has the others).
FEB_12_235959_LOCAL = datetime(2026, 2, 12, 16, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 14), False),  # Saturday
        (date(2026, 2, 15), False),  # Sunday
        (date(2026, 2, 16), False),  # Giao thừa
        (date(2026, 2, 18), False),  # Mùng hai
        (date(2026, 2, 20), False),  # Mùng bốn
        (date(2026, 2, 23), True),  # first working day after Tết
        (date(2026, 4, 27), False),  # Giỗ Tổ nghỉ bù (26/4 is a Sunday)
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        (date(2026, 5, 4), True),
        (date(2026, 8, 22), True),  # Saturday worked in exchange for 31/8
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        (date(2026, 11, 24), False),  # Ngày Văn hóa Việt Nam
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), False),
    ],
    ids=str,
)
def test_is_working_day(day: date, working: bool) -> None:
    assert VN.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(date(2026, 2, 12), 7, date(2026, 3, 2), id="7 across Tet"),
        pytest.param(date(2026, 2, 12), 1, date(2026, 2, 13), id="next day"),
        pytest.param(date(2026, 2, 13), 1, date(2026, 2, 23), id="weekend and Tet skipped"),
        pytest.param(date(2026, 2, 14), 1, date(2026, 2, 23), id="from a Saturday in Tet week"),
        pytest.param(date(2026, 4, 24), 2, date(2026, 4, 29), id="Gio To nghi bu skipped"),
        pytest.param(date(2026, 4, 29), 1, date(2026, 5, 4), id="30/4 and 1/5 skipped"),
        pytest.param(date(2026, 8, 21), 1, date(2026, 8, 22), id="worked Saturday counts"),
        pytest.param(date(2026, 8, 28), 1, date(2026, 9, 3), id="31/8 to 2/9 skipped"),
        pytest.param(date(2026, 11, 23), 1, date(2026, 11, 25), id="24/11 skipped"),
        pytest.param(date(2026, 12, 30), 2, date(2027, 1, 4), id="year end"),
        pytest.param(date(2026, 2, 14), 0, date(2026, 2, 14), id="zero is the day itself"),
        pytest.param(date(2026, 3, 2), -7, date(2026, 2, 12), id="backwards across Tet"),
        pytest.param(date(2026, 2, 23), -1, date(2026, 2, 13), id="one back over Tet"),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert VN.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(date(2026, 3, 2), 10, date(2026, 3, 12), id="weekday, no roll"),
        pytest.param(date(2026, 3, 4), 10, date(2026, 3, 16), id="Saturday rolls to Monday"),
        pytest.param(date(2026, 3, 5), 10, date(2026, 3, 16), id="Sunday rolls to Monday"),
        pytest.param(date(2026, 2, 6), 10, date(2026, 2, 23), id="Tet rolls to 23/2"),
        pytest.param(date(2026, 2, 11), 7, date(2026, 2, 23), id="mid-Tet rolls to 23/2"),
        pytest.param(date(2026, 4, 20), 10, date(2026, 5, 4), id="30/4 rolls past 1/5"),
        pytest.param(date(2026, 8, 21), 10, date(2026, 9, 3), id="31/8 rolls past 2/9"),
        pytest.param(date(2026, 8, 12), 10, date(2026, 8, 22), id="worked Saturday holds"),
        pytest.param(date(2026, 11, 14), 10, date(2026, 11, 25), id="24/11 rolls"),
        pytest.param(date(2026, 12, 22), 10, date(2027, 1, 4), id="1/1 rolls past weekend"),
        pytest.param(date(2026, 2, 14), 0, date(2026, 2, 23), id="zero rolls the day itself"),
    ],
)
def test_add_calendar_days_rolled(start: date, n: int, expected: date) -> None:
    assert VN.add_calendar_days_rolled(start, n) == expected


def test_add_calendar_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        VN.add_calendar_days_rolled(date(2026, 3, 2), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 2, 12), date(2026, 3, 2), 7),
        (date(2026, 3, 2), date(2026, 2, 12), -7),
        (date(2026, 2, 13), date(2026, 2, 13), 0),
        (date(2026, 2, 13), date(2026, 2, 22), 0),
        (date(2026, 2, 13), date(2026, 2, 23), 1),
        (date(2026, 12, 30), date(2027, 1, 4), 2),
    ],
    ids=str,
)
def test_working_days_between(a: date, b: date, expected: int) -> None:
    assert VN.working_days_between(a, b) == expected


def test_working_days_between_inverts_add_working_days() -> None:
    """For every working day b in 2026 after a fixed a, counting then adding returns b."""
    a = date(2026, 1, 2)
    for offset in range(1, 360):
        b = a + timedelta(days=offset)
        if VN.is_working_day(b):
            assert VN.add_working_days(a, VN.working_days_between(a, b)) == b


def _walked(calendar: WorkCalendar, a: date, b: date) -> int:
    """``working_days_between`` as it was: each date of (a, b] asked of ``is_working_day``."""
    if b < a:
        return -_walked(calendar, b, a)
    return sum(1 for i in range(1, (b - a).days + 1) if calendar.is_working_day(a + timedelta(days=i)))


def test_working_days_between_is_the_count_of_each_date_asked() -> None:
    """The counted working days equal the walk over every date: the real calendar with a weekday
    off and a weekend day worked added, every start of a fortnight and lengths up to 800 days,
    both ways; and a range leaving the calendar's years raises with its first unknown date."""
    calendar = vietnam_calendar([2026, 2027, 2028], extra_days_off=[date(2027, 3, 3), date(2027, 3, 6)],
                                worked_days=[date(2026, 10, 3)])
    start = date(2026, 1, 1)
    for first in range(0, 14):
        a = start + timedelta(days=first)
        for length in (*range(0, 30), 45, 64, 100, 365, 366, 700, 800):
            b = a + timedelta(days=length)
            if b.year > 2028:
                continue
            assert calendar.working_days_between(a, b) == _walked(calendar, a, b), (a, b)
            assert calendar.working_days_between(b, a) == -_walked(calendar, a, b), (b, a)
    with pytest.raises(CalendarNotCovered) as raised:
        VN.working_days_between(date(2027, 12, 1), date(2028, 1, 5))
    assert raised.value.day == date(2028, 1, 1)
    with pytest.raises(CalendarNotCovered) as raised:
        VN.working_days_between(date(2025, 12, 30), date(2026, 1, 5))
    assert raised.value.day == date(2025, 12, 31)
    assert VN.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == _walked(VN, date(2025, 12, 31),
                                                                                     date(2026, 1, 5))


def test_next_working_day_on_or_after() -> None:
    assert VN.next_working_day_on_or_after(date(2026, 2, 13)) == date(2026, 2, 13)
    assert VN.next_working_day_on_or_after(date(2026, 2, 14)) == date(2026, 2, 23)


NO_DATES: tuple[date, ...] = ()


@pytest.mark.parametrize(
    ("days_off", "worked", "day", "working"),
    [
        pytest.param((date(2026, 2, 27),), NO_DATES, date(2026, 2, 27), False,
                     id="extra day off"),
        pytest.param(NO_DATES, (date(2026, 2, 28),), date(2026, 2, 28), True,
                     id="worked Saturday"),
        pytest.param(NO_DATES, (date(2026, 11, 24),), date(2026, 11, 24), True,
                     id="override beats package holiday"),
        pytest.param((date(2026, 8, 22),), NO_DATES, date(2026, 8, 22), False,
                     id="override cancels package worked Saturday"),
    ],
)  # fmt: skip
def test_overrides_win_over_package(
    days_off: tuple[date, ...], worked: tuple[date, ...], day: date, working: bool
) -> None:
    assert vietnam_calendar([2026], days_off, worked).is_working_day(day) is working


def test_override_both_off_and_worked_is_refused() -> None:
    with pytest.raises(ValueError, match="both off and worked"):
        vietnam_calendar([2026], [date(2026, 2, 28)], [date(2026, 2, 28)])


def test_hand_built_calendar_with_clash_is_refused() -> None:
    with pytest.raises(ValueError, match="both off and worked"):
        both = frozenset({date(2026, 3, 3)})
        WorkCalendar(days_off=both, worked_days=both)


@pytest.mark.parametrize(
    ("days_off", "worked"),
    [((date(2028, 1, 3),), NO_DATES), (NO_DATES, (date(2025, 12, 27),))],
    ids=["day off", "worked day"],
)
def test_override_outside_years_is_refused(
    days_off: tuple[date, ...], worked: tuple[date, ...]
) -> None:
    with pytest.raises(ValueError, match="outside the calendar years"):
        vietnam_calendar([2026, 2027], days_off, worked)


def test_calendar_needs_a_year() -> None:
    with pytest.raises(ValueError):
        vietnam_calendar([])


def test_dates_outside_years_are_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotCovered):
        VN.is_working_day(date(2028, 1, 3))
    with pytest.raises(CalendarNotCovered):
        vietnam_calendar([2026]).add_calendar_days_rolled(date(2026, 12, 22), 10)


def test_hand_built_calendar_without_years_knows_weekends_only() -> None:
    plain = WorkCalendar()
    assert plain.is_working_day(date(2030, 1, 1))  # a Tuesday; no holiday data given
    assert not plain.is_working_day(date(2030, 1, 5))  # Saturday


def test_version_is_kept() -> None:
    assert VN.version == "test-2026"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        pytest.param(FEB_12_2330_LOCAL, date(2026, 2, 12), id="23:30 local is still the 12th"),
        pytest.param(FEB_12_235959_LOCAL, date(2026, 2, 12), id="last second of the 12th"),
        pytest.param(FEB_13_MIDNIGHT_LOCAL, date(2026, 2, 13), id="17:00 UTC is the 13th"),
        pytest.param(
            datetime(2026, 2, 13, 0, 30, tzinfo=timezone(timedelta(hours=7))),
            date(2026, 2, 13),
            id="any aware offset",
        ),
    ],
)
def test_local_date(instant: datetime, expected: date) -> None:
    assert local_date(instant) == expected


def test_local_date_refuses_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 2, 12, 9, 0))


def test_end_and_start_of_local_day_are_utc() -> None:
    end = end_of_local_day(date(2026, 2, 12))
    start = start_of_local_day(date(2026, 2, 12))
    assert end == datetime(2026, 2, 12, 16, 59, 59, tzinfo=UTC)
    assert start == datetime(2026, 2, 11, 17, 0, tzinfo=UTC)
    assert end.utcoffset() == start.utcoffset() == timedelta(0)
    assert end.astimezone(VN_TZ).time().isoformat() == "23:59:59"
    assert local_date(end) == local_date(start) == date(2026, 2, 12)
