"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime, utcnow


class Event(Model):
    """Who changed what and when, with the state before and after.

    Events of one item form a hash chain (``prev_hash`` → ``hash``) so that a changed or deleted
    row is detectable; locality, topic and unit are snapshotted so statistics never move when the
    directory changes. Rows are never updated or deleted (enforced below, and by a trigger on
    PostgreSQL).
    """

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_feedback_seq", "feedback_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    action: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locality_id: Mapped[int | None] = mapped_column(Integer)
    topic_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    # Shown on the public timeline only when true; never carries personal data when true.
    public: Mapped[bool] = mapped_column(default=True)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")

    def payload(self) -> str:
        """The canonical text the hash covers."""
        return event_payload(feedback_id=self.feedback_id, seq=self.seq, action=self.action, actor=self.actor,
                             at=self.at, before=self.before, after=self.after, prev_hash=self.prev_hash)

    def compute_hash(self) -> str:
        return event_hash(self.payload())


def event_payload(*, feedback_id: int | None, seq: int, action: str, actor: str, at: datetime,
                  before: dict[str, Any] | None, after: dict[str, Any] | None, prev_hash: str) -> str:
    """The canonical text an event's hash covers (``Event.payload``), from its values: a writer that
    inserts events without ORM objects (``feedback.services.audit.record_events``) hashes the same text."""
    return json.dumps(
        {
            "feedback_id": feedback_id,
            "seq": seq,
            "action": action,
            "actor": actor,
            "at": at.isoformat(),
            "before": before,
            "after": after,
            "prev": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def event_hash(payload: str) -> str:
    """The hash of an event whose canonical text is ``payload``."""
    return hashlib.sha256(payload.encode()).hexdigest()


class AppendOnlyViolation(Exception):
    """An attempt to change or delete an audit event."""


@event.listens_for(Event, "before_update")
def _refuse_update(*_: object) -> None:
    raise AppendOnlyViolation("audit events are append-only")


@event.listens_for(Event, "before_delete")
def _refuse_delete(*_: object) -> None:
    raise AppendOnlyViolation("audit events are append-only")
