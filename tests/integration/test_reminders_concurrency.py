"""Two scanners (and two mail senders) at once against PostgreSQL with committed data: every
(deadline, level, recipient) notification, breach and audit event happens exactly once, and
every outbox row is mailed exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback.domain.calendar import VN_TZ, end_of_local_day, local_date, vietnam_calendar
from feedback.domain.events import EventAction
from feedback.extensions import db
from feedback.models import Deadline, Event, Notification
from feedback.models.notifications import NotificationStatus
from feedback.services.notifications.mailer import SendResult, send_pending
from feedback.services.notifications.outbox import queue_notification
from feedback.services.deadlines.reminders import ScanResult, scan_deadlines
from tests.factories import make_directory
from tests.services.deadline_rows import add_deadline, assigned_item
from tests.services.smtp_server import free_port, smtp_server

pytestmark = pytest.mark.integration

VN = vietnam_calendar([2026])
# Working mornings (09:00 local) a week apart, one per round.
ROUND_DAYS = (date(2026, 3, 10), date(2026, 3, 17), date(2026, 3, 24))
PER_LEVEL = 8  # deadlines per level and round: enough rows for the two scanners to collide
T = TypeVar("T")


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=VN_TZ).astimezone(UTC)


def run_together(app: Flask, job: Callable[[], T], workers: int = 2) -> list[T]:
    """Run ``job`` in ``workers`` threads released at once by a barrier, each in its own app
    context (so its own session and connection); re-raises the first error."""
    barrier = threading.Barrier(workers, timeout=30)
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(job())
            except BaseException as error:  # reported to the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


def test_two_scanners_at_once_notify_breach_and_escalate_exactly_once(app: Flask, committed_db: None) -> None:
    """Proves, over three rounds, that two scans started together by a barrier create each
    notification once (the sum of what both report equals the rows that exist), record each
    breach once (exactly one scanner wins each conditional UPDATE) and write one audit event per
    breach, with small batches so that their commits interleave."""
    d = make_directory()
    db.session.commit()
    for day in ROUND_DAYS:
        now = at_nine(day)
        due = {
            "breach": now - timedelta(days=1),
            "due_day": end_of_local_day(local_date(now)),
            "before": end_of_local_day(VN.add_working_days(local_date(now), 2)),
        }
        created: dict[str, list[int]] = {}
        for level, due_at in due.items():
            created[level] = [
                add_deadline(assigned_item(d, d.ubnd_ha_tu), d.ubnd_ha_tu, due_at, starts_at=now - timedelta(days=20)).id
                for _ in range(PER_LEVEL)
            ]
        db.session.commit()

        results: list[ScanResult] = run_together(app, lambda: scan_deadlines(now, batch=3, calendar=VN))

        ids = [i for group in created.values() for i in group]
        rows = db.session.execute(
            sa.select(Notification.deadline_id, Notification.kind, Notification.recipient_unit_id)
            .where(Notification.deadline_id.in_(ids))
        ).all()
        per_key = Counter((r.deadline_id, r.kind, r.recipient_unit_id) for r in rows)
        assert set(per_key.values()) == {1}
        expected = PER_LEVEL * 3 + PER_LEVEL + PER_LEVEL  # breach: unit, parent, Front
        assert len(rows) == expected
        assert sum(r.notifications for r in results) == expected
        assert sum(r.breaches for r in results) == PER_LEVEL
        for level in ("before", "due_day"):
            kinds = {r.kind for r in rows if r.deadline_id in created[level]}
            assert kinds == {f"deadline_{level}"}
        events = Counter(
            e.after["deadline_id"]  # type: ignore[index]
            for e in db.session.scalars(sa.select(Event).where(Event.action == EventAction.DEADLINE_BREACHED))
            if e.after and e.after["deadline_id"] in created["breach"]
        )
        assert events == Counter({i: 1 for i in created["breach"]})
        breached = db.session.scalars(sa.select(Deadline.breached_at).where(Deadline.id.in_(created["breach"])))
        assert set(breached) == {now}
        # Close this round's clocks so the next round's counts are its own.
        db.session.execute(sa.update(Deadline).where(Deadline.id.in_(ids)).values(closed_at=now))
        db.session.commit()


def test_two_senders_at_once_mail_each_row_exactly_once(app: Flask, committed_db: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves FOR UPDATE SKIP LOCKED: two senders released together deliver 20 rows 20 times, not 40."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    now = at_nine(ROUND_DAYS[0])
    d = make_directory()
    for i in range(20):
        queue_notification(f"concurrent:{i}", "test", subject=f"Thư số {i} — kiểm tra", body="Nội dung thử nghiệm",
                           now=now, recipient_unit_id=d.ubnd_ha_tu.id)
    db.session.commit()

    with smtp_server(port) as (inbox, _):
        results: list[SendResult] = run_together(app, lambda: send_pending(now, limit=50))

    subjects = Counter(str(m["Subject"]) for m in inbox.messages)
    assert subjects == Counter({f"Thư số {i} — kiểm tra": 1 for i in range(20)})
    assert sum(r.sent for r in results) == 20
    db.session.expire_all()
    statuses = set(db.session.scalars(sa.select(Notification.status)))
    assert statuses == {NotificationStatus.SENT}
