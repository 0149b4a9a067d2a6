"""A second application on a fresh SQLite file built by the migrations: the Quick start's
database, for the tests that prove a path on SQLite beside the PostgreSQL suite."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from config import TestConfig
from feedback import create_app
from feedback.extensions import db


@contextmanager
def migrated_sqlite_app(app: Flask, folder: Path, **overrides: Any) -> Iterator[Flask]:
    """Inside its app context, with the suite's app (``app``) made Celery's default again after."""
    from flask_migrate import upgrade

    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'feedback.sqlite3'}",
                       CELERY_BROKER_URL=f"sqla+sqlite:///{folder / 'broker.sqlite3'}", UPLOAD_DIR=folder,
                       **overrides)
    try:
        with other.app_context():
            # The migrations' logging.config.fileConfig disables every existing logger: keep them as they were.
            loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
            disabled = {lg: lg.disabled for lg in loggers}
            upgrade(directory=other.config["MIGRATIONS_DIR"])
            for logger, flag in disabled.items():
                logger.disabled = flag
            yield other
            db.session.remove()
    finally:
        app.extensions["celery"].set_default()
