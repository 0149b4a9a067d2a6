"""Builds the Flask app, takes its Celery app, imports the tasks and sets the beat schedule."""

from __future__ import annotations

from celery import Celery

from feedback import create_app
from worker.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE

import worker.tasks  # noqa: E402,F401  (registers the tasks, once)

app = celery_app
