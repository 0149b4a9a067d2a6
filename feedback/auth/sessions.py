"""Staff sessions: which user a session or remember-me cookie stands for, and for which client.

Flask-Login's alternative tokens: ``User.get_id()`` is "<id>:<session_version>", stored in the
session and in the remember-me cookie; logout and a password change bump the version, so every
earlier session and cookie, copied or not, loads nobody afterwards.

Session protection ("strong") binds a session to the client's address and browser. Flask-Login's
own identifier reads X-Forwarded-For whatever the deployment, so anyone could forge it; this one
uses ``request.remote_addr``, which the header changes only through ProxyFix, that is only when
TRUSTED_PROXIES > 0 (feedback.register_proxy).
"""

from __future__ import annotations

from hashlib import sha512

from flask import Flask, request, session
from flask_login import LoginManager, user_loaded_from_cookie

from feedback.models import User
from feedback.services.accounts import user_for_session


def session_identifier() -> str:
    """A hash of the client's address (as ProxyFix left it) and its User-Agent."""
    base = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return sha512(base.encode("utf-8", "replace")).hexdigest()


def load_user(token: str) -> User | None:
    """The user of a "<id>:<version>" token, or None (malformed, stale version, disabled)."""
    user_id, _sep, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18 or len(version) > 18:
        return None
    return user_for_session(int(user_id), int(version))


def _bind_restored_session(_app: Flask, **_extra: object) -> None:
    # A remember-me cookie restores the user into a session that has no identifier yet: without
    # one the next request fails strong protection, which clears the session and the cookie.
    session["_id"] = session_identifier()


def init_login(app: Flask, login_manager: LoginManager) -> None:
    """Wire Flask-Login for ``app``: the versioned user loader and the identifier above."""
    login_manager.user_loader(load_user)
    # Flask-Login offers no public setting for this; its default reads X-Forwarded-For.
    login_manager._session_identifier_generator = session_identifier
    user_loaded_from_cookie.connect(_bind_restored_session, app)
