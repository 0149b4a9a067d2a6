"""Deadline tasks: the beat scan that writes reminders, records breaches and escalates."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import InterfaceError, OperationalError

from feedback.jobs import SCAN_DEADLINES
from feedback.services.health import beat
from feedback.services.reminders import scan_deadlines as scan_deadlines_service
from worker.tasks.clock import task_now


# A lost connection or a deadlock victim: the whole scan is safe to run again.
@shared_task(
    name=SCAN_DEADLINES,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def scan_deadlines(now: str | None = None) -> dict[str, int]:
    """Run one deadline scan and record the heartbeat. Idempotent: a second run at the same time
    writes nothing new. Retried with backoff on database errors."""
    at = task_now(now)
    result = scan_deadlines_service(at)
    beat(SCAN_DEADLINES, at)
    return {"examined": result.examined, "notifications": result.notifications, "breaches": result.breaches}
