"""Reminder levels and the next notice of a clock (feedback.domain.reminders), around Tết 2026.

Tết 2026: 16–20/02 are days off, 14–15 and 21–22/02 weekends. A 15-working-day clock of an item
received on Monday 26/01/2026 falls due on Monday 23/02/2026, the first working day after Tết;
its 'before' reminder comes two working days earlier, on Thursday 12/02.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from feedback.domain.calendar import start_of_local_day, vietnam_calendar
from feedback.domain.deadlines import DayType, Period, due_at, reminder_schedule
from feedback.domain.reminders import (
    BEFORE_WORKING_DAYS,
    Level,
    current_level,
    next_notice_at,
    notice_state,
    schedule_of,
)
from tests.times import (
    DUE_AFTER_TET,
    RECEIVED_BEFORE_TET,
    THU_12_FEB_0900,
    TUE_10_MAR_0900,
    TUE_24_FEB_0001,
    WED_11_FEB_0900,
)

VN = vietnam_calendar([2025, 2026, 2027])

THU_12_FEB_0000 = start_of_local_day(date(2026, 2, 12))  # the 'before' reminder's instant
FRI_20_FEB_0900 = datetime(2026, 2, 20, 2, 0, tzinfo=UTC)  # still Tết
MON_23_FEB_0000 = start_of_local_day(date(2026, 2, 23))  # the due day begins


def test_the_tet_example_holds_in_the_domain() -> None:
    """Proves the dates of this module (and of tests/services/deadline_rows.py) are the domain's,
    not hand-made: 26/01 + 15 working days is 23/02, and 2 working days before 23/02 is 12/02
    because 16–20/02 are Tết and 13/02 works."""
    assert due_at(RECEIVED_BEFORE_TET, Period(15, DayType.WORKING, "x"), VN) == DUE_AFTER_TET
    assert all(not VN.is_working_day(date(2026, 2, d)) for d in range(14, 23))
    assert VN.is_working_day(date(2026, 2, 13))
    assert reminder_schedule(DUE_AFTER_TET, VN, BEFORE_WORKING_DAYS) == [
        ("before", THU_12_FEB_0000),
        ("due_day", MON_23_FEB_0000),
    ]


@pytest.mark.parametrize("now, expected", [
    (WED_11_FEB_0900, None),  # no reminder time has come
    (THU_12_FEB_0000, Level.BEFORE),  # at the instant itself
    (THU_12_FEB_0900, Level.BEFORE),
    (FRI_20_FEB_0900, Level.BEFORE),  # through Tết, nothing new
    (MON_23_FEB_0000, Level.DUE_DAY),
    (DUE_AFTER_TET, Level.DUE_DAY),  # the last second of the due day is not a breach
    (TUE_24_FEB_0001, Level.BREACH),
    (TUE_10_MAR_0900, Level.BREACH),  # catch-up: only the most advanced level, never 'before'
])
def test_current_level_is_the_most_advanced_level_reached(now: datetime, expected: Level | None) -> None:
    """Proves: the level in force at each moment around the Tết deadline; a missed earlier level is
    superseded (catch-up after an outage sends one level, not a storm)."""
    assert current_level(DUE_AFTER_TET, now, VN) is expected


@pytest.mark.parametrize("now, expected", [
    (WED_11_FEB_0900, THU_12_FEB_0000),  # the 'before' reminder is next
    (THU_12_FEB_0000, MON_23_FEB_0000),  # at the reminder itself, the due day is next
    (FRI_20_FEB_0900, MON_23_FEB_0000),  # through Tết
    (MON_23_FEB_0000, DUE_AFTER_TET + timedelta(microseconds=1)),  # then the breach, just after the due time
    (DUE_AFTER_TET, DUE_AFTER_TET + timedelta(microseconds=1)),
    (TUE_24_FEB_0001, None),  # breached: nothing more to wake for
])
def test_next_notice_is_the_next_level_to_come(now: datetime, expected: datetime | None) -> None:
    """Proves: the instant the scan next wakes a clock is when ``current_level`` moves on (the
    'before' reminder, the due day, the breach), and none once breached."""
    assert next_notice_at(DUE_AFTER_TET, now, VN) == expected
    if expected is not None:
        assert current_level(DUE_AFTER_TET, expected, VN) is not current_level(DUE_AFTER_TET, now, VN)
        assert current_level(DUE_AFTER_TET, expected - timedelta(microseconds=1), VN) is current_level(
            DUE_AFTER_TET, now, VN)


def test_a_schedule_kept_per_due_day_gives_the_same_level_and_next_notice() -> None:
    """Proves: the schedule depends only on the local due day (the scan keeps one per day), and
    ``notice_state`` with it answers ``current_level`` and ``next_notice_at`` for any due time that
    day and any instant around it."""
    due_day = start_of_local_day(date(2026, 2, 23))
    dues = [due_day, due_day + timedelta(hours=9, minutes=30), DUE_AFTER_TET]
    assert len({schedule_of(due, VN) for due in dues}) == 1
    kept = schedule_of(due_day, VN)
    for due in dues:
        for now in (WED_11_FEB_0900, THU_12_FEB_0000, FRI_20_FEB_0900, MON_23_FEB_0000, due,
                    due + timedelta(microseconds=1), TUE_24_FEB_0001):
            assert notice_state(due, now, kept) == (current_level(due, now, VN), next_notice_at(due, now, VN))
