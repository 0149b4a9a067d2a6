"""Staff accounts: password hashing (Argon2id), authentication and the sessions of a user."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from feedback.extensions import db
from feedback.models import User
from feedback.services.notifications.outbox import queue_notification

log = logging.getLogger(__name__)

# Failed logins since the last successful one after which the owner is told by email (at most
# once a day per account: the outbox's dedupe key carries the date).
FAILED_LOGIN_ALERT_THRESHOLD = 10
FAILED_LOGIN_ALERT_KIND = "failed_logins"


@dataclass(frozen=True)
class LoginOutcome:
    """What ``log_in`` found: the user (None when refused) and, on success, how many failed
    attempts on the account came since its previous successful login (to be shown to its owner)."""

    user: User | None
    failed_attempts: int = 0

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash with the library's current recommended parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that a wrong username costs the same
    # Argon2 work as a wrong password and response times do not reveal which accounts exist.
    return _hasher.hash("not-a-password-of-anyone")


def authenticate(username: str, password: str, now: datetime) -> User | None:
    """Return the active user whose ``username`` and ``password`` match, else None (see ``log_in``)."""
    return log_in(username, password, now).user


def log_in(username: str, password: str, now: datetime) -> LoginOutcome:
    """Check ``username`` and ``password``; the outcome carries the active user that matches, or None.

    Guarantees: an unknown username, a disabled account and a wrong password are
    indistinguishable to the caller (user None) and cost one Argon2 verification each. A wrong
    password for an existing account is counted on the account (``failed_logins``); the count
    reaching FAILED_LOGIN_ALERT_THRESHOLD queues an email to the owner (when the account has an
    address) through the notification outbox, at most once per account and UTC day. On success
    the outcome carries the count since the previous successful login, which is reset;
    ``last_login_at`` is set to ``now`` (aware UTC) and, when Argon2's recommended parameters
    have changed since the hash was made, the password is re-hashed; all committed. Never
    raises for bad credentials.
    """
    name = username.strip()
    # No username holds a NUL, and PostgreSQL refuses one even in a comparison (DataError).
    user = None if "\x00" in name else db.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        verify_password(_dummy_hash(), password)
        return LoginOutcome(None)
    if not verify_password(user.password_hash, password):
        _record_failed_login(user, now)
        return LoginOutcome(None)
    if not user.active:
        return LoginOutcome(None)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        log.info("password of %s re-hashed with current Argon2 parameters", user.username)
    failed = user.failed_logins
    user.failed_logins = 0
    user.last_login_at = now
    db.session.commit()
    return LoginOutcome(user, failed)


def _record_failed_login(user: User, now: datetime) -> None:
    # One UPDATE, so that concurrent failures from several processes are all counted.
    count = db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    if count >= FAILED_LOGIN_ALERT_THRESHOLD and user.email:
        # The owner reads it, not whoever typed the password: the platform's own language.
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Nhiều lần đăng nhập sai vào tài khoản %(username)s", username=user.username)
            body = _("Tài khoản %(username)s đã bị nhập sai mật khẩu %(count)d lần kể từ lần đăng nhập "
                     "thành công gần nhất. Nếu không phải bạn, hãy đổi mật khẩu và báo cho quản trị viên. "
                     "Bạn vẫn đăng nhập được bình thường.", username=user.username, count=count)
        queue_notification(f"failed-logins:{user.id}:{now.date().isoformat()}", FAILED_LOGIN_ALERT_KIND,
                           subject=subject, body=body, now=now, recipient_email=user.email)
    db.session.commit()
    log.info("failed login %d for %s", count, user.username)


def user_for_session(user_id: int, session_version: int) -> User | None:
    """The active user ``user_id`` when ``session_version`` is still current, else None.

    A session or remember-me cookie made before the last logout or password change carries an
    older version and so loads nobody; a disabled account loads nobody. Reads only.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` (bump its session version) and commit.

    Not idempotent by design: each call ends the sessions that exist at that moment.
    """
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.commit()
