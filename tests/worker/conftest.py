"""Worker tests run the task functions of the suite's own app."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def suite_celery_is_current(app: Flask) -> None:
    """Make the suite app's Celery the current one: a test that built another app (create_app
    makes its Celery app current for the thread) must not leave the tasks running in that app's
    context, with its configuration."""
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()
