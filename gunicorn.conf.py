"""gunicorn's settings for this checkout: gunicorn reads ``./gunicorn.conf.py`` by itself when it
is started here (``gunicorn wsgi:app``, the Quick start, the benchmark). The command line still
sets everything else (bind, workers, threads)."""

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once a worker has built the app (``wsgi``), leave what exists then (the app, its models,
    templates, compiled statements, translations: about 200,000 objects) out of the garbage
    collector's full collections, as the Celery worker does (``worker.app``). A full collection
    walked that heap about every 40 dashboard requests (about 100 ms inside one request) and in
    the middle of an Open311 search of 1,000 items (about 290-330 -> 170-220 ms of CPU at
    1,000,000 items, alternated; issue #11). Frozen objects are still freed by reference
    counting."""
    gc.freeze()
    worker.log.info("heap frozen after loading the app: %d objects", gc.get_freeze_count())
