"""Staff accounts: password hashing (Argon2id) and authentication."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import User

log = logging.getLogger(__name__)

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
    """Return the active user whose ``username`` and ``password`` match, else None.

    Guarantees: an unknown username, a disabled account and a wrong password are
    indistinguishable to the caller (None) and cost one Argon2 verification each. On success
    ``last_login_at`` is set to ``now`` (aware UTC) and, when Argon2's recommended parameters
    have changed since the hash was made, the password is re-hashed; both are committed.
    Never raises for bad credentials.
    """
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        log.info("password of %s re-hashed with current Argon2 parameters", user.username)
    user.last_login_at = now
    db.session.commit()
    return user
