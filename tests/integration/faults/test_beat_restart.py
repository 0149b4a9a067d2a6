"""Beat stopped across a day of deadlines, then started again (issue #10 item 3, last point), with
real processes: ``celery beat`` and a worker on the private PostgreSQL and Redis, mail sent to a
real SMTP server in the test.

While beat was away, deadlines went by: clocks of items routed 40 days ago are past due (breaches
to escalate) and one clock falls due within hours (a reminder to send). Beat's first tick after
the start runs the scan and the mailer: every breach is recorded once and escalated to the unit,
its parent and the Front committee, the reminder goes to the unit, and every one of those
emails reaches the SMTP server exactly once. Beat is then stopped and started again: its new
first tick scans and sends again, and nothing new is recorded or sent.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from feedback import jobs
from feedback.extensions import db
from feedback.models import Deadline, Event, Notification, WorkerHeartbeat
from feedback.models.notifications import NotificationStatus
from feedback.services.routing import route_item
from tests.factories import make_directory, make_feedback
from tests.integration.faults.workers import broker_idle, count
from tests.integration.processes import BIN, ROOT, log_tail, start_worker, stop, wait_until
from tests.services.smtp_server import Inbox, smtp_server

pytestmark = pytest.mark.integration

OVERDUE_ITEMS = 2
_MESSAGE_ID = re.compile(r"\.n(\d+)@")


def start_beat(broker_url: str, database_url: str, schedule: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FEEDBACK_ENV": "test", "TEST_DATABASE_URL": database_url, "TEST_REDIS_URL": broker_url,
           "PYTHONPATH": str(ROOT)}
    command = [str(BIN / "celery"), "-A", "worker.app", "beat", "--loglevel=INFO", "--schedule", str(schedule)]
    with log_path.open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def heartbeat(name: str) -> datetime | None:
    value = db.session.scalar(sa.select(WorkerHeartbeat.last_run_at).where(WorkerHeartbeat.name == name))
    db.session.rollback()
    return value


def notification_ids_in(inbox: Inbox) -> list[int]:
    """The notification id of every message received (the mailer puts it in the Message-ID)."""
    found = []
    for message in list(inbox.messages):
        match = _MESSAGE_ID.search(str(message["Message-ID"]))
        assert match, message["Message-ID"]
        found.append(int(match.group(1)))
    return found


def test_beat_started_again_after_a_day_sends_every_due_reminder_and_breach_exactly_once(
    fault_app: Flask, fault_db_url: str, private_redis_url: str, tmp_path: Path,
) -> None:
    d = make_directory()
    now = datetime.now(UTC)
    forty_days_ago = now - timedelta(days=40)
    overdue = [make_feedback(d, topic=d.land, title=f"Lấn chiếm đất công số {i}", received_at=forty_days_ago)
               for i in range(OVERDUE_ITEMS)]
    due_soon = make_feedback(d, topic=d.waste, title="Rác thải tồn đọng", received_at=now)
    db.session.commit()
    overdue_ids = [item.id for item in overdue]
    due_soon_id = due_soon.id
    for feedback_id in overdue_ids:
        route_item(feedback_id, now=forty_days_ago)
    route_item(due_soon_id, now=now)
    # Its resolution clock falls due within hours: a reminder is due now (before or on the day).
    db.session.execute(sa.update(Deadline).where(Deadline.feedback_id == due_soon_id, Deadline.clock == "resolution")
                       .values(due_at=now + timedelta(hours=3)))
    db.session.commit()
    breaches = 2 * OVERDUE_ITEMS
    db.session.remove()

    log = tmp_path / "processes.log"
    broker = redis.Redis.from_url(private_redis_url)
    schedule = tmp_path / "celerybeat-schedule"
    with smtp_server() as (inbox, port):
        env = {"TEST_MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
        worker = start_worker(private_redis_url, log, concurrency=2, database_url=fault_db_url, extra_env=env)
        beat = start_beat(private_redis_url, fault_db_url, schedule, log)
        try:
            def caught_up() -> bool:
                breached = count(sa.select(sa.func.count()).select_from(Deadline).where(
                    Deadline.feedback_id.in_(overdue_ids), Deadline.breached_at.is_not(None)))
                reminded = count(sa.select(sa.func.count()).select_from(Notification).where(
                    Notification.feedback_id == due_soon_id, Notification.kind.like("deadline_%")))
                unsent = count(sa.select(sa.func.count()).select_from(Notification).where(
                    Notification.status != NotificationStatus.SENT))
                return breached == breaches and reminded >= 1 and unsent == 0

            assert wait_until(caught_up, 120, interval=1.0), log_tail(log, 80)
            assert wait_until(lambda: broker_idle(broker), 60), log_tail(log)
            sent_before = sorted(notification_ids_in(inbox))
            rows_before = count(sa.select(sa.func.count()).select_from(Notification))

            # Beat stops and starts again: its first tick scans and sends once more.
            stop(beat)
            restarted_at = datetime.now(UTC)
            beat = start_beat(private_redis_url, fault_db_url, schedule, log)

            def ticked_again() -> bool:
                scanned, mailed = heartbeat(jobs.SCAN_DEADLINES), heartbeat(jobs.SEND_NOTIFICATIONS)
                return bool(scanned and mailed and scanned > restarted_at and mailed > restarted_at)

            assert wait_until(ticked_again, 90, interval=1.0), log_tail(log, 80)
            assert wait_until(lambda: broker_idle(broker), 60), log_tail(log)
            sent_after = sorted(notification_ids_in(inbox))
        finally:
            stop(beat)
            stop(worker)

    assert sent_after == sent_before, "the second start of beat sent mail again"
    assert count(sa.select(sa.func.count()).select_from(Notification)) == rows_before
    # Every notification row was mailed exactly once, and nothing else was.
    rows = dict(db.session.execute(sa.select(Notification.id, Notification.kind)).all())
    db.session.rollback()
    assert sent_before == sorted(rows)
    assert len(set(sent_before)) == len(sent_before)
    kinds = sorted(rows.values())
    # Per overdue clock: the unit, its parent and the Front committee; for the clock due soon: the unit.
    assert kinds.count("deadline_breach") == 3 * breaches
    reminders = [kind for kind in kinds if kind in ("deadline_before", "deadline_due_day")]
    assert len(reminders) == 1, kinds
    assert count(sa.select(sa.func.count()).select_from(Event).where(
        Event.action == "deadline_breached")) == breaches
