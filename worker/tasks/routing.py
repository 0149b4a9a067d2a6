"""Routing tasks: route a received item, re-route a returned one, sweep items stranded in `received`."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from feedback.jobs import REROUTE_FEEDBACK, ROUTE_FEEDBACK, SWEEP_RECEIVED
from feedback.services.routing import RouteResult, route_item, sweep_received as sweep_received_service
from worker.tasks.common import RETRY_ON_DATABASE_ERRORS, task_now

@shared_task(name=ROUTE_FEEDBACK, **RETRY_ON_DATABASE_ERRORS)
def route_feedback(feedback_id: int, now: str | None = None) -> dict[str, object]:
    """Route item ``feedback_id`` (``routing.route_item``) and queue the resident's confirmation
    email (``receipt_mail``: once per item, whatever happens to routing; in the routing's own
    transaction, first among its notices, when it assigns). Idempotent: a second run queues no
    second email, returns outcome "skipped" and writes nothing. Retried with backoff on database
    errors."""
    return _outcome(route_item(int(feedback_id), now=task_now(now), confirm=True))


@shared_task(name=REROUTE_FEEDBACK, **RETRY_ON_DATABASE_ERRORS)
def reroute_feedback(feedback_id: int, now: str | None = None) -> dict[str, object]:
    """Route again an item a unit returned (it is `received` again; routing skips every unit
    that returned it, and after 3 returns gives it to the Front). Same guarantees as
    ``route_feedback``."""
    return _outcome(route_item(int(feedback_id), now=task_now(now)))


def _outcome(result: RouteResult) -> dict[str, object]:
    """What a routing task returns (Celery serialises it): the outcome and what was assigned."""
    return {"outcome": result.outcome.value, "unit_id": result.unit_id, "assignment_id": result.assignment_id}


@shared_task(name=SWEEP_RECEIVED, **RETRY_ON_DATABASE_ERRORS)
def sweep_received(now: str | None = None) -> dict[str, int]:
    """Send routing again for items still `received` after STRANDED_AFTER_MINUTES, oldest first,
    at most 500 per run, and record the "sweep_received" heartbeat. Safe to run twice: a
    message sent twice is claimed once."""
    older_than = timedelta(minutes=int(current_app.config["STRANDED_AFTER_MINUTES"]))
    found, sent = sweep_received_service(now=task_now(now), older_than=older_than)
    return {"found": found, "sent": sent}
