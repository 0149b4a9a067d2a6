"""Test fixtures: real PostgreSQL and Redis, schema built by the migrations, each test rolled back.

PostgreSQL and Redis must be reachable (CI starts them): the suite fails, never skips, when they
are not. Domain tests use neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from config import TestConfig

TEST_DB_URL = TestConfig.SQLALCHEMY_DATABASE_URI
TEST_REDIS_URL = TestConfig.CELERY_BROKER_URL


def _admin_url(url: str) -> sa.URL:
    return sa.make_url(url).set(database="postgres")


# The connection holding this run's lock on its test databases (``hold_test_databases``).
_LOCK_HOLDER: list[sa.Connection] = []


def take_test_databases_lock(conn: sa.Connection) -> bool:
    """Take, on ``conn``'s session, the advisory lock that one test run holds on the databases named
    after ``TEST_DATABASE_URL`` (it and its ``_0007``-style siblings); False when another run has
    it. Released when the connection closes (at the latest when the run's process ends)."""
    name = f"feedback-tests:{sa.make_url(TEST_DB_URL).database}"
    return bool(conn.scalar(sa.text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": name}))


def hold_test_databases(url: str) -> None:
    """One test run at a time on a test database: a second run started beside the first (another
    checkout, a helper's shell without ``TEST_DATABASE_URL``) would drop the first one's database
    under it (``DROP DATABASE … WITH (FORCE)``), and both would fail with errors that name neither.
    The second fails at once, saying so."""
    if _LOCK_HOLDER:
        return
    conn = sa.create_engine(_admin_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool).connect()
    if not take_test_databases_lock(conn):
        conn.close()
        pytest.fail(f"Another test run is using the test database {sa.make_url(TEST_DB_URL).database}: wait for it "
                    "to end, or set TEST_DATABASE_URL to another database.", pytrace=False)
    _LOCK_HOLDER.append(conn)


def create_test_database(url: str) -> None:
    """Drop and create the test database, failing loudly when PostgreSQL is unreachable or when
    another test run holds it (``hold_test_databases``)."""
    name = sa.make_url(url).database
    engine = sa.create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        hold_test_databases(url)
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
    with rolled_back_session(app) as session:
        yield session


@contextmanager
def rolled_back_session(app: Flask) -> Iterator[Session]:
    """``db_session`` as a context manager, for a test that needs two empty databases in turn."""
    from feedback.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session bound to the connection: Flask-SQLAlchemy's Session would pick the
        # engine itself (escaping the transaction), and its factory passes a `db` argument that a
        # plain Session refuses. Scoped per app context, like db.session.
        scoped = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint", class_=Session),
            scopefunc=_app_ctx_id,
        )
        db.session = scoped  # type: ignore[misc]
        try:
            yield scoped()
        finally:
            scoped.remove()
            db.session = original  # type: ignore[misc]
            outer.rollback()
            connection.close()


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``flask.g``.

    db_session keeps one app context pushed for the whole test and Flask reuses it for each
    request, so ``g`` would otherwise leak between requests: Flask-WTF caches the CSRF token and
    the "already validated" flag there, Flask-Login the current user. A real server gives every
    request a fresh app context; this gives it a fresh ``g``.
    """

    def open(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        from flask import g, has_app_context

        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    from feedback.extensions import limiter

    # Login throttling counts per IP in memory for the whole session app: every test starts afresh.
    limiter.reset()
    return FreshGlobalsClient(app, app.response_class, use_cookies=True)


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


# What ``feedback.jobs.enqueue`` was asked to send: one (task name, *arguments) tuple a call.
Enqueued = list[tuple[object, ...]]


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> Enqueued:
    """Record the messages services send to the worker instead of sending them; the test reads
    the list (``[(ROUTE_FEEDBACK, item.id)]``). ``enqueue`` reports success, as with a broker up.
    Every module calls it as ``jobs.enqueue``, so one patch of ``feedback.jobs`` covers them all."""
    import feedback.jobs

    calls: Enqueued = []

    def record(name: str, *args: object) -> bool:
        calls.append((name, *args))
        return True

    monkeypatch.setattr(feedback.jobs, "enqueue", record)
    return calls
