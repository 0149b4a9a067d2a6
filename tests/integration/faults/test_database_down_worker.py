"""PostgreSQL stops while a real worker routes items and scans deadlines (issue #10 item 3, second
point): every task fails on the lost database, retries with backoff, and once the server is back
every item is routed exactly once and every breach is recorded and escalated exactly once.

No beat runs and no sweep is asked for: what is proved is the tasks' own retries, not the
safety net behind them. The outage lasts until every task has failed at least once and some
seconds more, longer than a handful of quick retries would cover.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from feedback import jobs
from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, Notification
from feedback.services.routing import route_item
from tests.factories import make_directory, make_feedback
from tests.integration.faults.workers import broker_idle, count
from tests.integration.private_postgres import PrivatePostgres
from tests.integration.processes import log_tail, start_worker, stop, wait_until

pytestmark = pytest.mark.integration

TO_ROUTE = 20
OVERDUE_ITEMS = 3
# Seconds the database stays away after every task has failed once.
OUTAGE_AFTER_FIRST_FAILURES_S = 12
_RETRY_LINE = re.compile(r"Task (feedback\.\w+)\[([0-9a-f-]+)\] retry: Retry in")


def retried_tasks(log: Path) -> dict[str, set[str]]:
    """Task name → ids of the task runs the worker has logged as retried."""
    found: dict[str, set[str]] = {}
    for name, task_id in _RETRY_LINE.findall(log.read_text(errors="replace") if log.exists() else ""):
        found.setdefault(name, set()).add(task_id)
    return found


def failures(log: Path) -> str:
    """The log lines of tasks that failed for good."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(line for line in lines if "ERROR" in line or "raised" in line or "MaxRetries" in line)[-4000:]


def test_tasks_retry_through_a_database_outage_and_nothing_is_lost_or_doubled(
    fault_app: Flask, fault_db_url: str, private_redis_url: str, private_pg: PrivatePostgres, tmp_path: Path,
) -> None:
    d = make_directory()
    forty_days_ago = datetime.now(UTC) - timedelta(days=40)
    overdue = [make_feedback(d, topic=d.land, title=f"Lấn chiếm đất công số {i}", received_at=forty_days_ago)
               for i in range(OVERDUE_ITEMS)]
    db.session.commit()
    overdue_ids = [item.id for item in overdue]
    for feedback_id in overdue_ids:  # received and routed 40 days ago: both clocks past due
        route_item(feedback_id, now=forty_days_ago)
    deadlines = 2 * OVERDUE_ITEMS
    fresh = [make_feedback(d, topic=d.waste, title=f"Rác thải tồn đọng số {i}", received_at=datetime.now(UTC))
             for i in range(TO_ROUTE)]
    db.session.commit()
    ids = [item.id for item in fresh]
    db.session.remove()

    log = tmp_path / "worker.log"
    broker = redis.Redis.from_url(private_redis_url)
    worker = start_worker(private_redis_url, log, concurrency=2, database_url=fault_db_url)
    try:
        private_pg.stop()
        try:
            for feedback_id in ids:
                assert jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
            assert jobs.enqueue(jobs.SCAN_DEADLINES)

            def every_task_failed_once() -> bool:
                retried = retried_tasks(log)
                return (len(retried.get(jobs.ROUTE_FEEDBACK, ())) == TO_ROUTE
                        and len(retried.get(jobs.SCAN_DEADLINES, ())) == 1)

            assert wait_until(every_task_failed_once, 90, interval=0.5), log_tail(log)
            time.sleep(OUTAGE_AFTER_FIRST_FAILURES_S)
        finally:
            private_pg.start()

        def all_done() -> bool:
            routed = count(sa.select(sa.func.count()).select_from(Feedback).where(
                Feedback.id.in_(ids), Feedback.status == Status.ASSIGNED))
            breached = count(sa.select(sa.func.count()).select_from(Deadline).where(
                Deadline.feedback_id.in_(overdue_ids), Deadline.breached_at.is_not(None)))
            return routed == TO_ROUTE and breached == deadlines

        assert wait_until(all_done, 180, interval=1.0), failures(log)
        assert wait_until(lambda: broker_idle(broker), 60), log_tail(log)
    finally:
        stop(worker)

    text = log.read_text(errors="replace")
    assert "MaxRetriesExceeded" not in text and "raised unexpected" not in text, log_tail(log)
    per_item = dict(db.session.execute(
        sa.select(Assignment.feedback_id, sa.func.count()).where(Assignment.feedback_id.in_(ids))
        .group_by(Assignment.feedback_id)).all())
    db.session.rollback()
    assert per_item == {feedback_id: 1 for feedback_id in ids}
    assert count(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id.in_(ids), Event.action == "assigned")) == TO_ROUTE
    assert count(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.feedback_id.in_(ids), Notification.kind == "assigned")) == TO_ROUTE
    assert count(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id.in_(overdue_ids), Event.action == "deadline_breached")) == deadlines
    breach_notices = db.session.execute(
        sa.select(Notification.dedupe_key, sa.func.count()).where(
            Notification.feedback_id.in_(overdue_ids), Notification.kind == "deadline_breach")
        .group_by(Notification.dedupe_key)).all()
    db.session.rollback()
    assert len(breach_notices) == 3 * deadlines  # the unit, its parent and the Front, per clock
    assert {n for _key, n in breach_notices} == {1}
