"""Sending the notification outbox by email (the rows are written first by queue_notification).

One row at a time: claim it, send it, mark it sent, commit. The claim keeps two senders from
sending the same row: on PostgreSQL a ``SELECT … FOR UPDATE SKIP LOCKED`` row lock held while the
message goes out; on SQLite (single writer, where a transaction must not stay open over the
network) a conditional UPDATE that leases the row by moving its ``next_attempt_at`` forward.
A failed attempt is counted on the row and retried later with exponential backoff; after
``MAX_ATTEMPTS`` the row is ``failed`` with its ``last_error`` and no longer retried.

Delivery is at least once: if the process dies after the SMTP server took the message but
before the row is marked sent, the row is sent again. Without ``MAIL_SERVER`` (the Quick start)
messages are written to the ``feedback.mail`` log and marked sent; the address of a resident is
never written to a log (there, or in a failure's message), only units' and staff addresses.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Result, Select, select, update
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Feedback, Notification
from feedback.models.notifications import NotificationStatus
from feedback.services.database import on_postgresql

mail_log = logging.getLogger("feedback.mail")
log = logging.getLogger(__name__)

# Eight attempts with doubling waits from one minute span about four hours (1+2+…+64 min):
# long enough to ride out an SMTP restart or a short outage, short enough to surface a real fault.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)
# SQLite lease: how long a claimed row is hidden from other senders while it is being sent.
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT_SECONDS = 10.0
NO_ADDRESS = "no email address: neither recipient_email nor the recipient unit's email is set"

# Transport errors worth another attempt later (refused connection, timeout, 4xx/5xx replies).
SEND_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class SendResult:
    """Rows handled by one run: sent, failed for good, and put back for a later attempt."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, … minutes, at most BACKOFF_MAX."""
    return min(BACKOFF_BASE * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def send_pending(now: datetime, limit: int = 100) -> SendResult:
    """Send up to ``limit`` pending notifications whose ``next_attempt_at`` is at or before ``now``.

    Each row is claimed, sent and committed on its own, so a crash loses at most the one row in
    flight (which stays pending and is sent again). Safe to run in several workers at once: a row
    claimed by one is skipped by the others. Never raises for an SMTP failure (it is recorded on
    the row); database errors propagate to the caller's retry policy.
    """
    sent = failed = retried = 0
    for _ in range(limit):
        notification = _claim_next(now)
        if notification is None:
            break
        outcome = _deliver(notification, now)
        sent += outcome == NotificationStatus.SENT
        failed += outcome == NotificationStatus.FAILED
        retried += outcome == NotificationStatus.PENDING
    return SendResult(sent=sent, failed=failed, retried=retried)


def send_one(notification_id: int, now: datetime) -> NotificationStatus | None:
    """Send notification ``notification_id`` now if it is pending and due; its status afterwards.

    None when another sender holds it, or it is not pending, or its retry time has not come:
    then nothing is sent, so a duplicate task delivery sends nothing twice.
    """
    notification = _claim(now, notification_id)
    if notification is None:
        return None
    return _deliver(notification, now)


def _claim_next(now: datetime) -> Notification | None:
    return _claim(now, None)


def _claim(now: datetime, notification_id: int | None) -> Notification | None:
    """Claim one due pending row (the given one, or the oldest due); None when there is none."""
    due = select(Notification.id).where(
        Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now
    )
    if notification_id is not None:
        due = due.where(Notification.id == notification_id)
    due = due.order_by(Notification.next_attempt_at, Notification.id).limit(1)
    if on_postgresql():
        # The lock lasts until _deliver commits: other senders skip this row meanwhile.
        row_id = db.session.scalar(due.with_for_update(skip_locked=True))
    else:
        row_id = _lease(due, now)
    if row_id is None:
        db.session.rollback()
        return None
    return db.session.scalars(
        select(Notification).where(Notification.id == row_id).options(selectinload(Notification.recipient_unit))
    ).one()


def _lease(due: Select[int], now: datetime) -> int | None:
    """SQLite: hide the row from other senders for LEASE with a compare-and-set UPDATE."""
    for _ in range(3):
        candidate = db.session.execute(due.add_columns(Notification.next_attempt_at)).first()
        if candidate is None:
            return None
        won = _rowcount(db.session.execute(
            update(Notification)
            .where(
                Notification.id == candidate.id,
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at == candidate.next_attempt_at,
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ))
        db.session.commit()
        if won:
            return int(candidate.id)
    return None


def _rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE (the ORM types the result generically)."""
    return int(cast(CursorResult[Any], result).rowcount)


def _deliver(notification: Notification, now: datetime) -> NotificationStatus:
    """Send the claimed row, record the outcome and commit (which releases the claim)."""
    address = notification.recipient_email or (
        notification.recipient_unit.email if notification.recipient_unit else None
    )
    if not address:
        notification.status = NotificationStatus.FAILED
        notification.last_error = NO_ADDRESS
        notification.attempts = notification.attempts + 1
    else:
        shown = _loggable(notification, address)
        try:
            _send(build_message(notification, address), logged_as=shown)
        except SEND_ERRORS as error:
            _record_failure(notification, now, error, str(error).replace(address, shown))
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.attempts = notification.attempts + 1
            notification.last_error = None
    status = notification.status
    db.session.commit()
    return status


def _record_failure(notification: Notification, now: datetime, error: BaseException, logged: str) -> None:
    """Count the failed attempt on the row (with the error) and log it as ``logged`` (the error's
    text without a resident's address, which an SMTP refusal names)."""
    attempts = notification.attempts + 1  # the row is locked or leased: no concurrent writer
    notification.attempts = attempts
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        log.error("notification %s failed for good after %s attempts: %s", notification.id, attempts, logged)
    else:
        notification.next_attempt_at = now + backoff(attempts)
        log.warning("notification %s attempt %s failed, next at %s: %s",
                    notification.id, attempts, notification.next_attempt_at.isoformat(), logged)


def build_message(notification: Notification, address: str) -> EmailMessage:
    """The email for ``notification``: UTF-8 subject and body, encoded headers, auto-submitted."""
    sender = str(current_app.config["MAIL_SENDER"])
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = sender
    message["To"] = address
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = make_msgid(
        idstring=f"n{notification.id}", domain=sender.rpartition("@")[2] or "localhost"
    )
    # RFC 3834: keeps auto-responders from answering a robot.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body, charset="utf-8", cte="base64")
    return message


# What the log says instead of a resident's address: personal data never goes to a log.
RESIDENT_ADDRESS_HIDDEN = "(the resident's address, not logged)"


def _loggable(notification: Notification, address: str) -> str:
    """``address`` as the log may show it: a unit's or a staff member's address as it is, the
    address of the resident who sent the item (its ``submitter_email``) never."""
    if notification.feedback_id is not None and notification.recipient_email:
        submitter = db.session.scalar(select(Feedback.submitter_email).where(Feedback.id == notification.feedback_id))
        if submitter and submitter.strip().casefold() == address.strip().casefold():
            return RESIDENT_ADDRESS_HIDDEN
    return address


def _send(message: EmailMessage, *, logged_as: str) -> None:
    """Hand ``message`` to MAIL_SERVER:MAIL_PORT, or write it to the log when no server is configured
    (with the recipient written as ``logged_as``)."""
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        mail_log.info(
            "email (no MAIL_SERVER, not sent)\nTo: %s\nSubject: %s\n\n%s",
            logged_as, message["Subject"], message.get_content(),
        )
        return
    timeout = float(config.get("MAIL_TIMEOUT", SMTP_TIMEOUT_SECONDS))
    with smtplib.SMTP(str(server), int(config["MAIL_PORT"]), timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(message)


__all__ = ["MAX_ATTEMPTS", "SendResult", "backoff", "build_message", "send_one", "send_pending"]
