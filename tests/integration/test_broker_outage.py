"""With the broker really down, 1,000 submissions are all saved; once it is back, the sweep (run by
a real worker process) gets every one routed exactly once.

The broker is a private redis-server on a free port, so stopping it never disturbs the machine's
main Redis. The web side is a second application instance pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from config import TestConfig
from feedback import create_app, jobs
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Feedback
from feedback.services.intake.submission import Submission, submit_feedback
from tests.factories import make_directory
from tests.integration.processes import free_port, log_tail, start_redis, start_worker, stop, wait_until

pytestmark = pytest.mark.integration

SUBMISSIONS = 1000


@pytest.fixture
def private_broker_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def web_app(app: Flask, private_broker_url: str, committed_db: None) -> Iterator[Flask]:
    """A second instance of the web app whose broker is the private Redis."""
    web = create_app(TestConfig, CELERY_BROKER_URL=private_broker_url, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # the suite's own app stays Celery's default
    yield web
    with web.app_context():
        db.session.remove()
        db.engine.dispose()


def statuses(ids: list[int]) -> dict[Status, int]:
    rows = db.session.execute(
        sa.select(Feedback.status, sa.func.count()).where(Feedback.id.in_(ids)).group_by(Feedback.status)
    ).all()
    db.session.rollback()
    return {status: n for status, n in rows}


def test_submissions_survive_a_broker_outage_and_are_routed_once_after(
    web_app: Flask, private_broker_url: str, tmp_path: Path
) -> None:
    port = int(private_broker_url.rsplit(":", 1)[1].split("/")[0])
    broker = start_redis(port)
    worker = None
    log = tmp_path / "worker.log"
    try:
        with web_app.app_context():
            make_directory()
            db.session.commit()
            assert jobs.enqueue(jobs.SWEEP_RECEIVED), "the private broker should take a message while up"
            redis.Redis.from_url(private_broker_url).flushdb()

            stop(broker)  # the real broker goes away
            receipts = [
                submit_feedback(
                    Submission(kind=Kind.REPORT, locality_code="06652", village_code="06652-001",
                               topic_code="moi-truong.rac-thai", title=f"Rác thải tồn đọng số {i}",
                               body="Rác không được thu gom ba ngày nay.", submission_key=f"outage-{i}"),
                    now=datetime.now(UTC),
                )
                for i in range(SUBMISSIONS)
            ]
            ids = [r.feedback_id for r in receipts]
            assert not any(r.enqueued for r in receipts)
            assert len(set(ids)) == SUBMISSIONS
            assert statuses(ids) == {Status.RECEIVED: SUBMISSIONS}

            broker = start_redis(port)  # the broker is back, empty: every message was lost
            worker = start_worker(private_broker_url, log, extra_env={"STRANDED_AFTER_MINUTES": "0"})

            def all_routed() -> bool:
                # Ask the worker to sweep (500 per run) whenever items are still waiting; duplicates
                # queued behind routing messages are harmless: routing claims by state.
                waiting = statuses(ids).get(Status.RECEIVED, 0)
                if waiting and redis.Redis.from_url(private_broker_url).llen("celery") == 0:
                    assert jobs.enqueue(jobs.SWEEP_RECEIVED)
                return waiting == 0

            assert wait_until(all_routed, timeout=150, interval=1.0), log_tail(log)
    finally:
        if worker is not None:
            stop(worker)
        stop(broker)

    with web_app.app_context():
        per_item = db.session.execute(
            sa.select(Assignment.feedback_id, sa.func.count()).where(Assignment.feedback_id.in_(ids))
            .group_by(Assignment.feedback_id)
        ).all()
        assert len(per_item) == SUBMISSIONS
        assert {n for _id, n in per_item} == {1}
        assert statuses(ids) == {Status.ASSIGNED: SUBMISSIONS}
