"""The Front's scheduled work: the daily hot-spot check and the monthly briefing reports."""

from __future__ import annotations

from celery import shared_task

from feedback.jobs import FIND_HOT_SPOTS, GENERATE_BRIEFING_REPORTS
from feedback.services.briefing import generate_due_reports
from feedback.services.health import beat
from feedback.services.hotspots import find_hot_spots as find_hot_spots_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now


@shared_task(name=FIND_HOT_SPOTS, **RETRY_ON_DATABASE_ERRORS)
def find_hot_spots(now: str | None = None) -> dict[str, object]:
    """Check for hot spots as of yesterday (local) and tell each new one's Front committee.
    Idempotent: a second run makes no hot spot and no notification. Retried on database errors."""
    at = task_now(now)
    result = find_hot_spots_service(at)
    beat(FIND_HOT_SPOTS, at)
    return {"day": result.day.isoformat(), "found": result.found, "new": result.new, "notified": result.notified}


@shared_task(name=GENERATE_BRIEFING_REPORTS, **RETRY_ON_DATABASE_ERRORS)
def generate_briefing_reports(now: str | None = None) -> dict[str, int]:
    """From the first working day of a month on, make last month's briefing report of every
    Front committee's territory that has none yet, and email it. Idempotent (one report per
    territory and month, one email per report). Retried on database errors."""
    at = task_now(now)
    made = generate_due_reports(now=at)
    beat(GENERATE_BRIEFING_REPORTS, at)
    return {"generated": made}
