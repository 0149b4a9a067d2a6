"""Clocks of an item and their due dates: all deadline day arithmetic (DESIGN.md §5).

Values in, values out: every instant is an aware datetime passed in by the caller, every result
an aware UTC datetime. A due date is the end (23:59:59 local) of the last local day of the
period, so a clock is breached by anything strictly later than `due_at`.

The statutory numbers live in `law.py`; the names callers need from there are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from feedback.domain.calendar import WorkCalendar, end_of_local_day, local_date
from feedback.domain.calendar import start_of_local_day
from feedback.domain.law import (
    DayType,
    ExtensionRefused,
    Period,
    RefusalCode,
    acceptance_period,
    check_complex_reclassification,
    extension_period,
    resolution_period,
    supervision_period,
    transfer_period,
)
from feedback.domain.status import Kind

__all__ = [  # the law.py names are re-exported: callers import deadlines only
    "CaseFacts", "Clock", "DayType", "ExtensionRefused", "Period", "PlannedDeadline",
    "RefusalCode", "due_after_pauses", "due_at", "extend_due", "extension_period", "is_overdue",
    "may_recompute", "plan_deadlines", "plan_supervision", "plan_transfer", "reclassify_complex",
    "recompute_due", "reminder_schedule", "restart_resolution", "resume_due",
    "supervision_period", "transfer_period",
]  # fmt: skip


class Clock(StrEnum):
    """Which clock of an item a deadline measures."""

    ACCEPTANCE = "acceptance"  # thụ lý, xử lý ban đầu, or reply/notify for informal kinds
    RESOLUTION = "resolution"  # giải quyết
    TRANSFER = "transfer"  # chuyển đơn to the competent unit
    SUPERVISION = "supervision"  # answer to a BTTND or Front recommendation


# Luật Khiếu nại 2011 Art. 28 / 37 and Luật Tố cáo 2018 Art. 30 count resolution "kể từ ngày
# thụ lý". Informal kinds have no formal acceptance: the local quy chế counts from receipt.
_RESOLUTION_FROM_ACCEPTANCE = frozenset({Kind.COMPLAINT, Kind.DENUNCIATION})


@dataclass(frozen=True)
class CaseFacts:
    """What the law needs to know about an item to plan its clocks.

    `received_at` must be aware (ValueError otherwise). `complaint_round` is 1 or 2 (ValueError
    otherwise) and only matters for complaints; `remote` and `complex` only for complaints;
    `several_places` only for tố cáo; `topic_resolution` only for comment, report, petition.
    """

    kind: Kind
    received_at: datetime
    remote: bool = False
    complex: bool = False
    complaint_round: int = 1
    several_places: bool = False
    topic_resolution: Period | None = None

    def __post_init__(self) -> None:
        local_date(self.received_at)  # raises ValueError when naive
        if self.complaint_round not in (1, 2):
            raise ValueError(f"complaint round must be 1 or 2, not {self.complaint_round}")


@dataclass(frozen=True)
class PlannedDeadline:
    """One clock: `period` counted from the local day after `starts_at`, due at `due_at`."""

    clock: Clock
    period: Period
    starts_at: datetime
    due_at: datetime


def due_at(start: datetime, period: Period, calendar: WorkCalendar) -> datetime:
    """When a period that starts with the event at `start` falls due, as aware UTC.

    Counting starts the local day after `start` (BLDS 2015 Art. 147). Calendar-day periods end
    on local date + days, rolled forward to the next working day when that is a weekend or day
    off (Art. 148(5)); working-day periods count only working days. The result is the end of the
    last local day. Raises ValueError for a naive `start` and CalendarNotCovered when the count
    leaves the calendar's years. Deterministic: same inputs, same result.
    """
    start_day = local_date(start)
    if period.day_type is DayType.WORKING:
        last = calendar.add_working_days(start_day, period.days)
    else:
        last = calendar.add_calendar_days_rolled(start_day, period.days)
    return end_of_local_day(last)


def recompute_due(start: datetime, period: Period, calendar: WorkCalendar) -> datetime:
    """`due_at` again, for after a calendar or rule change.

    Only for clocks that `may_recompute`: a breach already recorded is a fact about the past and
    is never rewritten, even if a new calendar would have moved the due date. Keeping that rule
    is the caller's duty; this function does not know about breaches.
    """
    return due_at(start, period, calendar)


def may_recompute(breached_at: datetime | None) -> bool:
    """True when a deadline may get a new due date: only while it has not been breached."""
    return breached_at is None


def is_overdue(
    due_at: datetime,
    now: datetime,
    *,
    paused_at: datetime | None = None,
    breached_at: datetime | None = None,
    met_at: datetime | None = None,
    closed_at: datetime | None = None,
) -> bool:
    """Whether a clock with these stored facts is overdue at `now`: the one rule (DESIGN.md §4).

    Overdue is not a status but a fact about a running deadline now, so only a clock still
    running can be overdue: one met (`met_at`) or otherwise stopped (`closed_at`: met late,
    superseded by a restarted or reclassified clock, or the item closed) never is, even when
    its breach is recorded; `breached_at` stays as the fact about the past and says "was late".
    A running clock is overdue when its breach is recorded, or when `now` is strictly later
    than `due_at` (the due instant itself is still on time, as for `due_at`) and it is not
    paused in time. A paused clock does not run: paused at or before `due_at` it is not
    overdue however long the pause lasts, since resuming moves its due date (`resume_due`);
    paused after `due_at` it was already late and stays overdue (`resume_due` keeps that due).

    Pure; the SQL twin for queries is `feedback.services.deadlines.overdue_clause`, held to the
    same answers by tests/services/test_overdue.py. Raises TypeError when naive and aware
    instants are compared.
    """
    if met_at is not None or closed_at is not None:
        return False
    if breached_at is not None:
        return True
    return now > due_at and (paused_at is None or paused_at > due_at)


def _planned(clock: Clock, period: Period, start: datetime, cal: WorkCalendar) -> PlannedDeadline:
    return PlannedDeadline(clock, period, start, due_at(start, period, cal))


def _resolution(facts: CaseFacts, start: datetime, calendar: WorkCalendar) -> PlannedDeadline:
    period = resolution_period(
        facts.kind,
        remote=facts.remote,
        complex=facts.complex,
        complaint_round=facts.complaint_round,
        topic_resolution=facts.topic_resolution,
    )
    return _planned(Clock.RESOLUTION, period, start, calendar)


def plan_deadlines(facts: CaseFacts, calendar: WorkCalendar) -> list[PlannedDeadline]:
    """The ACCEPTANCE and RESOLUTION clocks of a newly received item, in that order.

    ACCEPTANCE counts from `received_at`; which period applies depends on the local date of
    receipt (complaints switch to 7 working days on 1/7/2026).

    RESOLUTION, for complaints and tố cáo, legally counts from acceptance, which is not known
    yet at intake. It is planned from the acceptance due instant, the latest lawful acceptance,
    so the planned due date is the latest the law can allow and is never too early; when the
    unit actually accepts, `restart_resolution` gives the real clock. For comment, report and
    petition the resolution clock counts from receipt and runs alongside acceptance.
    Pure and deterministic; raises what `due_at` raises.
    """
    acceptance = _planned(
        Clock.ACCEPTANCE,
        acceptance_period(
            facts.kind,
            local_date(facts.received_at),
            complaint_round=facts.complaint_round,
            several_places=facts.several_places,
        ),
        facts.received_at,
        calendar,
    )
    if facts.kind in _RESOLUTION_FROM_ACCEPTANCE:
        resolution_start = acceptance.due_at
    else:
        resolution_start = facts.received_at
    return [acceptance, _resolution(facts, resolution_start, calendar)]


def restart_resolution(
    accepted_at: datetime, facts: CaseFacts, calendar: WorkCalendar
) -> PlannedDeadline:
    """The RESOLUTION clock once the unit has accepted the item at `accepted_at`.

    Complaints and tố cáo count from acceptance (even a late one: the late acceptance is its own
    breach). Comment, report and petition count from receipt, so for them the result equals the
    planned clock; calling this on every acceptance is therefore safe. Idempotent.
    Raises ValueError when `accepted_at` is naive or before `received_at`.
    """
    local_date(accepted_at)  # raises ValueError when naive
    if accepted_at < facts.received_at:
        raise ValueError("an item cannot be accepted before it is received")
    start = accepted_at if facts.kind in _RESOLUTION_FROM_ACCEPTANCE else facts.received_at
    return _resolution(facts, start, calendar)


def reclassify_complex(
    resolution_start: datetime, facts: CaseFacts, calendar: WorkCalendar, *, reason: str | None
) -> PlannedDeadline:
    """How a complaint is extended: its RESOLUTION clock re-planned as complex from its start.

    Luật Khiếu nại 2011 Art. 28 / 37 cap a complex case at 45 / 60 / 70 days from acceptance
    rather than granting an extension, so the new clock keeps `resolution_start` and takes the
    complex period for the same round and area. Allowed once (ExtensionRefused LIMIT_REACHED when
    `facts.complex` is already true) and with a non-blank reason (REASON_REQUIRED). Pauses
    already taken must be applied again with `due_after_pauses`. Raises ValueError for a kind
    other than complaint.
    """
    if facts.kind is not Kind.COMPLAINT:
        raise ValueError(f"only complaints are reclassified complex, not {facts.kind}")
    check_complex_reclassification(facts.complex, reason)
    period = resolution_period(
        facts.kind, remote=facts.remote, complex=True, complaint_round=facts.complaint_round
    )
    return _planned(Clock.RESOLUTION, period, resolution_start, calendar)


def extend_due(current_due: datetime, period: Period, calendar: WorkCalendar) -> datetime:
    """The due date after an extension of `period`, counted from the current due date.

    The extension starts the local day after the current due day (the day the original period
    expired, already rolled past any holiday) and follows the same rules as `due_at`.
    Get `period` from `extension_period`, which decides whether the extension is allowed.
    """
    return due_at(current_due, period, calendar)


def resume_due(
    due: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    period: Period,
    calendar: WorkCalendar,
) -> datetime:
    """The due date after a pause from `paused_at` to `resumed_at` (waiting for the resident).

    The days of the period's type that remained at the pause, counted over local dates from the
    day after the pause day to the due day, are counted again from the local day after the
    resume day; so the pause day counts as used and the resume day as free. For calendar-day
    periods the result is rolled to a working day; the remainder is measured to the due day as
    already rolled, so a roll once granted is kept. The result is never earlier than `due`.

    A clock paused after it was due stays as it was: `due` is returned unchanged, since a breach
    is never undone. Apply each pause once, oldest first, or use `due_after_pauses`.
    Raises ValueError for naive instants or when `resumed_at` is before `paused_at`.
    """
    paused_day, due_day = local_date(paused_at), local_date(due)
    resumed_day = local_date(resumed_at)
    if resumed_at < paused_at:
        raise ValueError("a clock cannot resume before it was paused")
    if paused_at > due:
        return due
    if period.day_type is DayType.WORKING:
        remaining = calendar.working_days_between(paused_day, due_day)
        last = calendar.next_working_day_on_or_after(
            calendar.add_working_days(resumed_day, remaining)
        )
    else:
        remaining = (due_day - paused_day).days
        last = calendar.add_calendar_days_rolled(resumed_day, remaining)
    return max(due, end_of_local_day(last))


def due_after_pauses(
    due: datetime,
    pauses: Iterable[tuple[datetime, datetime]],
    period: Period,
    calendar: WorkCalendar,
) -> datetime:
    """The due date `due` (as planned without pauses) after all closed `(paused_at, resumed_at)`.

    Recomputes from scratch, so calling it again with the same spans gives the same answer
    (idempotent). Spans are applied oldest first. Raises ValueError for overlapping spans and
    for what `resume_due` refuses.
    """
    result = due
    previous_resume: datetime | None = None
    for paused_at, resumed_at in sorted(pauses):
        if previous_resume is not None and paused_at < previous_resume:
            raise ValueError("pauses overlap")
        result = resume_due(result, paused_at, resumed_at, period, calendar)
        previous_resume = resumed_at
    return result


def plan_transfer(received_at: datetime, calendar: WorkCalendar) -> PlannedDeadline:
    """The TRANSFER clock of an item a unit received but is not competent for (5 working days)."""
    return _planned(Clock.TRANSFER, transfer_period(), received_at, calendar)


def plan_supervision(
    issued_at: datetime,
    source: Literal["bttnd", "front"],
    calendar: WorkCalendar,
    configured_days: int | None = None,
) -> PlannedDeadline:
    """The SUPERVISION clock of a recommendation issued at `issued_at` (see supervision_period)."""
    return _planned(
        Clock.SUPERVISION, supervision_period(source, configured_days), issued_at, calendar
    )


def reminder_schedule(
    due: datetime, calendar: WorkCalendar, before_working_days: int = 2
) -> list[tuple[str, datetime]]:
    """When to remind the unit of a deadline due at `due`, in chronological order.

    ("before", start of the local working day `before_working_days` working days before the due
    day) unless `before_working_days` is 0, then ("due_day", start of the due local day). Both
    as aware UTC instants; they may be in the past, and the caller skips those. Raises
    ValueError for a negative `before_working_days` or a naive `due`.
    """
    if before_working_days < 0:
        raise ValueError(f"cannot remind {before_working_days} working days before")
    due_day = local_date(due)
    schedule: list[tuple[str, datetime]] = []
    if before_working_days:
        early = calendar.add_working_days(due_day, -before_working_days)
        schedule.append(("before", start_of_local_day(early)))
    schedule.append(("due_day", start_of_local_day(due_day)))
    return schedule
