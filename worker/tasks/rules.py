"""Importing a large routing-rules CSV file stored by the admin page."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import IMPORT_ROUTING_RULES
from feedback.services.routing import run_import_job
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=IMPORT_ROUTING_RULES, **RETRY_ON_DATABASE_ERRORS)
def import_routing_rules(job_id: int, now: str | None = None) -> str | None:
    """Import the file of job ``job_id``. Safe to run twice: the job is claimed by its status."""
    status = run_import_job(job_id, now=task_now(now))
    return status.value if status is not None else None
