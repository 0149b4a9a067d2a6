"""A worker killed with SIGKILL in the middle of a task (issue #10 item 3, third point): the task is
delivered again and its effect happens once.

The task is stopped at a chosen statement by a table lock the test holds (``LOCK TABLE … IN SHARE
MODE``: reads go on, writes wait), so the kill lands after the task has written inside its
transaction and before it commits: for ``route_feedback`` after the claim of the item and before
its assignment; for the deadline scan after a breach was recorded and before its notifications.
Two ways to die, two ways back:

- only the pool process that runs the task is killed: the worker sees it lost and, with
  ``acks_late`` and ``reject_on_worker_lost``, puts the message back at once;
- the whole worker (main process and pool) is killed: the message stays unacknowledged in Redis
  and the next worker takes it back after the visibility timeout (``BROKER_VISIBILITY_TIMEOUT``,
  a few seconds here, an hour by default).
"""

from __future__ import annotations

import os
import signal
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
from tests.factories import Directory, make_directory, make_feedback
from tests.integration.faults.workers import (
    activity, broker_idle, children_of, count, process_gone, table_locked, waiting_on_lock,
)
from tests.integration.processes import log_tail, start_worker, stop, wait_until

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT_S = 4


def received_items(d: Directory, n: int, received_at: datetime | None = None) -> list[int]:
    at = received_at or datetime.now(UTC)
    items = [make_feedback(d, topic=d.waste, title=f"Rác thải tồn đọng số {i}", received_at=at) for i in range(n)]
    db.session.commit()
    return [item.id for item in items]


def test_route_feedback_killed_mid_transaction_is_delivered_again_and_assigns_once(
    fault_app: Flask, fault_db_url: str, private_redis_url: str, tmp_path: Path,
) -> None:
    d = make_directory()
    ids = received_items(d, 3)
    log = tmp_path / "worker.log"
    broker = redis.Redis.from_url(private_redis_url)
    worker = start_worker(private_redis_url, log, concurrency=1, database_url=fault_db_url)
    try:
        with table_locked(fault_db_url, "assignment") as locker:
            for feedback_id in ids:
                assert jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
            # The first item is claimed (status updated, uncommitted) and waits to insert its assignment.
            assert wait_until(lambda: waiting_on_lock(locker, "INSERT INTO assignment"), 60), (
                activity(locker) + "\n" + log_tail(log, 400))
            pool = children_of(worker.pid)
            assert len(pool) == 1, pool
            os.kill(pool[0], signal.SIGKILL)
            assert wait_until(lambda: process_gone(pool[0]), 10)
        # The lock is released: the redelivered task and the two others run in a new pool process.
        routed = wait_until(lambda: count(sa.select(sa.func.count()).select_from(Feedback).where(
            Feedback.id.in_(ids), Feedback.status == Status.ASSIGNED)) == len(ids), 60)
        assert routed, log_tail(log)
        assert wait_until(lambda: broker_idle(broker), 30), log_tail(log)
    finally:
        stop(worker)

    assert "SIGKILL" in log.read_text(errors="replace"), "the pool process was not lost mid-task"
    per_item = dict(db.session.execute(
        sa.select(Assignment.feedback_id, sa.func.count()).where(Assignment.feedback_id.in_(ids))
        .group_by(Assignment.feedback_id)).all())
    assert per_item == {feedback_id: 1 for feedback_id in ids}
    assert count(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id.in_(ids), Event.action == "assigned")) == len(ids)
    assert count(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.feedback_id.in_(ids), Notification.kind == "assigned")) == len(ids)
    # Acceptance and resolution clocks, started once per item.
    assert count(sa.select(sa.func.count()).select_from(Deadline).where(Deadline.feedback_id.in_(ids))) == 2 * len(ids)


def test_deadline_scan_killed_with_its_whole_worker_is_taken_back_and_escalates_once(
    fault_app: Flask, fault_db_url: str, private_redis_url: str, tmp_path: Path,
) -> None:
    d = make_directory()
    forty_days_ago = datetime.now(UTC) - timedelta(days=40)
    ids = received_items(d, 3, received_at=forty_days_ago)
    for feedback_id in ids:  # received and routed long ago: both clocks of every item are past due
        route_item(feedback_id, now=forty_days_ago)
    deadlines = count(sa.select(sa.func.count()).select_from(Deadline).where(Deadline.feedback_id.in_(ids)))
    assert deadlines == 2 * len(ids)
    log = tmp_path / "worker.log"
    broker = redis.Redis.from_url(private_redis_url)
    env = {"BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S)}
    worker = start_worker(private_redis_url, log, concurrency=1, database_url=fault_db_url, extra_env=env,
                          own_process_group=True)
    second = None
    try:
        with table_locked(fault_db_url, "notification") as locker:
            assert jobs.enqueue(jobs.SCAN_DEADLINES)
            # The first breach is recorded (uncommitted) and its first escalation waits.
            assert wait_until(lambda: waiting_on_lock(locker, "INSERT INTO notification"), 60), (
                activity(locker) + "\n" + log_tail(log, 400))
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            killed_at = time.monotonic()
        assert count(sa.select(sa.func.count()).select_from(Deadline).where(
            Deadline.breached_at.is_not(None))) == 0, "the killed scan committed something"
        assert int(broker.hlen("unacked")) == 1, "the scan's message should wait unacknowledged in Redis"
        time.sleep(max(0.0, VISIBILITY_TIMEOUT_S + 1 - (time.monotonic() - killed_at)))
        second = start_worker(private_redis_url, log, concurrency=1, database_url=fault_db_url, extra_env=env,
                              own_process_group=True)
        breached = wait_until(lambda: count(sa.select(sa.func.count()).select_from(Deadline).where(
            Deadline.feedback_id.in_(ids), Deadline.breached_at.is_not(None))) == deadlines, 60)
        assert breached, log_tail(log)
        assert wait_until(lambda: broker_idle(broker), 30), log_tail(log)
        # One more scan, as beat would send a minute later: nothing new.
        assert jobs.enqueue(jobs.SCAN_DEADLINES)
        assert wait_until(lambda: broker_idle(broker), 30), log_tail(log)
    finally:
        for process in (worker, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                stop(process)

    assert count(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id.in_(ids), Event.action == "deadline_breached")) == deadlines
    breach_notices = db.session.execute(
        sa.select(Notification.dedupe_key, sa.func.count()).where(
            Notification.feedback_id.in_(ids), Notification.kind == "deadline_breach")
        .group_by(Notification.dedupe_key)).all()
    db.session.rollback()
    # Unit, its parent (the province committee) and the ward's Front committee, once each per clock.
    assert len(breach_notices) == 3 * deadlines
    assert {n for _key, n in breach_notices} == {1}
