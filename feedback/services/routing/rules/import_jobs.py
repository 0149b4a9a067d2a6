"""Large routing-rules imports run by the worker, with their progress in an ``ImportJob`` row.

A file of a few thousand rows imports within a page request; a larger one (``SYNC_LIMIT``)
would hold a web worker for seconds and could meet its timeout, so the page stores the upload
as a job, commits, enqueues IMPORT_ROUTING_RULES by name, and shows the job's page, which
refreshes itself until the worker has finished. The import itself is the same all-or-nothing
``import_rules``.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, update
from sqlalchemy.exc import SQLAlchemyError

from feedback import jobs
from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.models import ImportJob, ImportStatus
from feedback.services.routing.rules.csv_import import import_rules

log = logging.getLogger(__name__)

# Rows above which an upload is imported by the worker. 2,000 rows take well under a second
# now, but the request also uploads and renders; the worker keeps web workers free.
SYNC_LIMIT = 2000
# A job still "running" this long after it started lost its worker (the message is redelivered:
# acks_late); it may be claimed again. An import of 100,000 rows takes seconds.
STALE_AFTER = timedelta(minutes=15)


def data_rows(text: str) -> int:
    """About how many rows ``text`` holds (its lines minus the header; a quoted line break counts
    twice, which only matters near ``SYNC_LIMIT``)."""
    return max(text.count("\n") + (0 if text.endswith("\n") else 1) - 1, 0)


def start_import(text: str, *, filename: str, actor: Actor, now: datetime) -> tuple[int, bool]:
    """Store ``text`` (a decoded CSV upload) as a pending import job, commit, then enqueue it.

    Returns the job id and whether the broker took the message (if not, the job stays pending:
    the page says so and the administrator can try again later). Writes nothing else.
    """
    job = ImportJob(content=text, filename=filename[:255], actor=str(actor)[:120], actor_user_id=actor.user_id,
                    rows_total=data_rows(text), created_at=now)
    db.session.add(job)
    db.session.commit()
    return job.id, jobs.enqueue(jobs.IMPORT_ROUTING_RULES, job.id)


def get_job(job_id: int) -> ImportJob | None:
    """The job with this id, or None. Read only."""
    return db.session.get(ImportJob, job_id)


def run_import_job(job_id: int, *, now: datetime) -> ImportStatus | None:
    """Import the stored file of job ``job_id``: claim it (pending, or running but stale), import
    all or nothing with ``import_rules``, record the outcome; commits.

    Progress (``rows_done`` of ``rows_total``) is written on its own connection every
    ``PROGRESS_EVERY`` rows, so that the page sees it while the import's transaction is open.
    Returns the final status, or None when the job does not exist or another run holds it
    (safe to run twice: the second claim fails and nothing happens).
    """
    claimed = cast(CursorResult[Any], db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id,
               or_(ImportJob.status == ImportStatus.PENDING,
                   and_(ImportJob.status == ImportStatus.RUNNING, ImportJob.started_at < now - STALE_AFTER)))
        .values(status=ImportStatus.RUNNING, started_at=now, rows_done=0)
    )).rowcount
    db.session.commit()
    if not claimed:
        return None
    job = db.session.get(ImportJob, job_id)
    assert job is not None  # claimed just now
    text, actor = job.content, Actor(job.actor, job.actor_user_id)

    def progress(done: int, total: int) -> None:
        try:
            with db.engine.begin() as connection:
                connection.execute(update(ImportJob).where(ImportJob.id == job_id)
                                   .values(rows_done=done, rows_total=total))
        except SQLAlchemyError:  # progress is a courtesy: never fail the import for it
            log.warning("import job %d: progress not recorded", job_id, exc_info=True)

    result = import_rules(io.StringIO(text, newline=""), now=now, actor=actor, progress=progress)
    job = db.session.get(ImportJob, job_id)
    assert job is not None
    job.status = ImportStatus.DONE if result.ok else ImportStatus.FAILED
    job.created = result.created
    job.error_count = result.error_count
    job.errors = [str(error) for error in result.errors]
    job.rows_total = job.rows_done = result.rows
    job.finished_at = now
    db.session.commit()
    log.info("import job %d by %s: %s, %d rules, %d problems", job_id, actor, job.status, result.created,
             result.error_count)
    return job.status
