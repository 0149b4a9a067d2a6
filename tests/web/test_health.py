"""/healthz: 200 with a fresh heartbeat and reachable database and broker (the test Redis), 503
when the database or the broker is unreachable or beat has not run for 10 minutes; JSON facts,
no personal data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from config import TestConfig
from feedback import create_app
from feedback.domain.status import Status
from feedback.services import health
from feedback.services.health import DEFAULT_QUEUE, beat, health_report
from tests.factories import make_directory, make_feedback

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def started_an_hour_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web process has been up long past its start-up grace, unless a test says otherwise."""
    monkeypatch.setattr(health, "STARTED_AT", datetime.now(UTC) - timedelta(hours=1))


@pytest.fixture
def empty_queue(app: Flask) -> Iterator[redis.Redis]:
    """The test Redis database with an empty default queue, emptied again afterwards."""
    client = redis.Redis.from_url(app.config["CELERY_BROKER_URL"])
    client.delete(DEFAULT_QUEUE)
    yield client
    client.delete(DEFAULT_QUEUE)


@pytest.fixture
def unreachable_broker_client(app: Flask, db_session: Session) -> Iterator[FlaskClient]:
    """A second app instance whose broker URL points at a closed port (same test database)."""
    other = create_app(TestConfig, CELERY_BROKER_URL=UNREACHABLE_BROKER, BROKER_CONNECT_TIMEOUT=1)
    try:
        yield other.test_client()
    finally:
        app.extensions["celery"].set_default()  # create_app made the other Celery app the default


def test_healthy_with_a_fresh_heartbeat(client: FlaskClient, empty_queue: redis.Redis) -> None:
    """Proves 200 and the JSON facts when the database and the test Redis answer and beat just ran."""
    beat("feedback.scan_deadlines", datetime.now(UTC) - timedelta(seconds=5))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] is True and body["broker"] is True and body["ok"] is True
    assert 4 <= body["beat_last_run_age_s"] < 60
    assert body["queue_backlog"] == 0 and body["queue_messages"] == 0
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_unreachable_broker_answers_503(unreachable_broker_client: FlaskClient) -> None:
    """Proves 503 with broker false when the broker port is closed, the database still true."""
    beat("feedback.scan_deadlines", datetime.now(UTC))

    response = unreachable_broker_client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["broker"] is False and body["database"] is True
    assert body["queue_messages"] is None


def test_unreachable_database_answers_503(app: Flask) -> None:
    """Proves 503 with database false (and no beat age) when the database port is closed."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    try:
        response = other.test_client().get("/healthz")
    finally:
        app.extensions["celery"].set_default()

    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] is False and body["broker"] is True
    assert body["beat_last_run_age_s"] is None and body["stranded_received"] is None


def test_beat_older_than_ten_minutes_answers_503(client: FlaskClient, empty_queue: redis.Redis) -> None:
    """Proves 503 when the newest heartbeat is 11 minutes old, though database and broker answer."""
    beat("feedback.scan_deadlines", datetime.now(UTC) - timedelta(minutes=11))

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] is True and body["broker"] is True
    assert body["beat_last_run_age_s"] >= 660


def test_no_heartbeat_ever_answers_503(client: FlaskClient, empty_queue: redis.Redis) -> None:
    """Proves a beat that never ran is unhealthy: age null, 503."""
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["beat_last_run_age_s"] is None


def test_the_newest_heartbeat_counts_and_beat_is_an_upsert(db_session: Session, app: Flask,
                                                           empty_queue: redis.Redis) -> None:
    """Proves beat() overwrites its own row and the age is that of the newest job's heartbeat."""
    now = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    beat("feedback.send_notifications", now - timedelta(hours=2))
    beat("feedback.scan_deadlines", now - timedelta(hours=1))
    beat("feedback.scan_deadlines", now - timedelta(seconds=30))

    report = health_report(now)

    assert report["beat_last_run_age_s"] == 30.0


def test_backlog_counts_queued_messages_and_stranded_items(db_session: Session, app: Flask,
                                                           empty_queue: redis.Redis) -> None:
    """Proves queue_backlog = messages waiting in the 'celery' list + items stuck in 'received'
    longer than STRANDED_AFTER_MINUTES (a fresh one does not count)."""
    now = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    d = make_directory()
    make_feedback(d, status=Status.RECEIVED, received_at=now - timedelta(minutes=30))
    make_feedback(d, status=Status.RECEIVED, received_at=now - timedelta(seconds=10))
    make_feedback(d, status=Status.ASSIGNED, received_at=now - timedelta(minutes=30))
    empty_queue.lpush(DEFAULT_QUEUE, b"{}", b"{}", b"{}")

    report = health_report(now)

    assert report["queue_messages"] == 3 and report["stranded_received"] == 1
    assert report["queue_backlog"] == 4


def test_a_fresh_start_is_healthy_until_beat_had_time_for_its_first_tick(
        client: FlaskClient, empty_queue: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves issue #6 item 15: a first start (no heartbeat ever) answers 200 with beat_starting
    while the process is younger than the start-up grace (2 minutes), and 503 once it is older."""
    monkeypatch.setattr(health, "STARTED_AT", datetime.now(UTC) - timedelta(seconds=20))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["beat_last_run_age_s"] is None and body["beat_starting"] is True and body["ok"] is True

    monkeypatch.setattr(health, "STARTED_AT", datetime.now(UTC) - timedelta(minutes=3))
    later = client.get("/healthz")
    assert later.status_code == 503
    assert later.get_json()["beat_starting"] is False


def test_a_restart_after_downtime_waits_for_a_heartbeat_newer_than_the_start(
        db_session: Session, app: Flask, empty_queue: redis.Redis) -> None:
    """Proves the grace also covers a restart after a long stop (the heartbeat is as old as the
    downtime), and that it ends with the first heartbeat after the start: from then on the
    heartbeat's age alone decides."""
    now = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    started = now - timedelta(seconds=30)
    beat("feedback.scan_deadlines", now - timedelta(hours=2))  # written before the stop

    report = health_report(now, started_at=started)
    assert (report["ok"], report["beat_starting"]) == (True, True)

    beat("feedback.scan_deadlines", now - timedelta(seconds=5))  # the first tick after the start
    report = health_report(now, started_at=started)
    assert (report["ok"], report["beat_starting"], report["beat_last_run_age_s"]) == (True, False, 5.0)
    # the same heartbeat seen 11 minutes later: beat died after starting, and that is unhealthy
    late = health_report(now + timedelta(minutes=11), started_at=started)
    assert (late["ok"], late["beat_starting"]) == (False, False)


def test_a_web_restart_while_beat_is_dead_is_healthy_for_two_minutes_at_most(
        db_session: Session, app: Flask, empty_queue: redis.Redis) -> None:
    """Proves the grace is short: a heartbeat an hour old (beat dead) is forgiven for the first
    two minutes of a new web process only, then 503 again."""
    now = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    beat("feedback.scan_deadlines", now - timedelta(hours=1))

    assert health_report(now, started_at=now - timedelta(seconds=110))["ok"] is True
    assert health_report(now, started_at=now - timedelta(seconds=130))["ok"] is False
