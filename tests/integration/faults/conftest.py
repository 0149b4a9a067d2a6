"""Fixtures of the fault tests: a private PostgreSQL and a private Redis that the tests stop and
start, and an application instance wired to them (never the shared 5432/6379).

One PostgreSQL cluster serves the whole session: the schema is built once by the migrations in a
template database, and each test gets a fresh copy (``CREATE DATABASE … TEMPLATE``), dropped
afterwards. A test that stops the server leaves it to the fixture to start it again.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app as current_celery
from flask import Flask

from config import TestConfig
from feedback import create_app
from feedback.extensions import db
from tests.integration.private_postgres import PrivatePostgres
from tests.integration.processes import free_port, start_redis, stop

TEMPLATE = "feedback_faults_template"


@pytest.fixture(scope="session")
def private_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server with a migrated template database; destroyed at the end."""
    from flask_migrate import upgrade

    server = PrivatePostgres()
    try:
        server.start()
        server.execute(f'CREATE DATABASE "{TEMPLATE}"')
        previous = current_celery._get_current_object()
        migrator = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=server.url(TEMPLATE),
                              UPLOAD_DIR=tmp_path_factory.mktemp("faults-migrate-uploads"))
        previous.set_default()
        with migrator.app_context():
            upgrade(directory=migrator.config["MIGRATIONS_DIR"])
            db.session.remove()
            db.engine.dispose()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def fault_db_url(private_pg: PrivatePostgres) -> Iterator[str]:
    """A fresh database copied from the migrated template, dropped after the test."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    if not private_pg.running():
        private_pg.start()
    private_pg.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield private_pg.url(name)
    try:
        if not private_pg.running():
            private_pg.start()
        private_pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except (RuntimeError, subprocess.TimeoutExpired):
        pass  # the session fixture removes the whole cluster anyway


@pytest.fixture
def private_redis_url() -> Iterator[str]:
    """A private redis-server on a free port, stopped after the test."""
    port = free_port()
    server = start_redis(port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)


@pytest.fixture
def fault_uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def fault_app(fault_db_url: str, private_redis_url: str, fault_uploads: Path) -> Iterator[Flask]:
    """The application on the private database and broker, its context pushed for the test.

    The suite's own Celery app stays Celery's default afterwards.
    """
    previous = current_celery._get_current_object()
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fault_db_url,
                             CELERY_BROKER_URL=private_redis_url, UPLOAD_DIR=fault_uploads)
    try:
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
    finally:
        previous.set_default()
