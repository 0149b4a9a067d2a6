"""The deadline and mail tasks, run as task functions (no eager mode), each twice: one outcome."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.jobs import SCAN_DEADLINES, SEND_NOTIFICATION, SEND_NOTIFICATIONS
from feedback.models import Deadline, Event, Notification, WorkerHeartbeat
from feedback.models.notifications import NotificationStatus
from tests.factories import make_directory
from tests.services.deadline_rows import add_deadline, assigned_item
from tests.times import TUE_24_FEB_0001
from worker.tasks.deadlines import scan_deadlines
from worker.tasks.notifications import send_notification, send_notifications


@pytest.fixture(autouse=True)
def mail_log_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    # The migrations' fileConfig (run by the app fixture) disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("feedback.mail"), "disabled", False)


def count(model: type, *where: object) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_tasks_are_registered_under_the_shared_names() -> None:
    """Proves the web app's task-name constants match the worker's tasks."""
    assert (scan_deadlines.name, send_notifications.name, send_notification.name) == (
        SCAN_DEADLINES, SEND_NOTIFICATIONS, SEND_NOTIFICATION)
    assert scan_deadlines.autoretry_for and scan_deadlines.retry_backoff


def test_scan_task_twice_breaches_and_escalates_once(db_session: Session) -> None:
    """Proves the scan task run twice records one breach, one event, three notifications and a heartbeat."""
    d = make_directory()
    deadline = add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)
    db.session.commit()

    first = scan_deadlines(now=TUE_24_FEB_0001.isoformat())
    second = scan_deadlines(now=TUE_24_FEB_0001.isoformat())

    assert (first["breaches"], first["notifications"]) == (1, 3)
    assert (second["breaches"], second["notifications"]) == (0, 0)
    assert count(Notification, Notification.deadline_id == deadline.id) == 3
    assert count(Event, Event.action == "deadline_breached") == 1
    assert db.session.get(Deadline, deadline.id).breached_at == TUE_24_FEB_0001  # type: ignore[union-attr]
    heartbeat = db.session.get(WorkerHeartbeat, SCAN_DEADLINES)
    assert heartbeat is not None and heartbeat.last_run_at == TUE_24_FEB_0001


def test_send_notifications_task_twice_sends_each_row_once(db_session: Session,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    """Proves the periodic send task run twice sends the three escalations once (log mode)."""
    d = make_directory()
    add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)
    db.session.commit()
    scan_deadlines(now=TUE_24_FEB_0001.isoformat())

    with caplog.at_level(logging.INFO, logger="feedback.mail"):
        first = send_notifications(now=TUE_24_FEB_0001.isoformat())
        second = send_notifications(now=TUE_24_FEB_0001.isoformat())

    assert (first["sent"], second["sent"]) == (3, 0)
    assert len([r for r in caplog.records if r.name == "feedback.mail"]) == 3
    assert count(Notification, Notification.status == NotificationStatus.SENT) == 3
    assert db.session.get(WorkerHeartbeat, SEND_NOTIFICATIONS) is not None


def test_send_notification_task_twice_sends_once(db_session: Session, caplog: pytest.LogCaptureFixture) -> None:
    """Proves a duplicate delivery of send_notification(id) sends nothing the second time."""
    d = make_directory()
    add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu)
    db.session.commit()
    scan_deadlines(now=TUE_24_FEB_0001.isoformat())
    notification_id = db.session.scalars(sa.select(Notification.id).order_by(Notification.id)).first()

    with caplog.at_level(logging.INFO, logger="feedback.mail"):
        outcomes = [send_notification(notification_id, now=TUE_24_FEB_0001.isoformat()) for _ in range(2)]

    assert outcomes == ["sent", None]
    assert len([r for r in caplog.records if r.name == "feedback.mail"]) == 1
