"""The deadline engine: law table, due dates, extensions, pauses and reminders (DESIGN.md §5).

Expected dates are worked out by hand on the 2025–2027 Vietnamese calendar of the `holidays`
package (1/1/2026 a Thursday off; Tết 2026 from Monday 16/2 to Friday 20/2, first working day
Monday 23/2; 30/4 and 1/5/2026 Thursday and Friday); each case names the holiday it crosses. Times are named constants; due dates are compared as local dates, and the
exact instant (23:59:59 local, in UTC) is checked once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

import pytest

from feedback.domain.calendar import (
    VN_TZ,
    CalendarNotCovered,
    end_of_local_day,
    local_date,
    start_of_local_day,
    vietnam_calendar,
)
from feedback.domain.deadlines import (
    CaseFacts,
    Clock,
    DayType,
    Extension,
    ExtensionRefused,
    Pause,
    Period,
    PlannedDeadline,
    RefusalCode,
    Term,
    UnknownSupervisionSource,
    acceptance_notice_period,
    decision_notice_period,
    due_after_pauses,
    due_at,
    extend_term,
    extension_period,
    may_recompute,
    plan_decision_notice,
    plan_deadlines,
    plan_on_acceptance,
    plan_supervision,
    plan_transfer,
    reclassify_complex,
    recompute_due,
    reminder_schedule,
    replay_term,
    restart_resolution,
    resume_term,
    supervision_period,
    term_at,
    transfer_period,
)
from feedback.domain.status import Kind
from tests.times import FEB_12_2330_LOCAL, FEB_13_MIDNIGHT_LOCAL, THU_12_FEB_0900

VN = vietnam_calendar([2026, 2027])
VN25 = vietnam_calendar([2025, 2026, 2027])


def at_local(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    """An aware UTC instant given as Vietnamese local wall-clock time."""
    return datetime(y, m, d, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


# Named frozen instants.
FEB_06_MORNING = at_local(2026, 2, 6)  # Friday, ten days before Giao thừa
MAR_04_MORNING = at_local(2026, 3, 4)  # + 10 days is Saturday 14/3
APR_15_MORNING = at_local(2026, 4, 15)
APR_20_MORNING = at_local(2026, 4, 20)  # + 10 days is 30/4
AUG_21_MORNING = at_local(2026, 8, 21)  # + 10 days is 31/8
NOV_14_MORNING = at_local(2026, 11, 14)  # + 10 days is 24/11
DEC_22_MORNING = at_local(2026, 12, 22)  # + 10 days is 1/1/2027
JUN_30_MORNING = at_local(2026, 6, 30, 10)  # last day of the 10-working-day acceptance
JUN_30_2330_LOCAL = at_local(2026, 6, 30, 23, 30)
JUN_30_1730_UTC = datetime(2026, 6, 30, 17, 30, tzinfo=UTC)  # 00:30 on 1/7 locally
JUL_01_MORNING = at_local(2026, 7, 1, 10)  # first day of the 7-working-day acceptance
JUL_03_AFTERNOON = at_local(2026, 7, 3, 15)

SEVEN_WORKING = Period(7, DayType.WORKING, "test")
TEN_CALENDAR = Period(10, DayType.CALENDAR, "test")
THIRTY_CALENDAR = Period(30, DayType.CALENDAR, "test")
FIFTEEN_WORKING = Period(15, DayType.WORKING, "test")
W15, C30 = FIFTEEN_WORKING, THIRTY_CALENDAR  # short names for the pause table


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        pytest.param(THU_12_FEB_0900, SEVEN_WORKING, date(2026, 3, 2), id="7 working across Tet"),
        pytest.param(FEB_12_2330_LOCAL, SEVEN_WORKING, date(2026, 3, 2), id="23:30 local is 12/2"),
        pytest.param(FEB_13_MIDNIGHT_LOCAL, SEVEN_WORKING, date(2026, 3, 3), id="17:00 UTC is 13/2"),
        pytest.param(MAR_04_MORNING, TEN_CALENDAR, date(2026, 3, 16), id="Saturday to Monday"),
        pytest.param(FEB_06_MORNING, TEN_CALENDAR, date(2026, 2, 23), id="Tet to 23/2"),
        pytest.param(APR_20_MORNING, TEN_CALENDAR, date(2026, 5, 4), id="30/4 and 1/5"),
        pytest.param(AUG_21_MORNING, TEN_CALENDAR, date(2026, 9, 3), id="31/8 swap and 2/9"),
        pytest.param(NOV_14_MORNING, TEN_CALENDAR, date(2026, 11, 25), id="24/11"),
        pytest.param(DEC_22_MORNING, TEN_CALENDAR, date(2027, 1, 4), id="1/1 then weekend"),
        pytest.param(at_local(2026, 4, 29), Period(1, DayType.WORKING, "t"), date(2026, 5, 4),
                     id="working day after 30/4 and 1/5"),
        pytest.param(at_local(2026, 8, 27), Period(3, DayType.WORKING, "t"), date(2026, 9, 4),
                     id="working days across 2/9"),
        pytest.param(at_local(2026, 12, 30), Period(2, DayType.WORKING, "t"), date(2027, 1, 4),
                     id="working days across year end"),
    ],
)  # fmt: skip
def test_due_at(start: datetime, period: Period, expected: date) -> None:
    assert local_date(due_at(start, period, VN)) == expected


def test_due_at_is_the_last_second_of_the_local_day_in_utc() -> None:
    assert due_at(THU_12_FEB_0900, SEVEN_WORKING, VN) == datetime(2026, 3, 2, 16, 59, 59, tzinfo=UTC)


def test_due_at_refuses_to_guess_beyond_the_calendar() -> None:
    with pytest.raises(CalendarNotCovered):
        due_at(DEC_22_MORNING, TEN_CALENDAR, vietnam_calendar([2026]))


FEB_27 = (date(2026, 2, 27),)  # a Friday
FEB_14 = (date(2026, 2, 14),)  # a Saturday
NO_DATES: tuple[date, ...] = ()


@pytest.mark.parametrize(
    ("days_off", "worked", "period", "start", "expected"),
    [
        pytest.param(NO_DATES, NO_DATES, SEVEN_WORKING, THU_12_FEB_0900, date(2026, 3, 2),
                     id="baseline"),
        pytest.param(FEB_27, NO_DATES, SEVEN_WORKING, THU_12_FEB_0900, date(2026, 3, 3),
                     id="extra day off pushes working due"),
        pytest.param(NO_DATES, FEB_14, SEVEN_WORKING, THU_12_FEB_0900, date(2026, 2, 27),
                     id="worked Saturday pulls working due back"),
        pytest.param(FEB_27, FEB_14, SEVEN_WORKING, THU_12_FEB_0900, date(2026, 3, 2),
                     id="both cancel out"),
        pytest.param((date(2026, 3, 16),), NO_DATES, TEN_CALENDAR, MAR_04_MORNING,
                     date(2026, 3, 17), id="extra day off extends a roll"),
        pytest.param(NO_DATES, (date(2026, 3, 14),), TEN_CALENDAR, MAR_04_MORNING,
                     date(2026, 3, 14), id="worked Saturday stops a roll"),
    ],
)  # fmt: skip
def test_calendar_overrides_move_due_dates(
    days_off: tuple[date, ...],
    worked: tuple[date, ...],
    period: Period,
    start: datetime,
    expected: date,
) -> None:
    calendar = vietnam_calendar([2026, 2027], days_off, worked, version="override")
    assert local_date(recompute_due(start, period, calendar)) == expected


def test_recompute_only_while_not_breached() -> None:
    assert may_recompute(None)
    assert not may_recompute(at_local(2026, 3, 3, 0, 0))


def _plan(facts: CaseFacts) -> tuple[PlannedDeadline, PlannedDeadline]:
    acceptance, resolution = plan_deadlines(facts, VN)
    assert (acceptance.clock, resolution.clock) == (Clock.ACCEPTANCE, Clock.RESOLUTION)
    return acceptance, resolution


@pytest.mark.parametrize(
    ("received_at", "days", "day_type", "reformed", "due"),
    [
        # Before 1/7/2026: 10 working days (TT 07/2013/TT-TTCP Art. 5(1)), not 10 calendar days
        # (which would end on Fri 10/7 and on Mon 23/2 after Tết).
        pytest.param(JUN_30_MORNING, 10, DayType.WORKING, False, date(2026, 7, 14), id="30/6"),
        pytest.param(JUN_30_2330_LOCAL, 10, DayType.WORKING, False, date(2026, 7, 14),
                     id="30/6 23:30 local"),
        pytest.param(THU_12_FEB_0900, 10, DayType.WORKING, False, date(2026, 3, 5),
                     id="12/2 before the reform: Tet skipped"),
        pytest.param(JUN_30_1730_UTC, 7, DayType.WORKING, True, date(2026, 7, 10),
                     id="30/6 17:30 UTC is 1/7 local"),
        pytest.param(JUL_01_MORNING, 7, DayType.WORKING, True, date(2026, 7, 10), id="1/7"),
        pytest.param(JUL_03_AFTERNOON, 7, DayType.WORKING, True, date(2026, 7, 14), id="3/7"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("complaint_round", [1, 2])
def test_complaint_acceptance_switches_on_1_july_2026(
    received_at: datetime,
    days: int,
    day_type: DayType,
    reformed: bool,
    due: date,
    complaint_round: int,
) -> None:
    facts = CaseFacts(Kind.COMPLAINT, received_at, complaint_round=complaint_round)
    acceptance, _ = _plan(facts)
    assert (acceptance.period.days, acceptance.period.day_type) == (days, day_type)
    assert ("NĐ 155/2026" in acceptance.period.legal_basis) is reformed
    assert ("TT 07/2013/TT-TTCP, Điều 5(1)" in acceptance.period.legal_basis) is not reformed
    assert acceptance.starts_at == received_at
    assert local_date(acceptance.due_at) == due


@pytest.mark.parametrize(
    ("complaint_round", "remote", "complex_", "days", "due"),
    [
        (1, False, False, 30, date(2026, 8, 10)),  # 9/8 is a Sunday
        (1, True, False, 45, date(2026, 8, 24)),
        (1, False, True, 45, date(2026, 8, 24)),
        (1, True, True, 60, date(2026, 9, 8)),
        (2, False, False, 45, date(2026, 8, 24)),
        (2, True, False, 60, date(2026, 9, 8)),
        (2, False, True, 60, date(2026, 9, 8)),
        (2, True, True, 70, date(2026, 9, 18)),
    ],
    ids=lambda v: str(v),
)
def test_complaint_resolution_is_planned_from_the_acceptance_due(
    complaint_round: int, remote: bool, complex_: bool, days: int, due: date
) -> None:
    """Received 1/7/2026; acceptance due 10/7; resolution counts from the end of 10/7."""
    facts = CaseFacts(
        Kind.COMPLAINT, JUL_01_MORNING, remote=remote, complex=complex_,
        complaint_round=complaint_round,
    )  # fmt: skip
    acceptance, resolution = _plan(facts)
    assert resolution.starts_at == acceptance.due_at
    assert (resolution.period.days, resolution.period.day_type) == (days, DayType.CALENDAR)
    assert ("Điều 28" if complaint_round == 1 else "Điều 37") in resolution.period.legal_basis
    assert local_date(resolution.due_at) == due


@pytest.mark.parametrize(
    ("several_places", "acceptance_days", "acceptance_due", "resolution_due"),
    [
        pytest.param(False, 7, date(2026, 3, 2), date(2026, 4, 1), id="one place"),
        pytest.param(True, 10, date(2026, 3, 5), date(2026, 4, 6), id="several places"),
    ],
)
@pytest.mark.parametrize("remote", [False, True], ids=["near", "remote has no effect"])
def test_denunciation_plan(
    several_places: bool,
    acceptance_days: int,
    acceptance_due: date,
    resolution_due: date,
    remote: bool,
) -> None:
    facts = CaseFacts(
        Kind.DENUNCIATION, THU_12_FEB_0900, several_places=several_places, remote=remote
    )
    acceptance, resolution = _plan(facts)
    assert acceptance.period.days == acceptance_days
    assert acceptance.period.day_type is DayType.WORKING
    assert local_date(acceptance.due_at) == acceptance_due
    assert resolution.starts_at == acceptance.due_at
    assert resolution.period.days == 30
    assert local_date(resolution.due_at) == resolution_due


TOPIC_5_WORKING = Period(5, DayType.WORKING, "topic")
TOPIC_7_CALENDAR = Period(7, DayType.CALENDAR, "topic")


@pytest.mark.parametrize("kind", [Kind.COMMENT, Kind.REPORT, Kind.PETITION])
@pytest.mark.parametrize(
    ("received_at", "topic_resolution", "acceptance_due", "resolution_due"),
    [
        pytest.param(THU_12_FEB_0900, None, date(2026, 3, 5), date(2026, 3, 12),
                     id="default 15 working days"),
        pytest.param(THU_12_FEB_0900, Period(30, DayType.CALENDAR, "topic"), date(2026, 3, 5),
                     date(2026, 3, 16), id="topic 30 days"),
        # The first step never ends after the resolution: with a 5-working-day topic the reply
        # (10 working days: 5/3) is due with the resolution on 26/2.
        pytest.param(THU_12_FEB_0900, TOPIC_5_WORKING, date(2026, 2, 26), date(2026, 2, 26),
                     id="topic 5 working caps the reply, across Tet"),
        # Received Mon 30/11/2026: resolve by Mon 7/12 and reply by 7/12, not 14/12.
        pytest.param(at_local(2026, 11, 30), TOPIC_5_WORKING, date(2026, 12, 7),
                     date(2026, 12, 7), id="resolve by 7/12 so reply by 7/12 not 14/12"),
        # 7 calendar days from Fri 13/2 end on Fri 20/2 in Tết, rolled to Mon 23/2: still
        # before the 10th working day (6/3), so the reply takes the resolution period too.
        pytest.param(at_local(2026, 2, 13), TOPIC_7_CALENDAR, date(2026, 2, 23),
                     date(2026, 2, 23), id="topic 7 calendar days caps the reply"),
    ],
)  # fmt: skip
def test_informal_kinds_plan_from_receipt(
    kind: Kind,
    received_at: datetime,
    topic_resolution: Period | None,
    acceptance_due: date,
    resolution_due: date,
) -> None:
    facts = CaseFacts(kind, received_at, remote=True, topic_resolution=topic_resolution)
    acceptance, resolution = _plan(facts)
    assert acceptance.starts_at == resolution.starts_at == received_at
    assert local_date(acceptance.due_at) == acceptance_due
    assert local_date(resolution.due_at) == resolution_due
    assert acceptance.due_at <= resolution.due_at
    capped = acceptance_due == resolution_due  # in this table, exactly the capped rows
    assert acceptance.period.legal_basis.startswith("Luật Tiếp công dân 2013, Điều 28")
    if capped:  # the capped clock carries the resolution period, so pauses and recomputes agree
        assert (acceptance.period.days, acceptance.period.day_type) == (
            resolution.period.days, resolution.period.day_type)
        assert "không muộn hơn hạn giải quyết" in acceptance.period.legal_basis
    else:
        assert (acceptance.period.days, acceptance.period.day_type) == (10, DayType.WORKING)


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(CaseFacts(Kind.COMPLAINT, JUN_30_MORNING), id="complaint before reform"),
        pytest.param(CaseFacts(Kind.COMPLAINT, JUL_01_MORNING, complaint_round=2),
                     id="complaint round 2"),
        pytest.param(CaseFacts(Kind.DENUNCIATION, THU_12_FEB_0900, several_places=True),
                     id="denunciation"),
        pytest.param(CaseFacts(Kind.REPORT, at_local(2026, 11, 30),
                               topic_resolution=Period(1, DayType.WORKING, "t")), id="report 1 day"),
    ],
)  # fmt: skip
def test_first_step_never_ends_after_the_resolution(facts: CaseFacts) -> None:
    acceptance, resolution = _plan(facts)
    assert acceptance.due_at <= resolution.due_at


def test_restart_resolution_counts_from_actual_acceptance_for_complaints() -> None:
    facts = CaseFacts(Kind.COMPLAINT, JUL_01_MORNING)
    restarted = restart_resolution(JUL_03_AFTERNOON, facts, VN)
    assert restarted.starts_at == JUL_03_AFTERNOON
    assert local_date(restarted.due_at) == date(2026, 8, 3)  # 2/8 is a Sunday
    assert restart_resolution(JUL_03_AFTERNOON, facts, VN) == restarted  # idempotent


ACCEPTED_17_JAN = at_local(2026, 1, 17, 10)  # a Saturday session; day 30 (16/2) falls in Tết


@pytest.mark.parametrize(
    ("facts", "accepted_at", "expected"),
    [
        # Accepted 2/12/2025: 30 days end on 1/1/2026 (day off), so Fri 2/1/2026.
        pytest.param(CaseFacts(Kind.COMPLAINT, at_local(2025, 11, 25)), at_local(2025, 12, 2),
                     [(Clock.RESOLUTION, 30, date(2026, 1, 2))], id="complaint accepted 2/12/2025"),
        # Tố cáo accepted 17/1/2026: resolve by 23/2 (16/2 rolled past Tết); notify the
        # denouncer within 5 working days: 19, 20, 21, 22, 23/1 → Fri 23/1 (Art. 29(3)).
        pytest.param(CaseFacts(Kind.DENUNCIATION, at_local(2026, 1, 12)), ACCEPTED_17_JAN,
                     [(Clock.RESOLUTION, 30, date(2026, 2, 23)),
                      (Clock.ACCEPTANCE_NOTICE, 5, date(2026, 1, 23))],
                     id="denunciation accepted 17/1/2026"),
        # Accepted Thu 12/2: the notice skips Tết: 13/2, 23, 24, 25, 26/2.
        pytest.param(CaseFacts(Kind.DENUNCIATION, FEB_06_MORNING), THU_12_FEB_0900,
                     [(Clock.RESOLUTION, 30, date(2026, 3, 16)),
                      (Clock.ACCEPTANCE_NOTICE, 5, date(2026, 2, 26))],
                     id="denunciation notice across Tet"),
    ],
)  # fmt: skip
def test_acceptance_sets_the_resolution_from_the_real_acceptance_and_the_notice(
    facts: CaseFacts, accepted_at: datetime, expected: list[tuple[Clock, int, date]]
) -> None:
    planned = plan_on_acceptance(accepted_at, facts, VN25)
    assert [(p.clock, p.period.days, local_date(p.due_at)) for p in planned] == expected
    assert all(p.starts_at == accepted_at for p in planned)
    assert planned[0] == restart_resolution(accepted_at, facts, VN25)
    assert plan_on_acceptance(accepted_at, facts, VN25) == planned  # idempotent
    if facts.kind is Kind.DENUNCIATION:
        assert planned[1].period.day_type is DayType.WORKING
        assert planned[1].period.legal_basis == "Luật Tố cáo 2018, Điều 29(3)"


@pytest.mark.parametrize(
    ("decided_at", "expected"),
    [
        pytest.param(at_local(2026, 8, 5), date(2026, 8, 10), id="Wed 5/8: 6, 7, 10/8"),
        pytest.param(at_local(2026, 8, 28), date(2026, 9, 7), id="Fri 28/8: 31/8-2/9 off"),
        pytest.param(at_local(2026, 2, 12), date(2026, 2, 24), id="Thu 12/2: 13/2, then Tet"),
    ],
)
def test_complaint_decision_is_sent_within_3_working_days(
    decided_at: datetime, expected: date
) -> None:
    facts = CaseFacts(Kind.COMPLAINT, at_local(2026, 1, 5))
    planned = plan_decision_notice(decided_at, facts, VN)
    assert planned.clock is Clock.DECISION_NOTICE
    assert (planned.period.days, planned.period.day_type) == (3, DayType.WORKING)
    assert planned.period.legal_basis == "Luật Khiếu nại 2011, Điều 32"
    assert planned.starts_at == decided_at
    assert local_date(planned.due_at) == expected


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: acceptance_notice_period(Kind.COMPLAINT), id="notice: complaint"),
        pytest.param(lambda: acceptance_notice_period(Kind.REPORT), id="notice: report"),
        pytest.param(lambda: decision_notice_period(Kind.DENUNCIATION), id="decision: tố cáo"),
        pytest.param(lambda: decision_notice_period(Kind.COMPLAINT, complaint_round=2),
                     id="decision: second round not modelled"),
        pytest.param(lambda: plan_on_acceptance(FEB_06_MORNING,
                                                CaseFacts(Kind.DENUNCIATION, THU_12_FEB_0900), VN),
                     id="accepted before received"),
        pytest.param(lambda: plan_decision_notice(FEB_06_MORNING,
                                                  CaseFacts(Kind.COMPLAINT, THU_12_FEB_0900), VN),
                     id="decided before received"),
    ],
)  # fmt: skip
def test_handling_clocks_refuse_what_the_law_does_not_give(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_restart_resolution_keeps_receipt_for_informal_kinds() -> None:
    facts = CaseFacts(Kind.REPORT, THU_12_FEB_0900)
    assert restart_resolution(MAR_04_MORNING, facts, VN) == plan_deadlines(facts, VN)[1]


def test_restart_resolution_refuses_acceptance_before_receipt() -> None:
    with pytest.raises(ValueError, match="before it is received"):
        restart_resolution(JUN_30_MORNING, CaseFacts(Kind.COMPLAINT, JUL_01_MORNING), VN)


def test_reclassify_complex_counts_the_cap_from_acceptance_not_from_the_rolled_due() -> None:
    """30 days from 10/7 end on Sunday 9/8 (due 10/8); 45 days end on 24/8, not 10/8 + 15."""
    facts = CaseFacts(Kind.COMPLAINT, JUL_01_MORNING)
    _, resolution = _plan(facts)
    extended = reclassify_complex(resolution.starts_at, facts, VN, reason="Cần xác minh thêm")
    assert extended.starts_at == resolution.starts_at
    assert extended.period.days == 45
    assert local_date(extended.due_at) == date(2026, 8, 24)


@pytest.mark.parametrize(
    ("facts", "reason", "code"),
    [
        pytest.param(CaseFacts(Kind.COMPLAINT, JUL_01_MORNING, complex=True), "lý do",
                     RefusalCode.LIMIT_REACHED, id="already complex"),
        pytest.param(CaseFacts(Kind.COMPLAINT, JUL_01_MORNING), "  ",
                     RefusalCode.REASON_REQUIRED, id="blank reason"),
        pytest.param(CaseFacts(Kind.COMPLAINT, JUL_01_MORNING), None,
                     RefusalCode.REASON_REQUIRED, id="no reason"),
    ],
)  # fmt: skip
def test_reclassify_complex_refusals(
    facts: CaseFacts, reason: str | None, code: RefusalCode
) -> None:
    with pytest.raises(ExtensionRefused) as refused:
        reclassify_complex(JUL_01_MORNING, facts, VN, reason=reason)
    assert refused.value.code is code


def test_reclassify_complex_is_for_complaints_only() -> None:
    with pytest.raises(ValueError):
        reclassify_complex(THU_12_FEB_0900, CaseFacts(Kind.DENUNCIATION, THU_12_FEB_0900), VN,
                           reason="lý do")  # fmt: skip


Complexity = Literal["complex", "especially_complex"] | None


@pytest.mark.parametrize(
    ("kind", "granted", "complexity", "reason", "days", "day_type"),
    [
        pytest.param(Kind.DENUNCIATION, 0, "complex", "Cần xác minh", 30, DayType.CALENDAR,
                     id="denunciation complex first"),
        pytest.param(Kind.DENUNCIATION, 0, "especially_complex", "x", 30, DayType.CALENDAR,
                     id="denunciation especially complex first"),
        pytest.param(Kind.DENUNCIATION, 1, "especially_complex", "x", 30, DayType.CALENDAR,
                     id="denunciation especially complex second"),
        pytest.param(Kind.REPORT, 0, None, "Chờ ý kiến sở", 15, DayType.WORKING, id="report"),
        pytest.param(Kind.PETITION, 0, None, "x", 15, DayType.WORKING, id="petition"),
        pytest.param(Kind.COMMENT, 0, "complex", "x", 15, DayType.WORKING, id="comment"),
    ],
)  # fmt: skip
def test_extension_granted(
    kind: Kind, granted: int, complexity: Complexity, reason: str, days: int, day_type: DayType
) -> None:
    period = extension_period(kind, granted, complexity=complexity, reason=reason)
    assert (period.days, period.day_type) == (days, day_type)


@pytest.mark.parametrize(
    ("kind", "granted", "complexity", "reason", "code"),
    [
        pytest.param(Kind.REPORT, 1, None, "x", RefusalCode.LIMIT_REACHED, id="second for report"),
        pytest.param(Kind.PETITION, 1, None, "x", RefusalCode.LIMIT_REACHED,
                     id="second for petition"),
        pytest.param(Kind.DENUNCIATION, 1, "complex", "x", RefusalCode.LIMIT_REACHED,
                     id="second for complex denunciation"),
        pytest.param(Kind.DENUNCIATION, 2, "especially_complex", "x", RefusalCode.LIMIT_REACHED,
                     id="third for especially complex denunciation"),
        pytest.param(Kind.DENUNCIATION, 0, None, "x", RefusalCode.COMPLEXITY_REQUIRED,
                     id="simple denunciation"),
        pytest.param(Kind.DENUNCIATION, 0, "complex", "", RefusalCode.REASON_REQUIRED,
                     id="empty reason"),
        pytest.param(Kind.DENUNCIATION, 0, "complex", " \t", RefusalCode.REASON_REQUIRED,
                     id="blank reason"),
        pytest.param(Kind.COMMENT, 0, None, None, RefusalCode.REASON_REQUIRED, id="no reason"),
        pytest.param(Kind.COMPLAINT, 0, "complex", "x", RefusalCode.USE_COMPLEX_PERIOD,
                     id="complaint uses the complex period"),
    ],
)  # fmt: skip
def test_extension_refused(
    kind: Kind, granted: int, complexity: Complexity, reason: str | None, code: RefusalCode
) -> None:
    with pytest.raises(ExtensionRefused) as refused:
        extension_period(kind, granted, complexity=complexity, reason=reason)
    assert refused.value.code is code


def test_extension_uses_topic_configuration_and_rejects_negative_counts() -> None:
    topic = Period(5, DayType.WORKING, "topic")
    granted = extension_period(
        Kind.REPORT, 0, complexity=None, reason="x", topic_extension=topic
    )
    assert granted == topic
    with pytest.raises(ValueError):
        extension_period(Kind.REPORT, -1, complexity=None, reason="x")


def _term(day: date) -> Term:
    """A term whose last day is a working day, so it is its own due day."""
    return Term(day, end_of_local_day(day))


DENUNCIATION_17_JAN = term_at(ACCEPTED_17_JAN, THIRTY_CALENDAR, VN)  # 16/2 in Tết, due 23/2


def test_term_keeps_the_unshifted_last_day() -> None:
    assert DENUNCIATION_17_JAN == Term(date(2026, 2, 16), end_of_local_day(date(2026, 2, 23)))
    assert term_at(MAR_04_MORNING, TEN_CALENDAR, VN).last_day == date(2026, 3, 14)  # Saturday
    assert term_at(THU_12_FEB_0900, SEVEN_WORKING, VN) == _term(date(2026, 3, 2))


@pytest.mark.parametrize(
    ("term", "kind", "granted", "expected"),
    [
        pytest.param(_term(date(2026, 4, 1)), Kind.DENUNCIATION, 0, date(2026, 5, 4),
                     id="30 days onto 1/5"),
        pytest.param(_term(date(2026, 5, 4)), Kind.DENUNCIATION, 1, date(2026, 6, 3),
                     id="second 30 days"),
        pytest.param(_term(date(2026, 3, 12)), Kind.REPORT, 0, date(2026, 4, 2),
                     id="15 working days"),
        # Issue #8: accepted 17/1/2026, due 23/2; start + 60 days is 18/3, not 23/2 + 30 = 25/3.
        pytest.param(DENUNCIATION_17_JAN, Kind.DENUNCIATION, 0, date(2026, 3, 18),
                     id="from the unshifted day 30 in Tet: 16/2 + 30"),
        pytest.param(Term(date(2026, 3, 18), end_of_local_day(date(2026, 3, 18))),
                     Kind.DENUNCIATION, 1, date(2026, 4, 17), id="second: start + 90 days"),
        # Day 30 on Sat 11/4 (due Mon 13/4): + 30 days is Mon 11/5, not 13/5.
        pytest.param(Term(date(2026, 4, 11), end_of_local_day(date(2026, 4, 13))),
                     Kind.DENUNCIATION, 0, date(2026, 5, 11), id="from a Saturday day 30"),
        # A 30-calendar-day topic ending Sat 14/3 (due 16/3) + 15 working days from the 14th:
        # 16/3 is the first of them, so Fri 3/4, not Mon 6/4.
        pytest.param(Term(date(2026, 3, 14), end_of_local_day(date(2026, 3, 16))), Kind.REPORT,
                     0, date(2026, 4, 3), id="working extension of a rolled calendar clock"),
    ],
)  # fmt: skip
def test_extend_term_counts_from_the_unshifted_last_day(
    term: Term, kind: Kind, granted: int, expected: date
) -> None:
    period = extension_period(kind, granted, complexity="especially_complex", reason="x")
    extended = extend_term(term, period, VN)
    assert local_date(extended.due_at) == expected
    assert extended.due_at >= term.due_at


REPORT_DUE = term_at(THU_12_FEB_0900, FIFTEEN_WORKING, VN)  # 12/3
DENUNCIATION_DUE = term_at(at_local(2026, 3, 2), THIRTY_CALENDAR, VN)  # 1/4
SATURDAY_DUE = _term(date(2026, 3, 14))  # as an older calendar might have left it
# Issue #8: a complaint accepted 2/12/2025: day 30 is 1/1/2026 (day off), due Fri 2/1/2026.
COMPLAINT_2_DEC = term_at(at_local(2025, 12, 2), THIRTY_CALENDAR, VN25)


@pytest.mark.parametrize(
    ("term", "period", "paused_at", "resumed_at", "expected"),
    [
        pytest.param(REPORT_DUE, W15, at_local(2026, 2, 24, 10), at_local(2026, 3, 2, 14),
                     date(2026, 3, 18), id="working: 12 days left counted again"),
        pytest.param(REPORT_DUE, W15, at_local(2026, 2, 13, 10), at_local(2026, 2, 24),
                     date(2026, 3, 16), id="working: pause over Tet"),
        pytest.param(REPORT_DUE, W15, at_local(2026, 3, 3, 9), at_local(2026, 3, 3, 16),
                     date(2026, 3, 12), id="working: same-day pause changes nothing"),
        pytest.param(DENUNCIATION_DUE, C30, at_local(2026, 3, 10), at_local(2026, 3, 20),
                     date(2026, 4, 13), id="calendar: 22 days left, lands on Saturday"),
        pytest.param(DENUNCIATION_DUE, C30, at_local(2026, 3, 10, 9),
                     at_local(2026, 3, 10, 15), date(2026, 4, 1), id="calendar: same day"),
        pytest.param(DENUNCIATION_DUE, C30, at_local(2026, 4, 1, 10), at_local(2026, 4, 3),
                     date(2026, 4, 3), id="paused on the due day: due on the resume day"),
        pytest.param(DENUNCIATION_DUE, C30, at_local(2026, 4, 2), at_local(2026, 4, 10),
                     date(2026, 4, 1), id="paused after breach: unchanged"),
        pytest.param(SATURDAY_DUE, W15, at_local(2026, 3, 13, 10),
                     at_local(2026, 3, 13, 15), date(2026, 3, 14),
                     id="never earlier than a due left on a Saturday by an old calendar"),
        # Issue #8: 25 days owed from 7/12 to the unshifted 1/1 count again from 8/12: 2/1/2026
        # (the engine gave 5/1: 26 days to the rolled 2/1, landing on Saturday 3/1).
        pytest.param(COMPLAINT_2_DEC, C30, at_local(2025, 12, 7), at_local(2025, 12, 8),
                     date(2026, 1, 2), id="complaint 2/12/2025 paused 7/12-8/12"),
        # Issue #8: 25 days owed from 22/1 to the unshifted 16/2 count again from 1/2: Thu 26/2
        # (the engine gave 5/3: 32 days to the rolled 23/2).
        pytest.param(DENUNCIATION_17_JAN, C30, at_local(2026, 1, 22), at_local(2026, 2, 1),
                     date(2026, 2, 26), id="denunciation 17/1/2026 paused 22/1-1/2"),
        # Paused on Tue 17/2, in Tết after day 30 (16/2) but before the due day (23/2): nothing
        # is owed, so the clock ends on the resume day, rolled: resumed Sat 21/2 → Mon 23/2.
        pytest.param(DENUNCIATION_17_JAN, C30, at_local(2026, 2, 17), at_local(2026, 2, 21),
                     date(2026, 2, 23), id="paused inside the roll: nothing owed"),
    ],
)  # fmt: skip
def test_resume_term(
    term: Term, period: Period, paused_at: datetime, resumed_at: datetime, expected: date
) -> None:
    resumed = resume_term(term, paused_at, resumed_at, period, VN25)
    assert local_date(resumed.due_at) == expected
    assert resumed.due_at >= term.due_at


def test_resume_term_refuses_time_travel_and_naive_instants() -> None:
    with pytest.raises(ValueError):
        resume_term(REPORT_DUE, at_local(2026, 3, 2), at_local(2026, 2, 27), FIFTEEN_WORKING, VN)
    with pytest.raises(ValueError, match="naive"):
        resume_term(REPORT_DUE, datetime(2026, 3, 2), at_local(2026, 3, 3), FIFTEEN_WORKING, VN)


DENUNCIATION_START = at_local(2026, 3, 2)


def test_due_after_pauses_is_sequential_and_idempotent() -> None:
    """Day 30 is 1/4. Paused 10/3-20/3: 22 days owed, so Sat 11/4 (due 13/4). Paused 25/3-27/3:
    17 days owed to the unshifted 11/4, so Mon 13/4 again; carrying the roll gave 15/4."""
    pauses = [
        (at_local(2026, 3, 25), at_local(2026, 3, 27)),  # given out of order on purpose
        (at_local(2026, 3, 10), at_local(2026, 3, 20)),
    ]
    first = due_after_pauses(DENUNCIATION_START, THIRTY_CALENDAR, pauses, VN)
    assert local_date(first) == date(2026, 4, 13)
    assert due_after_pauses(DENUNCIATION_START, THIRTY_CALENDAR, pauses, VN) == first
    assert due_after_pauses(DENUNCIATION_START, THIRTY_CALENDAR, [], VN) == DENUNCIATION_DUE.due_at


@pytest.mark.parametrize(
    ("start", "history", "expected"),
    [
        pytest.param(ACCEPTED_17_JAN, [Extension(THIRTY_CALENDAR)], date(2026, 3, 18),
                     id="extension only: 16/2 + 30"),
        # Pause 22/1-1/2 moves day 30 to 26/2; the extension adds 30 days to it: Sat 28/3,
        # rolled once to Mon 30/3.
        pytest.param(ACCEPTED_17_JAN,
                     [Pause(at_local(2026, 1, 22), at_local(2026, 2, 1)), Extension(THIRTY_CALENDAR)],
                     date(2026, 3, 30), id="pause then extension"),
        # Extension first (day 60 is 18/3), then a one-day pause on 10/3-11/3: 8 days owed
        # from 11/3 → 19/3.
        pytest.param(ACCEPTED_17_JAN,
                     [Extension(THIRTY_CALENDAR), Pause(at_local(2026, 3, 10), at_local(2026, 3, 11))],
                     date(2026, 3, 19), id="extension then pause"),
        pytest.param(at_local(2025, 12, 2), [Pause(at_local(2025, 12, 7), at_local(2025, 12, 8))],
                     date(2026, 1, 2), id="complaint 2/12/2025"),
    ],
)  # fmt: skip
def test_replay_term_applies_the_history_in_order(
    start: datetime, history: list[Pause | Extension], expected: date
) -> None:
    replayed = replay_term(start, THIRTY_CALENDAR, history, VN25)
    assert local_date(replayed.due_at) == expected
    assert replay_term(start, THIRTY_CALENDAR, history, VN25) == replayed


def test_due_after_pauses_refuses_overlaps() -> None:
    overlapping = [
        (at_local(2026, 3, 10), at_local(2026, 3, 20)),
        (at_local(2026, 3, 15), at_local(2026, 3, 25)),
    ]
    with pytest.raises(ValueError, match="overlap"):
        due_after_pauses(DENUNCIATION_START, THIRTY_CALENDAR, overlapping, VN)


@pytest.mark.parametrize(
    ("due_day", "before_day"),
    [
        pytest.param(date(2026, 3, 2), date(2026, 2, 26), id="plain week"),
        pytest.param(date(2026, 2, 23), date(2026, 2, 12), id="back over Tet"),
        pytest.param(date(2026, 5, 4), date(2026, 4, 28), id="back over 30/4 and 1/5"),
        pytest.param(date(2026, 9, 3), date(2026, 8, 27), id="back over 2/9 and 31/8"),
        pytest.param(date(2027, 1, 4), date(2026, 12, 30), id="back over 1/1"),
    ],
)
def test_reminder_schedule(due_day: date, before_day: date) -> None:
    assert reminder_schedule(end_of_local_day(due_day), VN) == [
        ("before", start_of_local_day(before_day)),
        ("due_day", start_of_local_day(due_day)),
    ]


def test_reminder_schedule_exact_utc_instants_and_options() -> None:
    due = due_at(THU_12_FEB_0900, SEVEN_WORKING, VN)  # 2/3 23:59:59 local
    assert reminder_schedule(due, VN) == [
        ("before", datetime(2026, 2, 25, 17, 0, tzinfo=UTC)),  # 26/2 00:00 local
        ("due_day", datetime(2026, 3, 1, 17, 0, tzinfo=UTC)),  # 2/3 00:00 local
    ]
    assert reminder_schedule(due, VN, before_working_days=0) == [
        ("due_day", datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    ]
    with pytest.raises(ValueError):
        reminder_schedule(due, VN, before_working_days=-1)


def test_transfer_clock() -> None:
    planned = plan_transfer(THU_12_FEB_0900, VN)
    assert planned.clock is Clock.TRANSFER
    assert planned.period == transfer_period()
    assert (planned.period.days, planned.period.day_type) == (5, DayType.WORKING)
    assert local_date(planned.due_at) == date(2026, 2, 26)


@pytest.mark.parametrize(
    ("source", "configured", "days", "due"),
    [
        pytest.param("bttnd", None, 15, date(2026, 5, 4), id="BTTND 15 days onto 30/4"),
        pytest.param("front", None, 30, date(2026, 5, 15), id="Front default 30 days"),
        pytest.param("front", 10, 10, date(2026, 4, 28), id="Front 10 days onto Gio To nghi bu"),
        pytest.param("BTTND", None, 15, date(2026, 5, 4), id="BTTND in capitals is the BTTND"),
        pytest.param(" Bttnd ", None, 15, date(2026, 5, 4), id="blanks and case ignored"),
        pytest.param("FRONT", None, 30, date(2026, 5, 15), id="FRONT"),
    ],
)
def test_supervision_clock(source: str, configured: int | None, days: int, due: date) -> None:
    planned = plan_supervision(APR_15_MORNING, source, VN, configured)
    assert planned.clock is Clock.SUPERVISION
    assert (planned.period.days, planned.period.day_type) == (days, DayType.CALENDAR)
    assert local_date(planned.due_at) == due


def test_supervision_period_refusals() -> None:
    with pytest.raises(ValueError, match="statutory"):
        supervision_period("BTTND", 20)
    with pytest.raises(ValueError):
        supervision_period("front", 0)


@pytest.mark.parametrize("source", ["mttq", "", "ban thanh tra", "bttnd-x", "frontline"])
def test_unknown_supervision_source_is_refused_not_given_the_fronts_period(source: str) -> None:
    with pytest.raises(UnknownSupervisionSource) as refused:
        supervision_period(source)
    assert refused.value.source == source
    with pytest.raises(UnknownSupervisionSource):
        plan_supervision(APR_15_MORNING, source, VN)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: CaseFacts(Kind.REPORT, datetime(2026, 2, 12, 9)), id="naive receipt"),
        pytest.param(lambda: CaseFacts(Kind.COMPLAINT, THU_12_FEB_0900, complaint_round=3),
                     id="third complaint round"),
        pytest.param(lambda: Period(0, DayType.WORKING, "t"), id="empty period"),
    ],
)  # fmt: skip
def test_invalid_values_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


class _NoClock(datetime):
    """A ``datetime`` whose clock may not be read: planning must take time only from its inputs."""

    @classmethod
    def now(cls, tz: object = None) -> _NoClock:  # type: ignore[override]
        raise AssertionError("the clock was read")

    @classmethod
    def utcnow(cls) -> _NoClock:  # type: ignore[override]
        raise AssertionError("the clock was read")

    @classmethod
    def today(cls) -> _NoClock:  # type: ignore[override]
        raise AssertionError("the clock was read")


@pytest.mark.parametrize("kind", list(Kind))
def test_planning_is_pure(kind: Kind, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: planning reads no clock, changes none of its inputs, and gives the same clocks for
    equal inputs built afresh (another CaseFacts, another calendar built from the same years), so
    a replay months later plans what intake planned."""
    import copy

    import feedback.domain.calendar
    import feedback.domain.deadlines

    facts = CaseFacts(kind, THU_12_FEB_0900, topic_resolution=Period(5, DayType.WORKING, "Quy chế địa phương"))
    calendar = vietnam_calendar([2026, 2027])
    facts_before, calendar_before = copy.deepcopy(facts), copy.deepcopy(calendar)
    monkeypatch.setattr(feedback.domain.deadlines, "datetime", _NoClock)
    monkeypatch.setattr(feedback.domain.calendar, "datetime", _NoClock)

    planned = plan_deadlines(facts, calendar)

    assert (facts, calendar) == (facts_before, calendar_before)
    again = plan_deadlines(CaseFacts(kind, at_local(2026, 2, 12), topic_resolution=Period(5, DayType.WORKING, "Quy chế địa phương")),
                           vietnam_calendar([2026, 2027]))
    assert planned == again and planned is not again
    assert [deadline.starts_at for deadline in planned][0] == THU_12_FEB_0900


@pytest.mark.parametrize(("kind", "complexity", "allowed"), [
    (Kind.COMMENT, None, 1), (Kind.REPORT, None, 1), (Kind.PETITION, None, 1),
    (Kind.COMPLAINT, None, 1),  # reclassified complex once
    (Kind.DENUNCIATION, "complex", 1), (Kind.DENUNCIATION, "especially_complex", 2),
    (Kind.DENUNCIATION, None, 2),  # either: the officer may still ask as especially complex
])
def test_an_officer_may_ask_for_an_extension_only_while_the_law_leaves_one(
        kind: Kind, complexity: Literal["complex", "especially_complex"] | None, allowed: int) -> None:
    """Proves: ``may_extend_again`` holds for 0 … allowed − 1 extensions granted and not after
    (Luật Tố cáo 2018 Art. 30: once when complex, twice when especially complex; the informal
    kinds once; a complaint's one reclassification), and refuses a negative count."""
    from feedback.domain.law import may_extend_again

    assert [may_extend_again(kind, granted, complexity) for granted in range(4)] == [
        granted < allowed for granted in range(4)]
    with pytest.raises(ValueError):
        may_extend_again(kind, -1, complexity)
