"""queue_notification: one row per dedupe key, and an honest answer about who created it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Notification
from feedback.services.notifications.outbox import queue_notification

QUEUED_AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def test_a_second_insert_with_the_same_key_creates_nothing_and_says_so(db_session: Session) -> None:
    """Proves the return value: True for the call that created the row, False for the duplicate
    (the reminder scan counts its work with it), and a single row in the table."""
    first = queue_notification("k:1", "test", subject="Tiêu đề", body="Nội dung", now=QUEUED_AT)
    second = queue_notification("k:1", "test", subject="Khác", body="Khác", now=QUEUED_AT)

    assert (first, second) == (True, False)
    subjects = db.session.scalars(sa.select(Notification.subject).where(Notification.dedupe_key == "k:1")).all()
    assert subjects == ["Tiêu đề"]
