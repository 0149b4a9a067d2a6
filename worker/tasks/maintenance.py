"""Housekeeping tasks."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from feedback.extensions import db
from feedback.jobs import PURGE_BROKER_MESSAGES, REFRESH_MEDIANS, TIDY_UPLOADS
from feedback.services.deadlines import compact_overdue_tally
from feedback.services.health import beat
from feedback.services.intake import purge_consumed_broker_messages, tidy_uploads as tidy_uploads_service
from feedback.services.statistics import refresh_medians as refresh_medians_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=TIDY_UPLOADS, **RETRY_ON_DATABASE_ERRORS)
def tidy_uploads(now: str | None = None) -> dict[str, int]:
    """Publish or remove uploads stranded by a crash. Idempotent: a second run does nothing."""
    at = task_now(now)
    result = tidy_uploads_service(at)
    beat(TIDY_UPLOADS, at)
    return {"published": result.published, "removed": result.removed}


@shared_task(name=PURGE_BROKER_MESSAGES, **RETRY_ON_DATABASE_ERRORS)
def purge_broker_messages(now: str | None = None) -> dict[str, int | None]:
    """Delete consumed messages the embedded SQLite broker keeps (nothing on Redis: ``deleted``
    is None), then record the heartbeat. Idempotent: a second run deletes nothing."""
    at = task_now(now)
    deleted = purge_consumed_broker_messages(str(current_app.config["CELERY_BROKER_URL"]), at)
    beat(PURGE_BROKER_MESSAGES, at)
    return {"deleted": deleted}


@shared_task(name=REFRESH_MEDIANS, **RETRY_ON_DATABASE_ERRORS)
def refresh_medians(now: str | None = None) -> dict[str, int]:
    """Recompute the medians computed ahead whose answers changed (statistics.medians), compact
    the overdue tally (one row per group again: its reads stay a few rows), then record the
    heartbeat. Idempotent: a second run computes nothing new."""
    at = task_now(now)
    result = refresh_medians_service(db.session(), at)
    tally_rows = compact_overdue_tally(db.session())
    db.session.commit()
    beat(REFRESH_MEDIANS, at)
    return {"questions": result.questions, "computed": result.computed, "forgotten": result.forgotten,
            "tally_rows": tally_rows}
