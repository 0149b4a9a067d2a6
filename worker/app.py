"""Builds the Flask app, takes its Celery app, imports the tasks and sets the beat schedule."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init

from feedback import create_app
from worker.schedule import BEAT_SCHEDULE, send_first_tick

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE

import worker.tasks  # noqa: E402,F401  (registers the tasks, once)

app = celery_app


@beat_init.connect
def _first_tick_at_start(sender: Any = None, **_kwargs: Any) -> None:
    """Beat's first tick, sent as beat starts instead of one interval later (/healthz waits for it)."""
    send_first_tick(celery_app)
