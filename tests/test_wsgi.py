"""The WSGI entry point as gunicorn imports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc
before = gc.get_freeze_count()
import wsgi
print(before, gc.get_freeze_count(), type(wsgi.app).__name__)
"""


def test_the_web_process_freezes_its_long_lived_heap() -> None:
    """Proves: importing ``wsgi`` builds the app and moves what exists then out of the garbage
    collector's full collections (``gc.freeze``), as the Celery worker does."""
    env = {**os.environ, "FEEDBACK_ENV": "test"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    before, after, kind = result.stdout.split()
    assert int(after) - int(before) > 10_000 and kind == "Flask"
