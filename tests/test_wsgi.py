"""The web process as gunicorn runs it: ``gunicorn.conf.py``, read from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, logging, runpy
import wsgi
settings = runpy.run_path("gunicorn.conf.py")
before = gc.get_freeze_count()
class Worker:
    log = logging.getLogger("probe")
settings["post_worker_init"](Worker())
print(before, gc.get_freeze_count(), type(wsgi.app).__name__)
"""


def test_a_web_worker_freezes_its_long_lived_heap_once_the_app_is_built() -> None:
    """Proves: gunicorn's ``post_worker_init`` (``gunicorn.conf.py``, read by gunicorn from the
    checkout) moves what exists once the app is built out of the garbage collector's full
    collections (``gc.freeze``), as the Celery worker does."""
    env = {**os.environ, "FEEDBACK_ENV": "test"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    before, after, kind = result.stdout.split()
    assert int(after) - int(before) > 10_000 and kind == "Flask"
