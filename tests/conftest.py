"""Test fixtures: real PostgreSQL and Redis, schema built by the migrations, each test rolled back.

PostgreSQL and Redis must be reachable (CI starts them): the suite fails, never skips, when they
are not. Domain tests use neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from config import TestConfig

TEST_DB_URL = TestConfig.SQLALCHEMY_DATABASE_URI
TEST_REDIS_URL = TestConfig.CELERY_BROKER_URL


def _admin_url(url: str) -> sa.URL:
    return sa.make_url(url).set(database="postgres")


def create_test_database(url: str) -> None:
    """Drop and create the test database, failing loudly when PostgreSQL is unreachable."""
    name = sa.make_url(url).database
    engine = sa.create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is unreachable at {url}: {error}", pytrace=False)
    finally:
        engine.dispose()


def require_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        pytest.fail(f"Redis is unreachable at {url}: {error}", pytrace=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application on a fresh test database upgraded to head by the migrations."""
    from flask_migrate import upgrade

    from feedback import create_app

    create_test_database(TEST_DB_URL)
    require_redis(TEST_REDIS_URL)
    uploads = tmp_path_factory.mktemp("uploads")
    application = create_app(TestConfig, UPLOAD_DIR=Path(uploads))
    with application.app_context():
        upgrade(directory=application.config["MIGRATIONS_DIR"])
    yield application


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Services may commit: with ``create_savepoint`` their commits release savepoints only.
    """
    from feedback.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        scoped = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": Session}
        )
        db.session = scoped  # type: ignore[misc]
        try:
            yield scoped()
        finally:
            scoped.remove()
            db.session = original  # type: ignore[misc]
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def committed_db(app: Flask) -> Iterator[None]:
    """For tests whose data must be seen by other processes (a real worker): commits for real,
    then empties every table afterwards."""
    from feedback.extensions import db

    with app.app_context():
        yield
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def pytest_report_header() -> list[str]:
    return [f"database: {TEST_DB_URL}", f"redis: {TEST_REDIS_URL}", f"pid: {os.getpid()}"]
