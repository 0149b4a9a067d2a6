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
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback.domain.events import EventAction
from feedback.models import Event
from feedback.services.statistics.rollups import refresh_items

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


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_PENDING, None)


def track_facts() -> None:
    """Install the hooks on every SQLAlchemy session (idempotent). create_app calls it."""
    for name, listener in (("before_flush", _note), ("before_commit", _refresh), ("after_soft_rollback", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
