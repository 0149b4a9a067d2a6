"""worker/app.py: the Celery app the worker process runs (``celery -A worker.app``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from feedback import jobs

ROOT = Path(__file__).resolve().parents[2]

# In a child process: worker.app builds its own Flask app at import time (and makes its Celery
# app the default), which must not happen inside the test process.
PROBE = """
import json
import worker.app as w
print(json.dumps({"imports": list(w.celery_app.conf.imports or ()),
                  "tasks": sorted(name for name in w.celery_app.tasks if name.startswith("feedback."))}))
"""


def test_the_worker_app_registers_every_task_once_by_import() -> None:
    """Proves: every task name the web sends is registered by importing worker.tasks once;
    Celery's ``imports`` setting does not import the tasks a second time."""
    env = {**os.environ, "FEEDBACK_ENV": "test"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    sent_names = {value for name, value in vars(jobs).items() if name.isupper() and isinstance(value, str)
                  and value.startswith("feedback.")}
    assert found["imports"] == []
    assert sent_names <= set(found["tasks"])
