"""A running clock's term and the arithmetic that moves it: pauses while the item waits for the
resident and extensions granted by decision (BLDS 2015 Art. 147, 148(5); DESIGN.md §5).

Values in, values out: instants are aware datetimes passed in by the caller. ``feedback.domain
.deadlines`` plans the clocks and re-exports these names, so callers may import either module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from feedback.domain.calendar import WorkCalendar, end_of_local_day, local_date
from feedback.domain.law import DayType, Period

__all__ = ["Extension", "Pause", "Term", "due_after_pauses", "extend_term", "replay_term", "resume_term", "term_at"]


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
