"""Named frozen instants for every test (as CTFd's tests/constants/time.py): aware UTC datetimes
named by their day and time in Hà Nội (UTC+7), and plain dates named by their day. A test that
needs another instant derives it from these or names it where it is used once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from feedback.domain.calendar import end_of_local_day

# Tuesday 3 March 2026, an ordinary working week: when most test items are received.
TUESDAY_MORNING = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 09:00 local
TUESDAY = date(2026, 3, 3)
ROUTED_AT = TUESDAY_MORNING + timedelta(minutes=1)  # routing ran a minute after receipt
SWEEP_AT = TUESDAY_MORNING + timedelta(minutes=3)  # past the 2-minute stranded threshold
A_WEEK_LATER = TUESDAY_MORNING + timedelta(days=7)  # before any 10-working-day clock is due
WED_04_MAR_0900 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
THU_05_MAR_0900 = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
FRI_06_MAR_0900 = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
TUE_10_MAR_0900 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # long after the February clocks (a worker outage)
WED_11_MAR = date(2026, 3, 11)

# Around Tết 2026 (days off from Saturday 14 to Sunday 22 February).
RECEIVED_BEFORE_TET = datetime(2026, 1, 26, 2, 0, tzinfo=UTC)  # Monday 26 January, 09:00 local
DUE_AFTER_TET = end_of_local_day(date(2026, 2, 23))  # 23:59:59 local = 16:59:59 UTC
WED_11_FEB_0900 = datetime(2026, 2, 11, 2, 0, tzinfo=UTC)  # the day before the 'before' reminder
THU_12_FEB_0900 = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)  # Thursday before Tết; 2 working days before the due day
FEB_12_2330_LOCAL = datetime(2026, 2, 12, 16, 30, tzinfo=UTC)  # still 12/2 locally
FEB_13_MIDNIGHT_LOCAL = datetime(2026, 2, 12, 17, 0, tzinfo=UTC)  # already 13/2 locally
TUE_24_FEB_0001 = datetime(2026, 2, 23, 17, 1, tzinfo=UTC)  # one minute past the due day
