"""The email outbox: Vietnamese mail through a real SMTP server, retries with backoff when the
server is down, failure after MAX_ATTEMPTS, no address, and the log mode of the Quick start."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Notification
from feedback.models.notifications import NotificationStatus
from feedback.services.notifications.mailer import MAX_ATTEMPTS, NO_ADDRESS, backoff, send_one, send_pending
from feedback.services.notifications.outbox import queue_notification
from tests.factories import make_directory
from tests.services.smtp_server import free_port, smtp_server
from tests.times import THU_12_FEB_0900

SUBJECT = "[Nhắc hạn] Hồ sơ QN-26-000001-P sắp đến hạn giải quyết (23/02/2026)"
BODY = "Kính gửi UBND Phường Hà Tu,\n\nHồ sơ “Rác thải tồn đọng ở tổ 1” sắp đến hạn giải quyết: 23:59 23/02/2026.\n"


def queue(key: str = "test:1", **extra: object) -> Notification:
    assert queue_notification(key, "deadline_before", subject=SUBJECT, body=BODY, now=THU_12_FEB_0900, **extra)  # type: ignore[arg-type]
    db.session.commit()
    return db.session.scalars(sa.select(Notification).where(Notification.dedupe_key == key)).one()


def reload(notification: Notification) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification.id)  # type: ignore[return-value]


@pytest.fixture
def smtp_config(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """MAIL_SERVER set to 127.0.0.1 on a free port; returns the port (nothing listens yet)."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    return port


def test_a_vietnamese_email_reaches_the_smtp_server_intact(db_session: Session, smtp_config: int) -> None:
    """Proves the message goes through SMTP to the unit's address with the subject and body decoded
    exactly (UTF-8, encoded headers), and the row is marked sent once."""
    d = make_directory()
    notification = queue(recipient_unit_id=d.ubnd_ha_tu.id)

    with smtp_server(smtp_config) as (inbox, _):
        result = send_pending(THU_12_FEB_0900, limit=10)
        again = send_pending(THU_12_FEB_0900 + timedelta(minutes=1), limit=10)

    assert (result.sent, again.sent) == (1, 0)
    [message] = inbox.messages
    assert inbox.recipients == [[d.ubnd_ha_tu.email]]
    assert message["Subject"] == SUBJECT
    assert message["To"] == d.ubnd_ha_tu.email
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    row = reload(notification)
    assert row.status is NotificationStatus.SENT and row.sent_at == THU_12_FEB_0900 and row.attempts == 1


def test_an_explicit_recipient_email_wins_over_the_unit(db_session: Session, smtp_config: int) -> None:
    """Proves recipient_email is used when set."""
    d = make_directory()
    queue(recipient_unit_id=d.ubnd_ha_tu.id, recipient_email="nguoi.dan@example.test")

    with smtp_server(smtp_config) as (inbox, _):
        send_pending(THU_12_FEB_0900)

    assert inbox.recipients == [["nguoi.dan@example.test"]]


def test_smtp_down_is_retried_later_with_backoff_and_not_lost(db_session: Session, smtp_config: int) -> None:
    """Proves a refused connection leaves the row pending with attempts=1, last_error and
    next_attempt_at one backoff later; it is not retried before then and is sent once the server is up."""
    d = make_directory()
    notification = queue(recipient_unit_id=d.ubnd_ha_tu.id)

    down = send_pending(THU_12_FEB_0900)

    row = reload(notification)
    assert (down.sent, down.retried) == (0, 1)
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    assert row.last_error and "Connection" in row.last_error
    assert row.next_attempt_at == THU_12_FEB_0900 + backoff(1) == THU_12_FEB_0900 + timedelta(minutes=1)

    with smtp_server(smtp_config) as (inbox, _):
        too_early = send_pending(THU_12_FEB_0900 + timedelta(seconds=30))
        on_time = send_pending(THU_12_FEB_0900 + timedelta(minutes=1))

    assert (too_early.sent, on_time.sent) == (0, 1)
    assert [m["Subject"] for m in inbox.messages] == [SUBJECT]
    row = reload(notification)
    assert row.status is NotificationStatus.SENT and row.attempts == 2 and row.last_error is None


def test_backoff_doubles_and_the_row_fails_after_max_attempts(db_session: Session, smtp_config: int) -> None:
    """Proves exponential backoff (1, 2, 4 … minutes) and that after MAX_ATTEMPTS the row is failed
    with its last error and never picked up again."""
    d = make_directory()
    notification = queue(recipient_unit_id=d.ubnd_ha_tu.id)
    now = THU_12_FEB_0900
    waits = []
    for _ in range(MAX_ATTEMPTS):
        send_pending(now)
        row = reload(notification)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    row = reload(notification)
    assert row.status is NotificationStatus.FAILED and row.attempts == MAX_ATTEMPTS
    assert row.last_error
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert send_pending(now + timedelta(days=1)) == type(send_pending(now))(0, 0, 0)


def test_no_address_fails_at_once_with_a_clear_error(db_session: Session, smtp_config: int) -> None:
    """Proves a recipient without any email address is failed at once, not retried forever."""
    d = make_directory()
    d.ubnd_ha_tu.email = None
    db.session.commit()
    notification = queue(recipient_unit_id=d.ubnd_ha_tu.id)

    result = send_pending(THU_12_FEB_0900)

    row = reload(notification)
    assert result.failed == 1
    assert row.status is NotificationStatus.FAILED and row.last_error == NO_ADDRESS


def test_without_mail_server_the_email_is_written_to_the_log(db_session: Session, app: Flask,
                                                             caplog: pytest.LogCaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the Quick start mode: no MAIL_SERVER, the full recipient, subject and body go to the
    'feedback.mail' log at INFO and the row is marked sent."""
    assert app.config["MAIL_SERVER"] is None
    # The migrations' fileConfig (run by the app fixture) disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("feedback.mail"), "disabled", False)
    d = make_directory()
    notification = queue(recipient_unit_id=d.ubnd_ha_tu.id)

    with caplog.at_level(logging.INFO, logger="feedback.mail"):
        result = send_pending(THU_12_FEB_0900)

    [record] = [r for r in caplog.records if r.name == "feedback.mail"]
    text = record.getMessage()
    assert record.levelno == logging.INFO
    assert d.ubnd_ha_tu.email in text and SUBJECT in text and BODY.strip() in text
    assert result.sent == 1 and reload(notification).status is NotificationStatus.SENT


def test_send_one_sends_a_row_once_and_respects_its_retry_time(db_session: Session, smtp_config: int) -> None:
    """Proves send_one (the per-row task) sends a pending row once; a second call sends nothing,
    and a row waiting for its retry time is not sent early."""
    d = make_directory()
    first = queue("test:first", recipient_unit_id=d.ubnd_ha_tu.id)
    later = queue("test:later", recipient_unit_id=d.ubnd_ha_tu.id)
    later.next_attempt_at = THU_12_FEB_0900 + timedelta(hours=1)
    db.session.commit()

    with smtp_server(smtp_config) as (inbox, _):
        outcomes = [send_one(first.id, THU_12_FEB_0900), send_one(first.id, THU_12_FEB_0900), send_one(later.id, THU_12_FEB_0900)]

    assert outcomes == [NotificationStatus.SENT, None, None]
    assert len(inbox.messages) == 1


def test_a_residents_address_is_never_written_to_the_log(db_session: Session, app: Flask,
                                                         caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves (issue #10 item 4): in the log-only mode an email to the resident who sent the item
    is logged without their address (subject and body still there), and when a server refuses
    the address, the warning logged does not name it either (the row keeps the full error)."""
    import smtplib

    from feedback.services.notifications import mailer
    from tests.factories import make_feedback

    monkeypatch.setattr(logging.getLogger("feedback.mail"), "disabled", False)
    monkeypatch.setattr(logging.getLogger(mailer.__name__), "disabled", False)
    d = make_directory()
    item = make_feedback(d, submitter_email="Hoa.Nguyen@example.vn")
    logged = queue("test:resident", recipient_email="hoa.nguyen@example.vn", feedback_id=item.id)
    with caplog.at_level(logging.INFO):
        send_pending(THU_12_FEB_0900)
    assert reload(logged).status is NotificationStatus.SENT
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert mailer.RESIDENT_ADDRESS_HIDDEN in text and SUBJECT in text
    assert "hoa.nguyen@example.vn" not in text.casefold()

    caplog.clear()
    refused = queue("test:refused", recipient_email="hoa.nguyen@example.vn", feedback_id=item.id)

    def refuse(message: object, *, logged_as: str) -> None:
        raise smtplib.SMTPRecipientsRefused({"hoa.nguyen@example.vn": (550, b"no such user")})

    monkeypatch.setattr(mailer, "_send", refuse)
    with caplog.at_level(logging.INFO):
        send_pending(THU_12_FEB_0900)
    row = reload(refused)
    assert row.attempts == 1 and "hoa.nguyen@example.vn" in (row.last_error or "")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and not any("hoa.nguyen@example.vn" in w for w in warnings)
