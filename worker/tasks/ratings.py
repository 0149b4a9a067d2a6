"""Rating tasks: close answered items after the reopen window, remind residents once to rate."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import CLOSE_ANSWERED, REMIND_TO_RATE
from feedback.services.health import beat
from feedback.services.ratings import close_unreopened, remind_to_rate as remind_to_rate_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=CLOSE_ANSWERED, **RETRY_ON_DATABASE_ERRORS)
def close_answered(now: str | None = None) -> dict[str, int]:
    """Close answered items 30 days after the answer without a reopening. Idempotent: each item
    is claimed by state, a second run closes nothing. Retried with backoff on database errors."""
    at = task_now(now)
    closed = close_unreopened(now=at)
    beat(CLOSE_ANSWERED, at)
    return {"closed": closed}


@shared_task(name=REMIND_TO_RATE, **RETRY_ON_DATABASE_ERRORS)
def remind_to_rate(now: str | None = None) -> dict[str, int]:
    """Queue the one reminder to rate per answer cycle. Idempotent: the outbox's dedupe key
    refuses a second one. Retried with backoff on database errors."""
    at = task_now(now)
    result = remind_to_rate_service(now=at)
    beat(REMIND_TO_RATE, at)
    return {"examined": result.examined, "queued": result.queued}
