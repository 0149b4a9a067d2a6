"""Recomputing a due date from scratch: the planned period, then every extension and every
closed pause replayed in the order they happened, on the calendar in force now.

The history comes from the item's append-only events ("deadline_extended" and
"clocks_resumed" carry what was applied), so a calendar change (an administrator's override)
moves a clock exactly as if the new calendar had been known from the start. Pure reads: the
caller stores the result, and never for a breached clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from feedback.domain.calendar import WorkCalendar
from feedback.domain.deadlines import DayType, Extension, Pause, Period, replay_term
from feedback.domain.events import EventAction
from feedback.extensions import db
from feedback.models import Deadline, Event
from feedback.services.deadlines.calendar import calendar_for_years

# deadline id -> [("extend" | "resume", event data)], oldest first
Operations = dict[int, list[tuple[str, dict[str, Any]]]]
REPLAYED_ACTIONS = (EventAction.CLOCKS_RESUMED, EventAction.DEADLINE_EXTENDED)
# Calendar years beyond the last known instant: room for what the replay adds.
_MARGIN = timedelta(days=180)


def period_of(deadline: Deadline) -> Period:
    return Period(deadline.period_days, DayType(deadline.day_type), deadline.legal_basis)


def extension_of(details: dict[str, Any]) -> Period:
    return Period(int(details["extension_days"]), DayType(details["extension_day_type"]),
                  str(details.get("extension_basis", "")))


def operations_for(feedback_ids: Iterable[int]) -> Operations:
    """Extensions and closed pauses of every deadline of the given items, oldest first (one query
    per 1,000 items)."""
    ids = sorted(set(feedback_ids))
    ops: Operations = {}
    for start in range(0, len(ids), 1000):
        events = db.session.scalars(
            select(Event)
            .where(Event.feedback_id.in_(ids[start:start + 1000]), Event.action.in_(REPLAYED_ACTIONS))
            .order_by(Event.feedback_id, Event.seq)
        )
        for event in events:
            after = event.after or {}
            if event.action == EventAction.DEADLINE_EXTENDED and after.get("deadline_id") is not None:
                ops.setdefault(int(after["deadline_id"]), []).append(("extend", after))
            elif event.action == EventAction.CLOCKS_RESUMED:
                for span in after.get("deadlines", []):
                    ops.setdefault(int(span["id"]), []).append(("resume", span))
    return ops


def recompute_due_at(
    deadline: Deadline,
    operations: Operations | None = None,
    calendars: dict[tuple[int, int], WorkCalendar] | None = None,
) -> datetime:
    """The due date of ``deadline`` on the calendar in force now, its history replayed.

    ``operations`` (from ``operations_for``) and ``calendars`` (a cache by year range, filled
    here) let a caller recomputing many clocks read each thing once; without them the item's
    events and the calendar are loaded for this clock alone. The arithmetic is the domain's
    ``replay_term``: pauses and extensions count from the unshifted last day, rolled once.
    """
    ops = (operations if operations is not None else operations_for([deadline.feedback_id])).get(deadline.id, [])
    instants = [deadline.starts_at, deadline.due_at + _MARGIN]
    instants += [datetime.fromisoformat(data["resumed_at"]) + _MARGIN for kind, data in ops if kind == "resume"]
    years = (min(i.year for i in instants), max(i.year for i in instants) + 1)
    cache = calendars if calendars is not None else {}
    if years not in cache:
        cache[years] = calendar_for_years(range(years[0], years[1] + 1))
    calendar = cache[years]
    history: list[Pause | Extension] = []
    for kind, data in ops:
        if kind == "extend":
            history.append(Extension(extension_of(data)))
        else:
            paused_at = datetime.fromisoformat(data["paused_at"])
            resumed_at = datetime.fromisoformat(data["resumed_at"])
            history.append(Pause(paused_at, max(paused_at, resumed_at)))
    return replay_term(deadline.starts_at, period_of(deadline), history, calendar).due_at
