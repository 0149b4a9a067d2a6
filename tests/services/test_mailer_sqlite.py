"""The outbox on the Quick start's SQLite database: rows are claimed by a lease (a conditional
UPDATE), so a row being sent is invisible to other senders, and a sender that died mid-send
leaves a row that is sent again once the lease expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db
from feedback.models import Notification
from feedback.models.notifications import NotificationStatus
from feedback.services.notifications import mailer
from feedback.services.notifications.outbox import queue_notification
from tests.services.smtp_server import free_port, smtp_server
from tests.sqlite_apps import migrated_sqlite_app
from tests.times import TUESDAY_MORNING



@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on a fresh SQLite file built by the migrations, mailing to a free local port."""
    port = free_port()
    with migrated_sqlite_app(app, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5) as other:
        for i in range(3):
            queue_notification(f"sqlite:{i}", "test", subject=f"Thư số {i}", body="Nội dung có dấu: ả ạ ầ",
                               now=TUESDAY_MORNING, recipient_email="don.vi@example.test")
        db.session.commit()
        yield other


def statuses() -> list[tuple[NotificationStatus, int]]:
    db.session.expire_all()
    return [(n.status, n.attempts) for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))]


def test_sqlite_retries_then_sends_each_row_once(sqlite_app: Flask) -> None:
    """Proves the SQLite claim path end to end: SMTP down → each row retried later; server up at
    the retry time → each row sent once; a further run sends nothing."""
    down = mailer.send_pending(TUESDAY_MORNING)
    assert down.retried == 3 and statuses() == [(NotificationStatus.PENDING, 1)] * 3

    with smtp_server(int(sqlite_app.config["MAIL_PORT"])) as (inbox, _):
        up = mailer.send_pending(TUESDAY_MORNING + mailer.backoff(1))
        again = mailer.send_pending(TUESDAY_MORNING + mailer.backoff(1))

    assert (up.sent, again.sent) == (3, 0)
    assert sorted(str(m["Subject"]) for m in inbox.messages) == ["Thư số 0", "Thư số 1", "Thư số 2"]
    assert statuses() == [(NotificationStatus.SENT, 2)] * 3


def test_a_leased_row_is_hidden_until_the_lease_expires(sqlite_app: Flask) -> None:
    """Proves the lease: a row claimed by a sender that then died is skipped by others during
    LEASE and sent by the next run after it."""
    claimed = mailer._claim(TUESDAY_MORNING, None)  # a sender claims the first row and dies
    assert claimed is not None
    db.session.commit()

    with smtp_server(int(sqlite_app.config["MAIL_PORT"])) as (inbox, _):
        during = mailer.send_pending(TUESDAY_MORNING + timedelta(seconds=1))
        after = mailer.send_pending(TUESDAY_MORNING + mailer.LEASE)

    assert (during.sent, after.sent) == (2, 1)
    assert len(inbox.messages) == 3
