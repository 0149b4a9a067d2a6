"""Notification tasks: send the email outbox (periodically, or one row right after it was written)."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import SEND_NOTIFICATION, SEND_NOTIFICATIONS
from feedback.services.health import beat
from feedback.services.notifications import send_one, send_pending
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now

BATCH = 100


@shared_task(name=SEND_NOTIFICATIONS, **RETRY_ON_DATABASE_ERRORS)
def send_notifications(now: str | None = None) -> dict[str, int]:
    """Send up to BATCH due notifications and record the heartbeat. Safe to run twice or in
    parallel: each row is claimed before it is sent."""
    at = task_now(now)
    result = send_pending(at, BATCH)
    beat(SEND_NOTIFICATIONS, at)
    return {"sent": result.sent, "failed": result.failed, "retried": result.retried}


@shared_task(name=SEND_NOTIFICATION, **RETRY_ON_DATABASE_ERRORS)
def send_notification(notification_id: int, now: str | None = None) -> str | None:
    """Send one notification if it is still pending and due; a duplicate delivery sends nothing."""
    status = send_one(int(notification_id), task_now(now))
    return None if status is None else status.value
