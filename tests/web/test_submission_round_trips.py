"""Round trips to PostgreSQL of the two submission POSTs, counted from libpq's own trace (issue #11).

Each round trip waits for the server; on a busy machine it is most of a submission's time. The
form POST reads once and writes once: no BEGIN, no COMMIT (its statements commit each by itself,
the item, its attachments and its event in one INSERT), no ping of a connection in use moments
ago. The Open311 POST reads its key and its service besides. A pooled connection that lay idle is
pinged first, and replaced when dead; one that died while in use moments ago fails its request
with the 503 "try again" page, and the next request connects afresh.

These tests commit for real (``committed_db``): the round trips of a session bound to a test's
outer transaction are not those of a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import TestConfig
from feedback import create_app
from feedback.extensions import db, limiter
from feedback.models import Attachment, Event, Feedback
from feedback.services.intake import SubmissionInvalid, submit_feedback
from tests.conftest import FreshGlobalsClient
from tests.open311.api_rows import api_world, request_form
from tests.services.test_submission import report
from tests.statements import recorded_round_trips
from tests.times import TUESDAY_MORNING
from tests.web.form_helpers import PNG, form_fields, post_form, valid_data

pytestmark = pytest.mark.usefixtures("committed_db")


def client_of(app: Flask) -> FlaskClient:
    limiter.reset()
    return FreshGlobalsClient(app, app.response_class, use_cookies=True)


def counts() -> tuple[int, int, int]:
    found = tuple(int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
                  for model in (Feedback, Event, Attachment))
    db.session.remove()
    return found  # type: ignore[return-value]


def engine_of(app: Flask) -> sa.Engine:
    with app.app_context():
        return db.engine


@contextmanager
def app_pinging_after(app: Flask, seconds: float) -> Iterator[Flask]:
    """An app like the tests' whose pool pings a connection idle for more than ``seconds``; the
    shared limiter and Celery app are the suite's again afterwards."""
    saved = dict(limiter.__dict__)
    other = create_app(TestConfig, DATABASE_PING_AFTER_IDLE=seconds, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)
        app.extensions["celery"].set_default()


@pytest.fixture
def pinging_app(app: Flask) -> Iterator[Flask]:
    """Pings a connection idle for any time at all."""
    with app_pinging_after(app, 0.0) as other:
        yield other


@pytest.fixture
def trusting_app(app: Flask) -> Iterator[Flask]:
    """Pings only a connection idle for an hour: none in a test (on a loaded machine a second
    may pass between two requests of a test, and the suite's app would ping)."""
    with app_pinging_after(app, 3600.0) as other:
        yield other


def test_a_form_post_is_one_read_and_one_insert_without_begin_commit_or_ping(trusting_app: Flask) -> None:
    api_world()  # the directory (and a key, unused here)
    db.session.commit()
    client = client_of(trusting_app)
    csrf, key = form_fields(client)

    with recorded_round_trips(engine_of(trusting_app)) as trips:
        response = post_form(client, valid_data(), files=[(PNG, "anh.png")], csrf=csrf, key=key)

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert len(trips) == 2, trips
    read, write = trips
    assert "UNION ALL" in read and "nextval" in read
    assert "INSERT INTO feedback" in write and "INSERT INTO attachment" in write and "INSERT INTO event" in write
    assert counts() == (1, 1, 1)  # committed by the INSERT itself: seen from a new session


def test_an_open311_post_is_four_round_trips_and_its_item_is_committed(trusting_app: Flask) -> None:
    api = api_world()
    db.session.commit()
    client = client_of(trusting_app)

    with recorded_round_trips(engine_of(trusting_app)) as trips:
        response = client.post("/open311/v2/requests.json", data=request_form(api.key))

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert not any("BEGIN" in trip or "COMMIT" in trip for trip in trips), trips
    assert len(trips) == 4, trips  # the key, the service, the submission's read, its INSERT
    assert "FROM api_key" in trips[0] and "INSERT INTO feedback" in trips[-1]
    assert counts() == (1, 1, 0)


def test_a_refused_submission_writes_nothing_and_leaves_the_session_in_its_usual_mode(trusting_app: Flask) -> None:
    """The statement-by-statement mode ends with the submission, also when it is refused: what
    the caller does next runs in a transaction again (BEGIN … COMMIT)."""
    refused = report(api_world().directory, title="")
    db.session.commit()

    with trusting_app.app_context():
        with pytest.raises(SubmissionInvalid):
            submit_feedback(refused, now=TUESDAY_MORNING)
        with recorded_round_trips(db.engine) as trips:
            db.session.execute(sa.text("SELECT 1"))
            db.session.commit()
            db.session.remove()

    assert len(trips) == 3 and trips[0].startswith('Query "BEGIN') and trips[2] == 'Query "COMMIT"', trips
    assert counts() == (0, 0, 0)


def backend_of(app: Flask) -> int:
    """The server process of the connection ``app``'s pool holds (it holds one: the tests are serial)."""
    with app.app_context():
        pid = int(db.session.scalar(sa.text("SELECT pg_backend_pid()")) or 0)
        db.session.remove()
    return pid


def terminate(app: Flask, pid: int) -> None:
    """End the server process ``pid`` from a connection of its own (not one of the pools')."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as other:
            assert other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        engine.dispose()


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_before_the_request_uses_it(
    pinging_app: Flask,
) -> None:
    api_world()
    db.session.commit()
    client = client_of(pinging_app)
    csrf, key = form_fields(client)
    dead = backend_of(pinging_app)
    terminate(pinging_app, dead)

    with pinging_app.app_context(), recorded_round_trips() as trips:
        response = post_form(client, valid_data(), csrf=csrf, key=key)
        db.session.remove()

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert backend_of(pinging_app) != dead
    assert counts() == (1, 1, 0)
    # The dead connection's ping never got its answer; the new connection is not pinged.
    assert len(trips) == 2 and "UNION ALL" in trips[0] and "INSERT INTO feedback" in trips[1], trips


def test_a_connection_that_died_in_use_moments_ago_fails_one_request_with_the_503_page_then_the_pool_recovers(
    trusting_app: Flask,
) -> None:
    """Not pinged (it was used less than DATABASE_PING_AFTER_IDLE ago): the first statement finds
    it dead, the resident is asked to try again, and trying again works."""
    api_world()
    db.session.commit()
    client = client_of(trusting_app)
    csrf, key = form_fields(client)
    terminate(trusting_app, backend_of(trusting_app))

    with trusting_app.app_context():
        refused = post_form(client, valid_data(), csrf=csrf, key=key)
        db.session.remove()
        again = post_form(client, valid_data(), csrf=csrf, key=key)
        db.session.remove()

    assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
    assert again.status_code == 303, again.get_data(as_text=True)[:500]
    assert counts() == (1, 1, 0)
