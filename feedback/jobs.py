"""Celery wiring for the web side: the only module of ``feedback`` that imports Celery.

The web app never imports ``worker``: it sends tasks by name (constants below) after commit.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app

log = logging.getLogger(__name__)

# Task names: the contract between the web app and the worker.
ROUTE_FEEDBACK = "feedback.route_feedback"
SWEEP_RECEIVED = "feedback.sweep_received"
SCAN_DEADLINES = "feedback.scan_deadlines"
SEND_NOTIFICATIONS = "feedback.send_notifications"
SEND_NOTIFICATION = "feedback.send_notification"
REROUTE_FEEDBACK = "feedback.reroute_feedback"
TIDY_UPLOADS = "feedback.tidy_uploads"
PURGE_BROKER_MESSAGES = "feedback.purge_broker_messages"
IMPORT_ROUTING_RULES = "feedback.import_routing_rules"
CLOSE_ANSWERED = "feedback.close_answered"
REMIND_TO_RATE = "feedback.remind_to_rate"
FIND_HOT_SPOTS = "feedback.find_hot_spots"
GENERATE_BRIEFING_REPORTS = "feedback.generate_briefing_reports"
REFRESH_MEDIANS = "feedback.refresh_medians"


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app bound to ``app`` (Flask's official pattern, docs/patterns/celery.rst)."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    broker = app.config["CELERY_BROKER_URL"]
    timeout = app.config["BROKER_CONNECT_TIMEOUT"]
    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        result_backend=None,
        timezone="UTC",
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=prefetch_multiplier(broker),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=timeout,
        broker_transport_options=transport_options(broker, timeout,
                                                   visibility_timeout=int(app.config["BROKER_VISIBILITY_TIMEOUT"])),
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


# Messages a worker process reserves ahead on the embedded SQLite broker. That transport polls: when
# the worker holds as many unacknowledged messages as it may, it sleeps kombu's polling interval
# (1 s) before it looks again, so with one message per pool process a two-process worker routed
# about 2 items a second however fast routing was (issue #11 b: 130 of 200 items routed at 20/s).
# Reserving more lets it take a second's worth of work per poll. Redis pushes, and keeps 1.
SQLITE_PREFETCH_MULTIPLIER = 16


def prefetch_multiplier(broker_url: str) -> int:
    """Celery's ``worker_prefetch_multiplier`` for ``broker_url``: 1 where the broker pushes
    (Redis), ``SQLITE_PREFETCH_MULTIPLIER`` on the polled SQLite transport ("sqla+"). That
    transport keeps no visibility timeout: what a worker killed outright had reserved is lost with
    it, as it was with one message per process; routing and mail are swept again by the beat
    (items still received, notifications still pending) and the beat's own tasks recur."""
    return SQLITE_PREFETCH_MULTIPLIER if broker_url.startswith("sqla+") else 1


def transport_options(broker_url: str, timeout: float, *, visibility_timeout: int = 3600) -> dict[str, object]:
    """Broker options: short socket timeouts for Redis; the SQLite (sqla+) transport passes its
    options to SQLAlchemy's create_engine, which takes none of these."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 1,
            # Retry at once, not after kombu's default 2 s: with the broker down every submission
            # (already saved) would otherwise wait 2 s more before the resident gets an answer.
            "interval_start": 0,
            # An unacknowledged task (acks_late) is redelivered after this many seconds; a starting
            # worker gives back such tasks of a dead one at once, a running one checks every
            # ten "unacked_restore_interval"s (kombu's default: 10 s × 10).
            "visibility_timeout": visibility_timeout,
        }
    return {}


def enqueue(name: str, *args: Any) -> bool:
    """Send task ``name`` with ``args``; call it only after the data it needs is committed.

    Never raises: if the broker is unreachable the caller's data is already saved and the beat
    sweep will send the task again. Returns whether the broker took the message.
    """
    celery_app: Celery = current_app.extensions["celery"]
    try:
        celery_app.send_task(name, args=list(args), retry=False)
    except Exception:  # the broker's many failure types: connection, timeout, operational
        log.warning("broker unreachable, %s%r left for the sweep", name, args, exc_info=True)
        return False
    return True
