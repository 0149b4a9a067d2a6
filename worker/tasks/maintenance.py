"""Housekeeping tasks."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import TIDY_UPLOADS
from feedback.services.health import beat
from feedback.services.intake.maintenance import tidy_uploads as tidy_uploads_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=TIDY_UPLOADS, **RETRY_ON_DATABASE_ERRORS)
def tidy_uploads(now: str | None = None) -> dict[str, int]:
    """Publish or remove uploads stranded by a crash. Idempotent: a second run does nothing."""
    at = task_now(now)
    result = tidy_uploads_service(at)
    beat(TIDY_UPLOADS, at)
    return {"published": result.published, "removed": result.removed}
