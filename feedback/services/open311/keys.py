"""API keys of the Open311 API: issue, revoke, list, and recognise a key sent with a request.

A key is shown once, when issued; only its SHA-256 digest is stored (``domain.open311``), with
its first characters to tell keys apart. Revoking is final: a revoked key is refused at once
(the next request answers 403). A name is unique among the keys not revoked, so a client's key
can be replaced by revoking it and issuing a new one under the same name. Issuing and revoking
are recorded on the row (who, when) and logged (INFO, never the key); they are not item events,
since no item changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import limits
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from feedback.domain.events import Actor
from feedback.domain.open311 import has_control_characters, hash_api_key, new_api_key
from feedback.domain.text import name_key
from feedback.extensions import db
from feedback.services.database import DATABASE_UNAVAILABLE, execute_kept
from feedback.models import ApiKey

log = logging.getLogger(__name__)

MAX_NAME = 64
PREFIX_LENGTH = 12


class ApiKeyError(ValueError):
    """The key could not be issued or revoked; ``message`` says why, in the current language, and
    ``field`` which input was wrong ("name" or "rate_limit")."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``key`` is shown once and never stored."""

    id: int
    name: str
    key: str


@dataclass(frozen=True)
class KeyHolder:
    """The client a valid key belongs to, and its own rate limit (None: the deployment's)."""

    id: int
    name: str
    rate_limit: str | None


@dataclass(frozen=True)
class KeyRow:
    """One key as the administrators' page lists it (never the key itself)."""

    id: int
    name: str
    prefix: str
    rate_limit: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def issue_key(name: str, *, actor: Actor, now: datetime, rate_limit: str | None = None) -> IssuedKey:
    """Make a key for the client ``name`` and commit it. ``rate_limit`` ("120 per minute",
    "1000/day") replaces the deployment's per-key limit for this key. Raises ``ApiKeyError`` for a
    blank or too long name, a name with a control character, a name already held by a key not
    revoked, or a limit that is not one (nothing written)."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError(_("Hãy nhập tên của khóa (tên ứng dụng hoặc đơn vị dùng khóa)."))
    if len(name) > MAX_NAME:
        raise ApiKeyError(_("Tên khóa tối đa %(limit)d ký tự.", limit=MAX_NAME))
    if has_control_characters(name):  # a NUL reached PostgreSQL and answered 500
        raise ApiKeyError(_("Tên khóa có ký tự điều khiển không được phép."))
    rate_limit = (rate_limit or "").strip() or None
    if rate_limit is not None and not valid_rate_limit(rate_limit):
        raise ApiKeyError(_("Giới hạn tần suất chưa đúng. Ví dụ: 60 per minute, 1000/day."), "rate_limit")
    if _active(name) is not None:
        raise ApiKeyError(_("Đã có khóa đang dùng tên %(name)s. Hãy thu hồi khóa đó trước hoặc chọn tên khác.",
                            name=name))
    key = new_api_key()
    row = ApiKey(name=name, key_hash=hash_api_key(key), prefix=key[:PREFIX_LENGTH], rate_limit=rate_limit,
                 created_at=now, created_by=str(actor))
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent issue of the same name won
        db.session.rollback()
        raise ApiKeyError(_("Đã có khóa đang dùng tên %(name)s. Hãy thu hồi khóa đó trước hoặc chọn tên khác.",
                            name=name)) from None
    log.info("API key %s (%s…) issued by %s", name, row.prefix, actor)
    return IssuedKey(row.id, name, key)


def revoke_key(name: str, *, actor: Actor, now: datetime) -> KeyRow:
    """Revoke the key not yet revoked named ``name`` and commit. Raises ``ApiKeyError`` when
    there is none (a second revoke of the same name is refused, not repeated)."""
    row = _active(" ".join((name or "").split()))
    if row is None:
        raise ApiKeyError(_("Không có khóa đang dùng nào tên %(name)s.", name=name))
    return _revoke(row, actor, now)


def revoke_key_by_id(key_id: int, *, actor: Actor, now: datetime) -> KeyRow:
    """Revoke the key ``key_id`` and commit; raises ``ApiKeyError`` when it does not exist or is
    already revoked."""
    row = db.session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        raise ApiKeyError(_("Khóa này không có hoặc đã bị thu hồi."))
    return _revoke(row, actor, now)


def list_keys() -> list[KeyRow]:
    """Every key, the ones in use first, then by name (``name_key``) and newest first."""
    rows = db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    # Stable: the newest first within one name.
    return sorted((_row(r) for r in rows), key=lambda k: (not k.active, name_key(k.name)))


# Built once: the Open311 POST asks it first on every request (issue #11).
_FIND_KEY = select(ApiKey.id, ApiKey.name, ApiKey.rate_limit).where(ApiKey.key_hash == bindparam("key_hash"),
                                                                     ApiKey.revoked_at.is_(None))


def find_key(key: str | None) -> KeyHolder | None:
    """The holder of ``key`` when it is a key issued and not revoked, else None. Read only."""
    if not key:
        return None
    try:
        # Driver SQL compiled once (``execute_kept``): every Open311 POST asks this (issue #11).
        row = execute_kept(_FIND_KEY, {"key_hash": hash_api_key(key)}).first()
    except DATABASE_UNAVAILABLE:
        # The rate limiter, which asks first, asks again after any error (its storage fallback):
        # rolled back, the session reconnects for that second ask, which then succeeds or fails
        # as the database being away (the 503 page), not as a transaction left to roll back.
        db.session.rollback()
        raise
    return KeyHolder(row.id, row.name, row.rate_limit) if row is not None else None


def valid_rate_limit(text: str) -> bool:
    """Tell whether ``text`` is a rate limit the limiter understands ("60 per minute", "5/second")."""
    try:
        return bool(limits.parse_many(text))
    except ValueError:
        return False


def _active(name: str) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))


def _revoke(row: ApiKey, actor: Actor, now: datetime) -> KeyRow:
    row.revoked_at = now
    row.revoked_by = str(actor)
    db.session.commit()
    log.info("API key %s (%s…) revoked by %s", row.name, row.prefix, actor)
    return _row(row)


def _row(row: ApiKey) -> KeyRow:
    return KeyRow(row.id, row.name, row.prefix, row.rate_limit, row.created_at, row.created_by, row.revoked_at,
                  row.revoked_by)
