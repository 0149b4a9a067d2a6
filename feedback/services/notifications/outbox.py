"""Notifications: a row is written first (exactly once per dedupe key), then sent, then marked sent.

What a notification may say about an item is decided here once (``item_facts``): its code,
kind and topic, never the resident's text (title, body) nor their name or contact.
An email leaves the platform: it is forwarded, read on shared phones, kept in mailboxes the
platform does not control, and the title of a tố cáo often names the accused official (Luật
Tố cáo 2018 protects the denouncer's identity). Staff read the text after logging in.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Insert, Table

from feedback.extensions import db
from feedback.models import Feedback, Notification
from feedback.models.notifications import NotificationStatus
from feedback.services.database import (
    SHAPE_ROWS, BoundWrite, dialect_insert, insert_rows, on_postgresql, per_shape, rows_insert, rows_params,
)
from feedback.services.kinds import kind_name


def item_facts(item: Feedback) -> dict[str, str]:
    """What a notification may name about ``item``: ``code``, ``kind`` and ``topic``.

    Never the title, the body, the submitter's name, phone or email: those stay behind a login
    (or the resident's secret link). Every notification builder takes its item values from here.
    """
    return {
        "code": item.code or str(item.id),
        "kind": kind_name(item.kind),
        "topic": item.topic.name if item.topic is not None else "—",
    }

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
    # RETURNING, not rowcount: an ORM-enabled INSERT reports a rowcount of 1 even when the
    # conflict clause inserted nothing; a returned id is proof that this call created the row.
    stmt = (
        dialect_insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id)
    )
    return db.session.execute(stmt).scalar() is not None


def queue_notifications(rows: list[dict[str, object]], *, now: datetime) -> int:
    """Insert many pending notifications in one statement, skipping every ``dedupe_key`` that exists.

    Each row holds ``dedupe_key``, ``kind``, ``subject``, ``body`` and optionally ``feedback_id``,
    ``deadline_id``, ``recipient_unit_id``, ``recipient_email``. ``ON CONFLICT DO NOTHING`` makes it
    idempotent and safe beside a concurrent writer (no savepoint per row). Writes in the caller's
    transaction; returns how many rows this call created.
    """
    if not rows:
        return 0
    table = Notification.__table__
    assert isinstance(table, Table)
    return len(insert_rows(table, _pending(rows, now), skip_conflicts_on="dedupe_key", returning="id"))


def notifications_insert(rows: list[dict[str, object]], *, now: datetime) -> BoundWrite:
    """The INSERT ``queue_notifications(rows)`` runs (rows as it takes them, at least one), as a
    statement with its values for the caller to run, alone or beside other writes (a
    data-modifying WITH clause of one statement on PostgreSQL): same rows, in the same order, same
    ``ON CONFLICT (dedupe_key) DO NOTHING``. The statement is built once per number of rows and set
    of columns (``database.rows_insert``)."""
    if not rows:
        raise ValueError("notifications_insert needs at least one row")
    pending = _pending(rows, now)
    columns = tuple(pending[0])
    return BoundWrite(_notifications_statement(len(pending), columns, on_postgresql()),
                      rows_params("notification", columns, pending), kept=len(pending) <= SHAPE_ROWS)


@per_shape
def _notifications_statement(count: int, columns: tuple[str, ...], _postgres: bool) -> Insert:
    statement: Insert = rows_insert(Notification.__table__, columns, count, "notification").on_conflict_do_nothing(
        index_elements=["dedupe_key"])
    return statement


def _pending(rows: list[dict[str, object]], now: datetime) -> list[dict[str, object]]:
    """``rows`` with every column the notifications' INSERT writes, pending from ``now``."""
    defaults: dict[str, object] = dict(feedback_id=None, deadline_id=None, recipient_unit_id=None,
                                       recipient_email=None, status=NotificationStatus.PENDING, attempts=0,
                                       next_attempt_at=now, created_at=now)
    return [{**defaults, **row} for row in rows]
