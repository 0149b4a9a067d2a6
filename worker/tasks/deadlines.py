"""Deadline tasks: the beat scan that writes reminders, records breaches and escalates."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import SCAN_DEADLINES
from feedback.services.health import beat
from feedback.services.deadlines import scan_deadlines as scan_deadlines_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=SCAN_DEADLINES, **RETRY_ON_DATABASE_ERRORS)
def scan_deadlines(now: str | None = None) -> dict[str, int]:
    """Run one deadline scan and record the heartbeat. Idempotent: a second run at the same time
    writes nothing new. Retried with backoff on database errors."""
    at = task_now(now)
    result = scan_deadlines_service(at)
    beat(SCAN_DEADLINES, at)
    return {"examined": result.examined, "notifications": result.notifications, "breaches": result.breaches}
