"""Builds the Flask app, takes its Celery app, imports the tasks and sets the beat schedule."""

from __future__ import annotations

import gc
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_before_create_process, worker_process_init

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


@worker_before_create_process.connect
@worker_process_init.connect
def _freeze_the_heap(sender: Any = None, **_kwargs: Any) -> None:
    """Leave the objects that live as long as the process (the app, its models, compiled
    statements, translations: about 220,000) out of the garbage collector's full collections,
    in the worker's main process before it forks a pool process and in each pool process once it
    is ready. Each routing leaves a few hundred objects that reach the oldest generation, so about
    every 150 items a full collection walked the whole heap: 180 ms of CPU in the middle of one
    task (1.2 ms an item, and the slowest routings; issue #11 b). Frozen objects are still freed
    by reference counting; only cycles among them would stay, and these live as long as the
    process anyway. Frozen before the fork, the parent's objects are not written to by the
    children's collections either, so their memory pages stay shared."""
    gc.freeze()
