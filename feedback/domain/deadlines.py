"""Clocks of an item and their due dates: all deadline day arithmetic (DESIGN.md §5).

Values in, values out: every instant is an aware datetime passed in by the caller, every result
an aware UTC datetime. A due date is the end (23:59:59 local) of the last local day of the
period, so a clock is breached by anything strictly later than `due_at`.

The statutory numbers live in `law.py`; the names callers need from there are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from feedback.domain.calendar import WorkCalendar, end_of_local_day, local_date
from feedback.domain.calendar import start_of_local_day
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

__all__ = [  # the law.py names are re-exported: callers import deadlines only
    "CaseFacts", "Clock", "DayType", "Extension", "ExtensionRefused", "Pause", "Period",
    "PlannedDeadline", "RefusalCode", "Term", "UnknownSupervisionSource",
    "acceptance_notice_period", "decision_notice_period", "due_after_pauses", "due_at",
    "extend_term", "extension_period", "is_overdue", "may_recompute", "plan_acceptance_notice",
    "plan_deadlines", "plan_decision_notice", "plan_on_acceptance", "plan_supervision",
    "plan_transfer", "reclassify_complex", "recompute_due", "reminder_schedule", "replay_term",
    "restart_resolution", "resume_term", "supervision_period", "term_at", "transfer_period",
]  # fmt: skip


class Clock(StrEnum):
    """Which clock of an item a deadline measures."""

    ACCEPTANCE = "acceptance"  # thụ lý, xử lý ban đầu, or reply/notify for informal kinds
    RESOLUTION = "resolution"  # giải quyết
    TRANSFER = "transfer"  # chuyển đơn to the competent unit
    SUPERVISION = "supervision"  # answer to a BTTND or Front recommendation
    # Opened by handling actions (no service writes them yet; labels come with those services).
    ACCEPTANCE_NOTICE = "acceptance_notice"  # tố cáo: notify the denouncer of the acceptance
    DECISION_NOTICE = "decision_notice"  # complaint: send the decision to the complainant


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


@dataclass(frozen=True)
class Term:
    """Where a running clock ends: its unshifted last day and its due instant.

    `last_day` is the last local day of the period as counted (BLDS 2015 Art. 147), pauses and
    extensions included, before the Art. 148(5) roll. `due_at` is the end of that day rolled
    once to a working day (never earlier than a due date already granted). Pauses and
    extensions count from `last_day`, never from the rolled day: the roll moves only the last
    day and is not carried through a pause or an extension (DESIGN.md §5).
    """

    last_day: date
    due_at: datetime


@dataclass(frozen=True)
class Pause:
    """A closed pause of a clock while the item waited for the resident."""

    paused_at: datetime
    resumed_at: datetime


@dataclass(frozen=True)
class Extension:
    """An extension of a clock by `period`, granted by decision (see `extension_period`)."""

    period: Period


def _rolled_due(last_day: date, calendar: WorkCalendar) -> datetime:
    # Art. 148(5): a last day that is a weekend or day off ends on the next working day.
    return end_of_local_day(calendar.next_working_day_on_or_after(last_day))


def _count(day: date, period: Period, calendar: WorkCalendar) -> date:
    """The unshifted last day of `period` counted from the day after `day`."""
    if period.day_type is DayType.WORKING:
        return calendar.add_working_days(day, period.days)
    return day + timedelta(days=period.days)


def term_at(start: datetime, period: Period, calendar: WorkCalendar) -> Term:
    """The Term of a period that starts with the event at `start` (see `due_at`)."""
    last = _count(local_date(start), period, calendar)
    return Term(last, _rolled_due(last, calendar))


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


def extend_term(term: Term, extension: Period, calendar: WorkCalendar) -> Term:
    """The Term after an extension of `extension`, added to the unshifted last day.

    The extension counts from the local day after `term.last_day` (the period's own last day,
    not the working day it was rolled to) and the result is rolled once (DESIGN.md §5): a
    30-day tố cáo clock whose day 30 falls in Tết, extended by 30 days, ends on day 60 of the
    original count. Get `extension` from `extension_period`, which decides whether it is
    allowed. The due date never moves earlier. Pure.
    """
    last = _count(term.last_day, extension, calendar)
    return Term(last, max(term.due_at, _rolled_due(last, calendar)))


def resume_term(
    term: Term,
    paused_at: datetime,
    resumed_at: datetime,
    period: Period,
    calendar: WorkCalendar,
) -> Term:
    """The Term after a pause from `paused_at` to `resumed_at` (waiting for the resident).

    The days of the period's type still owed at the pause, counted over local dates from the day
    after the pause day to the unshifted `term.last_day`, are counted again from the local day
    after the resume day; so the pause day counts as used and the resume day as free. The new
    last day is then rolled once to a working day (Art. 148(5)): a roll is never carried
    through a pause, so a one-day pause moves the due date by about one day, not by the days
    the old last day was rolled. The due date never moves earlier than `term.due_at`.

    A clock paused after it was due stays as it was: `term` is returned unchanged, since a
    breach is never undone. Apply each pause once, oldest first, or use `replay_term`.
    Raises ValueError for naive instants or when `resumed_at` is before `paused_at`.
    """
    paused_day, resumed_day = local_date(paused_at), local_date(resumed_at)
    local_date(term.due_at)  # raises ValueError when naive
    if resumed_at < paused_at:
        raise ValueError("a clock cannot resume before it was paused")
    if paused_at > term.due_at:
        return term
    if period.day_type is DayType.WORKING:
        owed = calendar.working_days_between(paused_day, term.last_day)
        last = calendar.add_working_days(resumed_day, max(0, owed))
    else:
        owed = (term.last_day - paused_day).days
        last = resumed_day + timedelta(days=max(0, owed))
    return Term(last, max(term.due_at, _rolled_due(last, calendar)))


def replay_term(
    start: datetime,
    period: Period,
    history: Iterable[Pause | Extension],
    calendar: WorkCalendar,
) -> Term:
    """The Term of a clock of `period` started at `start`, with its `history` applied in order.

    Extensions go through `extend_term`, closed pauses through `resume_term`, in the order
    given (the order they happened). Recomputes from scratch, so the same inputs give the same
    answer (idempotent); this is how a calendar or rule change moves a clock as if it had been
    known from the start. Raises what `term_at`, `extend_term` and `resume_term` raise.
    """
    term = term_at(start, period, calendar)
    for step in history:
        if isinstance(step, Extension):
            term = extend_term(term, step.period, calendar)
        else:
            term = resume_term(term, step.paused_at, step.resumed_at, period, calendar)
    return term


def due_after_pauses(
    start: datetime,
    period: Period,
    pauses: Iterable[tuple[datetime, datetime]],
    calendar: WorkCalendar,
) -> datetime:
    """The due date of a clock of `period` started at `start`, after all closed pauses.

    `pauses` are `(paused_at, resumed_at)` spans, applied oldest first. Idempotent. Raises
    ValueError for overlapping spans and for what `resume_term` refuses.
    """
    spans = sorted(pauses)
    for (_, resumed_at), (paused_at, _) in zip(spans, spans[1:], strict=False):
        if paused_at < resumed_at:
            raise ValueError("pauses overlap")
    return replay_term(start, period, [Pause(p, r) for p, r in spans], calendar).due_at


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
