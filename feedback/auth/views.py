"""Staff login and logout.

Login is throttled twice (Flask-Limiter): every POST counts against the client's IP address,
and every failed POST against the username tried, so that neither one address trying many
accounts nor many addresses trying one account get more than LOGIN_RATE_LIMIT (per address) or
LOGIN_USERNAME_RATE_LIMIT (per username) attempts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from feedback.auth.forms import LoginForm
from feedback.extensions import limiter
from feedback.models import Role, User
from feedback.services.accounts.passwords import authenticate

bp = Blueprint("auth", __name__)

# Where each role lands after login when no page was asked for; the first role the user has
# wins, and a user with none of them lands on the home page. Only pages that exist are listed:
# the unit workspace and the Front's pages add their role here when they arrive.
LANDING: tuple[tuple[Role, str], ...] = (
    (Role.ADMIN, "admin.index"),
)


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _username_rate_limit() -> str:
    return str(current_app.config["LOGIN_USERNAME_RATE_LIMIT"])


def _username_key() -> str:
    return "login-user:" + request.form.get("username", "").strip().casefold()


def _login_failed(response: Response) -> bool:
    # A successful login redirects; anything else (wrong password, invalid form) is a failure.
    return response.status_code != 302


def _too_many_attempts() -> str:
    return str(_("Bạn đã thử đăng nhập quá nhiều lần. Vui lòng thử lại sau ít phút."))


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site ("/admin/rules?page=2"), else None.

    Refuses absolute URLs, scheme-relative "//host" and "/\\host" forms, and control characters,
    so that the login page can never be used to send someone to another site.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing_for(user: User) -> str:
    """The page a user sees right after login when no other page was asked for."""
    for role, endpoint in LANDING:
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], error_message=_too_many_attempts)
@limiter.limit(_username_rate_limit, methods=["POST"], key_func=_username_key, deduct_when=_login_failed,
               error_message=_too_many_attempts)
def login() -> ResponseReturnValue:
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or landing_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "", datetime.now(UTC))
        if user is not None:
            # Session fixation: start a fresh session at login, keeping only the chosen language.
            lang = session.get("lang")
            session.clear()
            g.pop("csrf_token", None)  # the token cached for this request belonged to the old session
            if lang:
                session["lang"] = lang
            login_user(user, remember=bool(form.remember.data))
            current_app.logger.info("login: %s", user.username)
            return redirect(next_page or landing_for(user))
        error = _("Tên đăng nhập hoặc mật khẩu không đúng.")
        current_app.logger.info("failed login for %r from %s", form.username.data, request.remote_addr)
    return render_template("auth/login.html", form=form, error=error, next_page=next_page)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(limit_error: RateLimitExceeded) -> ResponseReturnValue:
    """The login form again, with the throttling message, as 429 Too Many Requests."""
    form = LoginForm(formdata=None)
    form.username.data = request.form.get("username", "")
    body = render_template("auth/login.html", form=form, error=_too_many_attempts(),
                           next_page=safe_next(request.args.get("next")))
    headers = {}
    current = limiter.current_limit
    if current is not None:
        headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return body, 429, headers


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out (POST with the CSRF token, so that no link or image can log anyone out)."""
    lang = session.get("lang")
    session.clear()
    # After the clear: logout_user marks the remember-me cookie for deletion in the session.
    logout_user()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login", logged_out=1))
