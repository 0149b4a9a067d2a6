"""Clocks of an item and their due dates (DESIGN.md §5); a running term's pause and extension
arithmetic is in ``terms.py`` (re-exported here).

Values in, values out: every instant is an aware datetime passed in by the caller, every result
an aware UTC datetime. A due date is the end (23:59:59 local) of the last local day of the
period, so a clock is breached by anything strictly later than `due_at`.

The statutory numbers live in `law.py`; the names callers need from there and from `terms.py`
are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from feedback.domain.calendar import WorkCalendar, local_date, start_of_local_day
from feedback.domain.law import (
    DayType,
    ExtensionRefused,
    Period,
    RefusalCode,
    UnknownSupervisionSource,
    acceptance_notice_period,
    acceptance_period,
    check_complex_reclassification,
    decision_notice_period,
    extension_period,
    resolution_period,
    supervision_period,
    transfer_period,
)
from feedback.domain.status import Kind
from feedback.domain.terms import (
    Extension,
    Pause,
    Term,
    due_after_pauses,
    extend_term,
    replay_term,
    resume_term,
    term_at,
)

__all__ = [  # the law.py and terms.py names are re-exported: callers import deadlines only
    "CaseFacts", "Clock", "DayType", "Extension", "ExtensionRefused", "Pause", "Period",
    "PlannedDeadline", "RefusalCode", "Term", "UnknownSupervisionSource",
    "acceptance_notice_period", "decision_notice_period", "due_after_pauses", "due_at",
    "extend_term", "extension_period", "is_overdue", "may_recompute", "plan_acceptance_notice",
    "plan_deadlines", "plan_decision_notice", "plan_on_acceptance", "plan_supervision",
    "plan_transfer", "reclassify_complex", "recompute_due", "reminder_schedule", "replay_term",
    "resolution_counts_from_acceptance",
    "restart_resolution", "resume_term", "supervision_period", "term_at", "transfer_period",
]  # fmt: skip


class Clock(StrEnum):
    """Which clock of an item a deadline measures."""

    ACCEPTANCE = "acceptance"  # thụ lý, xử lý ban đầu, or reply/notify for informal kinds
    RESOLUTION = "resolution"  # giải quyết
    TRANSFER = "transfer"  # chuyển đơn to the competent unit
    SUPERVISION = "supervision"  # answer to a BTTND or Front recommendation
    # Opened by handling actions: acceptance (services/handling/acceptance.py), publication (answers.py).
    ACCEPTANCE_NOTICE = "acceptance_notice"  # tố cáo: notify the denouncer of the acceptance
    DECISION_NOTICE = "decision_notice"  # complaint: send the decision to the complainant


# Luật Khiếu nại 2011 Art. 28 / 37 and Luật Tố cáo 2018 Art. 30 count resolution "kể từ ngày
# thụ lý". Informal kinds have no formal acceptance: the local quy chế counts from receipt.
_RESOLUTION_FROM_ACCEPTANCE = frozenset({Kind.COMPLAINT, Kind.DENUNCIATION})


def resolution_counts_from_acceptance(kind: Kind) -> bool:
    """Whether the resolution period of ``kind`` counts from the acceptance (khiếu nại, tố cáo:
    Luật Khiếu nại 2011 Art. 28, Luật Tố cáo 2018 Art. 30) rather than from the receipt; until
    the acceptance such an item's resolution clock is provisional. Pure."""
    return kind in _RESOLUTION_FROM_ACCEPTANCE


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
    return term_at(start, period, calendar).due_at


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
    overdue however long the pause lasts, since resuming moves its due date (`resume_term`);
    paused after `due_at` it was already late and stays overdue (`resume_term` keeps that due).

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
    unit actually accepts, `plan_on_acceptance` gives the real clocks. For comment, report and
    petition the resolution clock counts from receipt and runs alongside acceptance.

    The first step never ends after the resolution: when a topic resolves faster than the
    first-step period (say 5 working days against 10), the ACCEPTANCE clock takes the
    resolution period, so both fall due together, and its legal basis says why. Both count from
    receipt then, so they stay together through pauses and calendar changes.
    Pure and deterministic; raises what `due_at` raises.
    """
    first_step = acceptance_period(
        facts.kind,
        local_date(facts.received_at),
        complaint_round=facts.complaint_round,
        several_places=facts.several_places,
    )
    acceptance = _planned(Clock.ACCEPTANCE, first_step, facts.received_at, calendar)
    if facts.kind in _RESOLUTION_FROM_ACCEPTANCE:
        return [acceptance, _resolution(facts, acceptance.due_at, calendar)]
    resolution = _resolution(facts, facts.received_at, calendar)
    if resolution.due_at < acceptance.due_at:
        capped = Period(
            resolution.period.days,
            resolution.period.day_type,
            f"{first_step.legal_basis}; không muộn hơn hạn giải quyết "
            f"({resolution.period.legal_basis})",
        )
        acceptance = _planned(Clock.ACCEPTANCE, capped, facts.received_at, calendar)
    return [acceptance, resolution]


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


def plan_reopened_resolution(
    reopened_at: datetime, facts: CaseFacts, calendar: WorkCalendar
) -> PlannedDeadline:
    """The RESOLUTION clock of a new answer cycle: the resident reopened the answered item at
    `reopened_at`, so the kind's resolution period counts again from that moment, for every kind
    (DESIGN.md §6). Raises ValueError when `reopened_at` is naive or before `received_at`."""
    local_date(reopened_at)  # raises ValueError when naive
    if reopened_at < facts.received_at:
        raise ValueError("an item cannot be reopened before it is received")
    return _resolution(facts, reopened_at, calendar)


def plan_acceptance_notice(accepted_at: datetime, calendar: WorkCalendar) -> PlannedDeadline:
    """The ACCEPTANCE_NOTICE clock of a tố cáo accepted at `accepted_at`: 5 working days to
    notify the denouncer (Luật Tố cáo 2018 Art. 29(3)). Raises what `due_at` raises."""
    notice = acceptance_notice_period(Kind.DENUNCIATION)
    return _planned(Clock.ACCEPTANCE_NOTICE, notice, accepted_at, calendar)


def plan_on_acceptance(
    accepted_at: datetime, facts: CaseFacts, calendar: WorkCalendar
) -> list[PlannedDeadline]:
    """The clocks a unit's acceptance (thụ lý) sets, for the future handling service to store.

    Always the RESOLUTION clock counted from the real acceptance (`restart_resolution`, which
    replaces the one planned from the acceptance due date); for a tố cáo also the
    ACCEPTANCE_NOTICE clock (`plan_acceptance_notice`), in that order. Idempotent; raises what
    `restart_resolution` raises.
    """
    planned = [restart_resolution(accepted_at, facts, calendar)]
    if facts.kind is Kind.DENUNCIATION:
        planned.append(plan_acceptance_notice(accepted_at, calendar))
    return planned


def plan_decision_notice(
    decided_at: datetime, facts: CaseFacts, calendar: WorkCalendar
) -> PlannedDeadline:
    """The DECISION_NOTICE clock of a complaint decided at `decided_at`: 3 working days to send
    the decision (Luật Khiếu nại 2011 Art. 32). Raises ValueError for another kind or a second
    round (see `decision_notice_period`) and for a naive `decided_at` or one before receipt."""
    period = decision_notice_period(facts.kind, complaint_round=facts.complaint_round)
    local_date(decided_at)  # raises ValueError when naive
    if decided_at < facts.received_at:
        raise ValueError("an item cannot be decided before it is received")
    return _planned(Clock.DECISION_NOTICE, period, decided_at, calendar)


def reclassify_complex(
    resolution_start: datetime, facts: CaseFacts, calendar: WorkCalendar, *, reason: str | None
) -> PlannedDeadline:
    """How a complaint is extended: its RESOLUTION clock re-planned as complex from its start.

    Luật Khiếu nại 2011 Art. 28 / 37 cap a complex case at 45 / 60 / 70 days from acceptance
    rather than granting an extension, so the new clock keeps `resolution_start` and takes the
    complex period for the same round and area. Allowed once (ExtensionRefused LIMIT_REACHED when
    `facts.complex` is already true) and with a non-blank reason (REASON_REQUIRED). Pauses
    already taken must be applied again with `replay_term`. Raises ValueError for a kind
    other than complaint.
    """
    if facts.kind is not Kind.COMPLAINT:
        raise ValueError(f"only complaints are reclassified complex, not {facts.kind}")
    check_complex_reclassification(facts.complex, reason)
    period = resolution_period(
        facts.kind, remote=facts.remote, complex=True, complaint_round=facts.complaint_round
    )
    return _planned(Clock.RESOLUTION, period, resolution_start, calendar)


def plan_transfer(received_at: datetime, calendar: WorkCalendar) -> PlannedDeadline:
    """The TRANSFER clock of an item a unit received but is not competent for (5 working days)."""
    return _planned(Clock.TRANSFER, transfer_period(), received_at, calendar)


def plan_supervision(
    issued_at: datetime,
    source: str,
    calendar: WorkCalendar,
    configured_days: int | None = None,
) -> PlannedDeadline:
    """The SUPERVISION clock of a recommendation issued at `issued_at` (see supervision_period,
    which raises UnknownSupervisionSource for a source other than "bttnd" or "front")."""
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
