"""Keeping the rollups current as facts happen: in the transaction of the fact itself.

Every action that makes or changes a counted fact writes an audit event (assigned, returned,
answer published, rated, rating changed, reopened, kind changed) through ``record_event``. A
session hook notes the items of such events as they are flushed and, just before the
transaction commits, refreshes those items' facts and rollups (``rollups.refresh_items``) in
the same transaction. So:

- a figure exists exactly when its fact is committed: a rolled-back action leaves no trace and
  a committed one is counted at once (no beat lag, no watermark over ids that commit out of
  order);
- no service has to remember to call the statistics: a new path that records its event (a new
  kind of handover, a data repair) is counted too;
- the refresh re-derives the facts from the raw rows and writes only the difference, so a
  repeated or spurious refresh is harmless.

The cost is a few indexed reads per such commit and row locks on the rollup rows it touches
(one per unit, place, topic, kind and day): two actions on the same row wait for each other's
commit, never lose each other's count (the deltas add up).

One action is counted by its own service instead, because it is the busiest and its facts are
known without a read: routing an item no unit ever held (``count_first_assignment``) writes the
item's one RECEIVED fact and its rollups itself, in the statement of its notifications, and the
hook leaves the item out (unless another counted event of the item is flushed after that).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.orm import Session

from feedback.domain.events import EventAction
from feedback.models import Event, Feedback, Unit
from feedback.services.database import BoundWrite
from feedback.services.statistics.facts import first_assignment_facts
from feedback.services.statistics.rollups import execute_together, new_fact_writes, refresh_items

# The events after which an item's facts may have changed.
COUNTED_ACTIONS = frozenset(a.value for a in (
    EventAction.ASSIGNED, EventAction.RETURNED, EventAction.JURISDICTION_DISPUTE, EventAction.HANDED_OVER_BY_ADMIN,
    EventAction.ANSWER_PUBLISHED, EventAction.RATED, EventAction.RATING_CHANGED, EventAction.REOPENED,
    EventAction.KIND_CHANGED,
))
_PENDING = "statistics.pending_items"


def _note(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Event) and obj.feedback_id is not None and obj.action in COUNTED_ACTIONS:
            session.info.setdefault(_PENDING, set()).add(obj.feedback_id)


def _refresh(session: Session) -> None:
    _note(session, None, None)  # events added since the last flush
    if not session.info.get(_PENDING):
        return
    session.flush()
    pending = sorted(session.info.pop(_PENDING, set()))
    if pending:
        refresh_items(session, pending)
        session.flush()


def count_first_assignment(session: Session, item: Feedback, unit: Unit, at: datetime, *,
                           along: Sequence[Executable | BoundWrite] = ()) -> None:
    """Count ``item``'s assignment to ``unit`` at ``at``, the first of the item (no unit ever
    held it: the caller knows), in the caller's transaction: the fact and the rollups are
    written now (``facts.first_assignment_facts``, ``rollups.new_fact_writes``) and the refresh
    before the commit leaves the item out, so none of its reads is made. ``along``, writes of
    the caller's on other tables (its events' and notifications' INSERTs), go in the same statement on
    PostgreSQL (``execute_together``), before these on SQLite. Call it once the item's events
    are recorded: a counted event of the item flushed after it brings the item back to the
    refresh (which then finds the stored facts current and writes only a difference)."""
    session.flush()  # the item's events are noted (``_note``) before the item is left out
    writes = new_fact_writes(first_assignment_facts(session, item, unit, at))
    execute_together(session, [*along, *writes])
    pending = session.info.get(_PENDING)
    if pending:
        pending.discard(item.id)


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_PENDING, None)


def track_facts() -> None:
    """Install the hooks on every SQLAlchemy session (idempotent). create_app calls it."""
    for name, listener in (("before_flush", _note), ("before_commit", _refresh), ("after_soft_rollback", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
