"""Writing the audit log: every change of an item appends one hash-chained event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from feedback.domain.events import Actor, EventAction
from feedback.extensions import db
from feedback.models import Event, Feedback


def record_event(
    item: Feedback,
    action: EventAction,
    *,
    actor: Actor,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = True,
) -> Event:
    """Append an event for ``item`` in the current transaction (the caller commits).

    ``action`` and ``actor`` are stored as their texts (``actor.user_id`` as ``actor_user_id``).

    The event is chained to the item's previous event; the unique (feedback_id, seq) index
    refuses a concurrent writer that read the same predecessor, so the chain never forks.
    """
    if item.id is None:
        db.session.flush()
    last = db.session.execute(
        select(Event.seq, Event.hash).where(Event.feedback_id == item.id).order_by(Event.seq.desc()).limit(1)
    ).first()
    event = Event(
        feedback_id=item.id,
        seq=(last.seq + 1) if last else 1,
        action=action.value,
        actor=str(actor),
        actor_user_id=actor.user_id,
        at=at,
        before=before,
        after=after,
        locality_id=item.locality_id,
        topic_id=item.topic_id,
        unit_id=item.current_unit_id,
        public=public,
        prev_hash=last.hash if last else "",
    )
    event.hash = event.compute_hash()
    db.session.add(event)
    return event


def verify_chain(feedback_id: int) -> bool:
    """True when every event of the item still hashes to what was recorded and links to its predecessor."""
    prev = ""
    for event in db.session.scalars(select(Event).where(Event.feedback_id == feedback_id).order_by(Event.seq)):
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return False
        prev = event.hash
    return True
