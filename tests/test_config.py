"""config.py declares every setting the code reads, and no switch that nothing honours."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from config import Config, TestConfig

ROOT = Path(__file__).resolve().parent.parent
# app.config["NAME"], current_app.config.get("NAME", ...) and the like.
SETTING_READ = re.compile(r'config(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)"')


def settings_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for package in ("feedback", "worker"):
        for path in (ROOT / package).rglob("*.py"):
            names.update(SETTING_READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_scan_finds_the_settings_it_should() -> None:
    """Proves the scan below can fail: it sees settings read with [] and with .get()."""
    read = settings_read_by_the_code()
    assert {"LOGIN_RATE_LIMIT", "LOGIN_PAIR_RATE_LIMIT", "SUBMIT_RATE_LIMIT", "TRUSTED_PROXIES"} <= read


def test_every_setting_the_code_reads_is_declared_in_config() -> None:
    """Proves: no setting is read that config.py does not declare (LOGIN_USERNAME_RATE_LIMIT was)."""
    undeclared = sorted(name for name in settings_read_by_the_code() if not hasattr(Config, name))
    assert undeclared == []


def test_celery_is_never_eager_whatever_the_configuration_says(app: Flask) -> None:
    """Proves: there is no eager switch (DESIGN.md: no eager mode; tasks run as functions in tests
    and in a real worker in integration tests): CELERY_ALWAYS_EAGER is neither declared nor honoured."""
    from feedback import create_app

    assert not hasattr(Config, "CELERY_ALWAYS_EAGER")
    other = create_app(TestConfig, CELERY_ALWAYS_EAGER=True, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    assert other.extensions["celery"].conf.task_always_eager is False
    # create_app made the other Celery app the default one; give the suite its own back.
    app.extensions["celery"].set_default()


def test_postgresql_sessions_run_without_jit(app):
    """The app's PostgreSQL sessions have JIT off: it compiled longer than the inbox's counts ran."""
    from sqlalchemy import text

    from feedback.extensions import db

    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"


def test_a_worker_reserves_a_second_of_work_on_the_polled_sqlite_broker_only(app: Flask, tmp_path: Path) -> None:
    """Proves: on the embedded SQLite broker (polled: kombu sleeps a second once the worker holds all
    it may) a worker process may reserve SQLITE_PREFETCH_MULTIPLIER messages, so a two-process
    worker is no longer held to about two routings a second; on Redis (pushed) it keeps one."""
    from feedback import create_app
    from feedback.jobs import SQLITE_PREFETCH_MULTIPLIER

    sqlite = create_app(TestConfig, CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
                        UPLOAD_DIR=app.config["UPLOAD_DIR"])
    redis = create_app(TestConfig, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # create_app made the other Celery apps the default
    assert SQLITE_PREFETCH_MULTIPLIER >= 8
    assert sqlite.extensions["celery"].conf.worker_prefetch_multiplier == SQLITE_PREFETCH_MULTIPLIER
    assert redis.extensions["celery"].conf.worker_prefetch_multiplier == 1


def test_the_sqlite_broker_polls_ten_times_a_second_in_wal_and_still_carries_messages(
        app: Flask, tmp_path: Path) -> None:
    """Proves: on the embedded SQLite broker the worker's transport sleeps SQLITE_POLLING_INTERVAL
    (not kombu's 1 s, which every waiting item sat out: p99 12.5 s at 100/s, issue #11 b) after a
    poll that found nothing it could take; kombu hands the transport options to create_engine too,
    and the option is taken off there (a bare ``polling_interval`` raised TypeError), so a message
    still goes in and out; and the broker's file is in WAL with synchronous=NORMAL (a send or a take
    no longer syncs the disk several times). On Redis (pushed, not polled) no such option is set."""
    import sqlite3

    from kombu import Connection
    from sqlalchemy import text

    from feedback import create_app
    from feedback.jobs import SQLITE_POLLING_INTERVAL

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    sqlite = create_app(TestConfig, CELERY_BROKER_URL=url, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    redis = create_app(TestConfig, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # create_app made the other Celery apps the default
    assert SQLITE_POLLING_INTERVAL <= 0.1
    assert "polling_interval" not in redis.extensions["celery"].conf.broker_transport_options
    options = sqlite.extensions["celery"].conf.broker_transport_options
    assert options["polling_interval"] == SQLITE_POLLING_INTERVAL
    with sqlite.extensions["celery"].connection_for_read() as connection:
        assert connection.transport.polling_interval == SQLITE_POLLING_INTERVAL
    with Connection(url, transport_options=options) as connection:
        queue = connection.SimpleQueue("config-test")
        queue.put({"feedback_id": 7})
        message = queue.get(timeout=5)
        assert message.payload == {"feedback_id": 7}
        message.ack()
        queue.close()
        assert connection.default_channel.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with sqlite3.connect(tmp_path / "broker.sqlite3") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
