"""Notifications: a row is written first (exactly once per dedupe key), then sent, then marked sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from feedback.extensions import db
from feedback.models import Notification
from feedback.models.notifications import NotificationStatus

def queue_notification(
    dedupe_key: str,
    kind: str,
    *,
    subject: str,
    body: str,
    now: datetime,
    feedback_id: int | None = None,
    deadline_id: int | None = None,
    recipient_unit_id: int | None = None,
    recipient_email: str | None = None,
) -> bool:
    """Insert a pending notification unless one with ``dedupe_key`` exists (in the caller's transaction).

    Idempotent: returns True when this call created the row, False when it already existed; a
    concurrent caller with the same key is refused by the unique constraint (ON CONFLICT DO NOTHING).
    """
    values = dict(
        dedupe_key=dedupe_key,
        kind=kind,
        subject=subject,
        body=body,
        feedback_id=feedback_id,
        deadline_id=deadline_id,
        recipient_unit_id=recipient_unit_id,
        recipient_email=recipient_email,
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: an ORM-enabled INSERT reports a rowcount of 1 even when the
    # conflict clause inserted nothing; a returned id is proof that this call created the row.
    stmt = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id)
    )
    return db.session.execute(stmt).scalar() is not None
