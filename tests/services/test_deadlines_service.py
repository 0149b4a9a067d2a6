"""Deadline rows: created with their legal basis, paused and resumed, extended as the law allows,
met, and recomputed by calendar overrides without ever touching a recorded breach.

Dates are worked out by hand on the March–May 2026 calendar (no holiday in March; 30/4 and 1/5
are days off). The item is received on Tuesday 03/03/2026 at 09:00 local (TUESDAY_MORNING).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date
from feedback.domain.deadlines import Clock, RefusalCode
from feedback.domain.events import Actor
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import CalendarOverride, Deadline, Event, Feedback
from feedback.services.deadlines.overrides import add_override, remove_override
from feedback.services.deadlines.replay import recompute_due_at
from feedback.services.deadlines.clocks import (
    DeadlineError,
    ExtensionNotAllowed,
    extend,
    mark_met,
    pause_clocks,
    resume_clocks,
    start_clocks,
)
from tests.factories import Directory, add_topic, make_directory, make_feedback
from tests.times import TUESDAY_MORNING, TUE_10_MAR_0900, WED_04_MAR_0900, WED_11_MAR

MON_09_MAR_0900 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
SAT_14_MAR = date(2026, 3, 14)
TUE_17_MAR = date(2026, 3, 17)
WED_18_MAR = date(2026, 3, 18)
WED_25_MAR_0900 = datetime(2026, 3, 25, 2, 0, tzinfo=UTC)
WED_01_APR_0900 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
THU_02_APR_0900 = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
# Calendar overrides are an administrator's act; here one at the command line.
ADMIN = Actor.cli("quantri")
# Who decides an extension; the handling pages will pass the signed-in head of unit.
HEAD_OF_UNIT = Actor.cli("chu-tich")


@pytest.fixture
def directory(db_session: Session) -> Directory:
    return make_directory()


def started(directory: Directory, kind: Kind = Kind.REPORT, **extra: object) -> tuple[Feedback, dict[str, Deadline]]:
    item = make_feedback(directory, kind=kind, **extra)
    rows = start_clocks(item, directory.ubnd_ha_tu, TUESDAY_MORNING)
    db.session.commit()
    return item, {row.clock: row for row in rows}


def due_day(deadline: Deadline) -> date:
    db.session.refresh(deadline)
    return local_date(deadline.due_at)


def actions(item: Feedback) -> list[str]:
    return list(db.session.scalars(sa.select(Event.action).where(Event.feedback_id == item.id).order_by(Event.seq)))


def test_report_clocks_have_their_legal_basis_and_hand_checked_dates(directory: Directory) -> None:
    """A report: reply within 10 working days (Luật Tiếp công dân Art. 28) → Tue 17/03;
    resolve within 15 working days (local default) → Tue 24/03; both owned by the unit."""
    item, clocks = started(directory)
    assert due_day(clocks["acceptance"]) == date(2026, 3, 17)
    assert due_day(clocks["resolution"]) == date(2026, 3, 24)
    assert clocks["acceptance"].legal_basis == "Luật Tiếp công dân 2013, Điều 28"
    assert clocks["resolution"].legal_basis.startswith("Quy chế địa phương")
    assert {(d.day_type, d.period_days, d.unit_id) for d in clocks.values()} == {
        ("working", 10, directory.ubnd_ha_tu.id), ("working", 15, directory.ubnd_ha_tu.id)}
    assert actions(item) == ["deadlines_set"]


def test_a_fast_topic_caps_the_first_reply_at_the_resolution(directory: Directory) -> None:
    """A topic resolved within 5 working days: from Tue 03/03 the resolution is due Tue 10/03, so
    the reply (10 working days: 17/03) is due 10/03 too, never after the resolution; the row keeps
    the period it was capped to, so a calendar recompute keeps both together."""
    quick = add_topic("moi-truong.quick", "Rác thải ven đường", directory.environment, resolution_working_days=5)
    _, clocks = started(directory, topic=quick)
    assert due_day(clocks["resolution"]) == date(2026, 3, 10)
    assert due_day(clocks["acceptance"]) == date(2026, 3, 10)
    assert (clocks["acceptance"].day_type, clocks["acceptance"].period_days) == ("working", 5)
    assert "không muộn hơn hạn giải quyết" in clocks["acceptance"].legal_basis

    assert add_override(date(2026, 3, 9), True, "Nghỉ", now=TUE_10_MAR_0900 - timedelta(days=2), actor=ADMIN) == 2
    assert due_day(clocks["acceptance"]) == due_day(clocks["resolution"]) == WED_11_MAR


@pytest.mark.parametrize(
    ("locality", "complex_case", "days"),
    [("village", False, 30), ("remote_village", False, 45), ("village", True, 45), ("remote_village", True, 60)],
)
def test_complaint_resolution_by_area_and_complexity(
    directory: Directory, locality: str, complex_case: bool, days: int
) -> None:
    """Luật Khiếu nại 2011 Art. 28: 30 days, 45 remote or complex, 60 remote and complex."""
    _, clocks = started(directory, Kind.COMPLAINT, locality=getattr(directory, locality), is_complex=complex_case)
    assert clocks["resolution"].period_days == days


def test_second_start_hands_the_running_clocks_to_the_new_unit(directory: Directory) -> None:
    """A later assignment does not restart the clocks: same rows, same due dates, new owner;
    a breached clock stays with the unit that let it happen."""
    item, clocks = started(directory)
    clocks["acceptance"].breached_at = datetime(2026, 3, 17, 17, 0, tzinfo=UTC)
    before = {c: d.due_at for c, d in clocks.items()}

    assert start_clocks(item, directory.environment_dept, WED_25_MAR_0900) == []

    assert db.session.scalar(sa.select(sa.func.count()).where(Deadline.feedback_id == item.id)) == 2
    assert {c: d.due_at for c, d in clocks.items()} == before
    assert clocks["resolution"].unit_id == directory.environment_dept.id
    assert clocks["acceptance"].unit_id == directory.ubnd_ha_tu.id


def test_pause_and_resume_move_the_due_dates_by_the_working_days_paused(directory: Directory) -> None:
    """Paused on Wed 04/03 (used), resumed on Mon 09/03 (free): Thu, Fri and Mon are given back,
    so 17/03 becomes Fri 20/03 and 24/03 becomes Fri 27/03. Resuming again changes nothing."""
    item, clocks = started(directory)
    with pytest.raises(DeadlineError):
        pause_clocks(item, WED_04_MAR_0900, "  ")
    assert pause_clocks(item, WED_04_MAR_0900, "Chờ người dân bổ sung ảnh") == 2
    assert pause_clocks(item, WED_04_MAR_0900 + timedelta(hours=1), "again") == 0

    assert resume_clocks(item, MON_09_MAR_0900) == 2
    assert resume_clocks(item, MON_09_MAR_0900) == 0

    assert due_day(clocks["acceptance"]) == date(2026, 3, 20)
    assert due_day(clocks["resolution"]) == date(2026, 3, 27)
    assert clocks["acceptance"].paused_at is None
    assert actions(item) == ["deadlines_set", "clocks_paused", "clocks_resumed"]


def test_report_extends_once_with_a_reason(directory: Directory) -> None:
    """Once, with a reason: +15 working days from Tue 24/03 → Tue 14/04; no reason or a second
    extension is refused with the law's code."""
    item, clocks = started(directory)
    with pytest.raises(ExtensionNotAllowed) as no_reason:
        extend(item, Clock.RESOLUTION, complexity=None, reason=" ", decided_by=HEAD_OF_UNIT, now=TUE_10_MAR_0900)
    assert no_reason.value.code is RefusalCode.REASON_REQUIRED

    extend(item, Clock.RESOLUTION, complexity=None, reason="Cần khảo sát hiện trường", decided_by=HEAD_OF_UNIT,
           now=TUE_10_MAR_0900)
    assert due_day(clocks["resolution"]) == date(2026, 4, 14)
    assert clocks["resolution"].extensions == 1

    with pytest.raises(ExtensionNotAllowed) as again:
        extend(item, Clock.RESOLUTION, complexity=None, reason="Lần hai", decided_by=HEAD_OF_UNIT,
               now=TUE_10_MAR_0900)
    assert again.value.code is RefusalCode.LIMIT_REACHED
    assert "deadline_extended" in actions(item)


def test_denunciation_extends_once_when_complex(directory: Directory) -> None:
    """Tố cáo: accepted by Thu 12/03 (7 working days), resolved 30 days later: Sat 11/04 rolls to
    Mon 13/04; complex adds 30 days once to the unshifted 11/04 → Mon 11/05 (counting from the
    rolled 13/04 gave 13/05); not without complexity, not twice."""
    item, clocks = started(directory, Kind.DENUNCIATION)
    assert due_day(clocks["acceptance"]) == date(2026, 3, 12)
    assert due_day(clocks["resolution"]) == date(2026, 4, 13)
    with pytest.raises(ExtensionNotAllowed) as simple:
        extend(item, Clock.RESOLUTION, complexity=None, reason="x", decided_by=HEAD_OF_UNIT, now=TUE_10_MAR_0900)
    assert simple.value.code is RefusalCode.COMPLEXITY_REQUIRED

    extend(item, Clock.RESOLUTION, complexity="complex", reason="Nhiều người liên quan", decided_by=HEAD_OF_UNIT,
           now=TUE_10_MAR_0900)
    assert due_day(clocks["resolution"]) == date(2026, 5, 11)
    assert recompute_due_at(clocks["resolution"]) == clocks["resolution"].due_at
    with pytest.raises(ExtensionNotAllowed) as twice:
        extend(item, Clock.RESOLUTION, complexity="complex", reason="y", decided_by=HEAD_OF_UNIT,
               now=TUE_10_MAR_0900)
    assert twice.value.code is RefusalCode.LIMIT_REACHED


def test_especially_complex_denunciation_extends_twice(directory: Directory) -> None:
    """Twice by decision, each from the unshifted last day: 11/04 (due 13/04) → Mon 11/05 →
    Wed 10/06 (counting from rolled dates gave 13/05 and 12/06)."""
    item, clocks = started(directory, Kind.DENUNCIATION)
    for reason in ("Lần một", "Lần hai"):
        extend(item, Clock.RESOLUTION, complexity="especially_complex", reason=reason, decided_by=HEAD_OF_UNIT,
               now=TUE_10_MAR_0900)
    assert due_day(clocks["resolution"]) == date(2026, 6, 10)
    assert clocks["resolution"].extensions == 2


def test_a_one_day_pause_does_not_carry_the_weekend_roll(directory: Directory) -> None:
    """Tố cáo resolution: day 30 is Sat 11/04, due Mon 13/04. Paused Wed 01/04, resumed Thu
    02/04: 10 days owed to the unshifted 11/04 count again from 02/04 → Sun 12/04 → Mon 13/04
    (measured to the rolled 13/04 it gave Tue 14/04). A 30-day extension then counts from the
    unshifted 12/04 → Tue 12/05 (not 14/05). The stored dates equal the replay of the events."""
    item, clocks = started(directory, Kind.DENUNCIATION)
    resolution = clocks["resolution"]
    assert pause_clocks(item, WED_01_APR_0900, "Chờ người tố cáo bổ sung") == 2
    assert resume_clocks(item, THU_02_APR_0900) == 2
    assert due_day(resolution) == date(2026, 4, 13)
    assert recompute_due_at(resolution) == resolution.due_at

    extend(item, Clock.RESOLUTION, complexity="complex", reason="Nhiều người liên quan",
           decided_by=HEAD_OF_UNIT, now=THU_02_APR_0900)
    assert due_day(resolution) == date(2026, 5, 12)
    assert recompute_due_at(resolution) == resolution.due_at


def test_complaint_is_reclassified_complex_instead_of_extended(directory: Directory) -> None:
    """A complaint has no extension: without complexity it is refused; with it, the resolution
    clock is re-planned from its start with 45 days (Art. 28) and the item marked complex."""
    item, clocks = started(directory, Kind.COMPLAINT)
    resolution = clocks["resolution"]
    with pytest.raises(ExtensionNotAllowed) as refused:
        extend(item, Clock.RESOLUTION, complexity=None, reason="x", decided_by=HEAD_OF_UNIT, now=TUE_10_MAR_0900)
    assert refused.value.code is RefusalCode.USE_COMPLEX_PERIOD

    extend(item, Clock.RESOLUTION, complexity="complex", reason="Vụ việc phức tạp", decided_by=HEAD_OF_UNIT,
           now=TUE_10_MAR_0900)
    assert (resolution.period_days, item.is_complex) == (45, True)
    assert "phức tạp" in resolution.legal_basis
    # accepted by Tue 17/03 (10 working days before 1/7/2026, TT 07/2013 Art. 5(1)); 45 days
    # later is Fri 01/05 (day off), then the weekend, so Mon 04/05
    assert due_day(resolution) == date(2026, 5, 4)


def test_a_breached_or_expired_clock_is_not_extended(directory: Directory) -> None:
    item, clocks = started(directory)
    with pytest.raises(DeadlineError):
        extend(item, Clock.RESOLUTION, complexity=None, reason="x", decided_by=HEAD_OF_UNIT,
               now=clocks["resolution"].due_at + timedelta(seconds=1))
    clocks["resolution"].breached_at = TUE_10_MAR_0900
    with pytest.raises(DeadlineError):
        extend(item, Clock.RESOLUTION, complexity=None, reason="x", decided_by=HEAD_OF_UNIT, now=TUE_10_MAR_0900)


def test_mark_met_closes_the_clock_once(directory: Directory) -> None:
    item, clocks = started(directory)
    assert mark_met(item, Clock.ACCEPTANCE, TUE_10_MAR_0900) == [clocks["acceptance"]]
    assert mark_met(item, Clock.ACCEPTANCE, WED_25_MAR_0900) == []
    assert clocks["acceptance"].met_at == clocks["acceptance"].closed_at == TUE_10_MAR_0900
    assert clocks["resolution"].closed_at is None


def test_day_off_override_moves_open_deadlines_never_breached_or_closed_ones(directory: Directory) -> None:
    """A day off on Wed 11/03 pushes every open clock spanning it by one working day (17/03 →
    18/03, 24/03 → 25/03). A breached clock and a closed one with the same span keep their due
    date (their open siblings move: 2 + 1 + 1 clocks); one event is written per item moved; the
    same call again changes nothing; removing the override moves the open clocks back."""
    open_item, open_clocks = started(directory)
    breached_item, breached_clocks = started(directory)
    breached_clocks["resolution"].breached_at = datetime(2026, 3, 24, 17, 0, tzinfo=UTC)
    closed_item, closed_clocks = started(directory)
    mark_met(closed_item, Clock.ACCEPTANCE, TUE_10_MAR_0900)
    db.session.commit()

    assert add_override(WED_11_MAR, True, "Nghỉ bù", now=TUE_10_MAR_0900, actor=ADMIN) == 4
    assert add_override(WED_11_MAR, True, "Nghỉ bù", now=TUE_10_MAR_0900, actor=ADMIN) == 0

    assert due_day(open_clocks["acceptance"]) == date(2026, 3, 18)
    assert due_day(open_clocks["resolution"]) == date(2026, 3, 25)
    assert due_day(breached_clocks["acceptance"]) == date(2026, 3, 18)
    assert due_day(breached_clocks["resolution"]) == date(2026, 3, 24)  # breach kept
    assert due_day(closed_clocks["acceptance"]) == date(2026, 3, 17)  # closed kept
    assert due_day(closed_clocks["resolution"]) == date(2026, 3, 25)
    assert actions(open_item).count("deadline_recomputed") == 1
    assert actions(breached_item).count("deadline_recomputed") == 1
    assert db.session.scalar(sa.select(CalendarOverride).where(CalendarOverride.day == WED_11_MAR)) is not None

    assert remove_override(WED_11_MAR, now=TUE_10_MAR_0900, actor=ADMIN) == 4
    assert remove_override(WED_11_MAR, now=TUE_10_MAR_0900, actor=ADMIN) == 0
    assert due_day(open_clocks["acceptance"]) == date(2026, 3, 17)
    assert due_day(breached_clocks["resolution"]) == date(2026, 3, 24)


def test_first_clocks_read_the_overrides_with_the_case_facts(directory: Directory) -> None:
    """Issue #11: an item's first clocks read the calendar's overrides in the case facts'
    statement (no read of their own), and plan on exactly the calendar ``calendar_for`` gives: a
    day off on Wed 11/03 set before the item's clocks start moves them by one working day (17/03
    → 18/03, 24/03 → 25/03); a worked Saturday in the next year is in the same calendar."""
    from feedback.services.deadlines.calendar import calendar_for
    from feedback.services.deadlines.clocks import case_facts_and_calendar
    from tests.statements import recorded_statements

    add_override(WED_11_MAR, True, "Nghỉ bù", now=TUE_10_MAR_0900, actor=ADMIN)
    add_override(date(2027, 1, 9), False, "Làm bù", now=TUE_10_MAR_0900, actor=ADMIN)
    db.session.commit()
    item = make_feedback(directory)
    db.session.commit()
    facts, calendar = case_facts_and_calendar(item, item.received_at, TUESDAY_MORNING)
    assert calendar is calendar_for(item.received_at, TUESDAY_MORNING)
    assert calendar is not None and calendar.is_working_day(date(2027, 1, 9))
    assert not calendar.is_working_day(WED_11_MAR)

    with recorded_statements() as statements:
        rows = start_clocks(item, directory.ubnd_ha_tu, TUESDAY_MORNING)
    assert not [s for s in statements if s.startswith("SELECT calendar_override")], statements
    db.session.commit()
    clocks = {row.clock: row for row in rows}
    assert due_day(clocks["acceptance"]) == date(2026, 3, 18)
    assert due_day(clocks["resolution"]) == date(2026, 3, 25)


def test_worked_saturday_brings_deadlines_forward(directory: Directory) -> None:
    """Saturday 14/03 declared a working day: the 10th working day is Mon 16/03, not Tue 17/03."""
    _, clocks = started(directory)
    assert add_override(SAT_14_MAR, False, "Làm bù", now=TUE_10_MAR_0900, actor=ADMIN) == 2
    assert due_day(clocks["acceptance"]) == date(2026, 3, 16)
    assert due_day(clocks["resolution"]) == date(2026, 3, 23)


def test_override_replays_pauses_and_extensions(directory: Directory) -> None:
    """After a pause (04/03 → 09/03) the acceptance clock is due Fri 20/03; a day off on Wed 18/03
    makes it Mon 23/03: the pause is replayed on the new calendar, not lost. The resolution
    clock, paused then extended (27/03 + 15 working days = Fri 17/04), is replayed as 25/03,
    + 3 working days paused = Mon 30/03, + 15 working days = Mon 20/04."""
    item, clocks = started(directory)
    pause_clocks(item, WED_04_MAR_0900, "Chờ bổ sung")
    resume_clocks(item, MON_09_MAR_0900)
    extend(item, Clock.RESOLUTION, complexity=None, reason="Khảo sát", decided_by=HEAD_OF_UNIT, now=TUE_10_MAR_0900)
    db.session.commit()
    assert (due_day(clocks["acceptance"]), due_day(clocks["resolution"])) == (date(2026, 3, 20), date(2026, 4, 17))

    assert add_override(WED_18_MAR, True, "Nghỉ đột xuất", now=TUE_10_MAR_0900, actor=ADMIN) == 2

    assert due_day(clocks["acceptance"]) == date(2026, 3, 23)
    assert due_day(clocks["resolution"]) == date(2026, 4, 20)


def test_complaint_resolution_planned_from_acceptance_follows_it(directory: Directory) -> None:
    """Received Tue 03/03, before 1/7/2026: accepted within 10 working days → Tue 17/03 (not 10
    calendar days → Fri 13/03). The resolution is planned from that date: 30 days → Thu 16/04.
    A day off on Tue 17/03 moves acceptance to Wed 18/03, and the resolution with it: Fri 17/04."""
    _, clocks = started(directory, Kind.COMPLAINT)
    assert (due_day(clocks["acceptance"]), due_day(clocks["resolution"])) == (date(2026, 3, 17), date(2026, 4, 16))
    assert (clocks["acceptance"].day_type, clocks["acceptance"].period_days) == ("working", 10)
    assert "TT 07/2013/TT-TTCP" in clocks["acceptance"].legal_basis

    assert add_override(TUE_17_MAR, True, "Nghỉ", now=TUE_10_MAR_0900, actor=ADMIN) == 2

    assert due_day(clocks["acceptance"]) == date(2026, 3, 18)
    assert due_day(clocks["resolution"]) == date(2026, 4, 17)
    assert clocks["resolution"].starts_at == clocks["acceptance"].due_at
