"""Staff login and logout.

Login is throttled three times (Flask-Limiter), so that a stranger can slow an account down but
never lock its owner out:
- every failed POST against the client's address (LOGIN_RATE_LIMIT): one address trying many
  accounts; a successful login is not counted, so the staff of one office behind one address
  (a commune's committee behind its router) log in at the start of the day without being refused;
- every failed POST against the pair of username and address (LOGIN_PAIR_RATE_LIMIT): one
  address guessing one account slowly;
- every failed POST against the username from anywhere (LOGIN_ACCOUNT_RATE_LIMIT), much higher:
  many addresses guessing one account. The owner, from an address of their own, is refused only
  once that flood is reached; below it they log in while the attacker is refused.
The owner is told: by email after many failures (feedback.services.accounts.passwords.log_in) and by a
notice at their next successful login.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from feedback.auth.forms import LoginForm
from feedback.extensions import limiter
from feedback.models import Role, User
from feedback.services.accounts import end_sessions, log_in

bp = Blueprint("auth", __name__)

# Where each role lands after login when no page was asked for; the first role the user has
# wins, and a user with none of them lands on the home page. Only pages that exist are listed.
LANDING: tuple[tuple[Role, str], ...] = (
    (Role.ADMIN, "admin.index"),
    (Role.UNIT_HEAD, "units.inbox"),
    (Role.OFFICER, "units.inbox"),
    (Role.FRONT_MONITOR, "monitor.index"),
    (Role.INSPECTION_BOARD, "monitor.index"),
)


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _pair_rate_limit() -> str:
    return str(current_app.config["LOGIN_PAIR_RATE_LIMIT"])


def _account_rate_limit() -> str:
    return str(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _username() -> str:
    # As long as a username may be (the form refuses longer ones), so that a key stays small.
    return request.form.get("username", "").strip().casefold()[:64]


def _pair_key() -> str:
    return f"login-pair:{request.remote_addr}:{_username()}"


def _account_key() -> str:
    return "login-account:" + _username()


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


def home_for(user: User) -> str | None:
    """The URL of the home page of ``user``'s role (``LANDING``), or None when their role has none yet."""
    for role, endpoint in LANDING:
        if user.has_role(role):
            return url_for(endpoint)
    return None


def landing_for(user: User) -> str:
    """The page a user sees right after login when no other page was asked for: their role's home,
    else the public home page."""
    return home_for(user) or url_for("public.home")


@bp.app_context_processor
def staff_home() -> dict[str, object]:
    """``staff_home_url(user)`` for the header of every page: the link to the user's workspace."""
    return {"staff_home_url": home_for}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_login_failed, error_message=_too_many_attempts)
@limiter.limit(_pair_rate_limit, methods=["POST"], key_func=_pair_key, deduct_when=_login_failed,
               error_message=_too_many_attempts)
@limiter.limit(_account_rate_limit, methods=["POST"], key_func=_account_key, deduct_when=_login_failed,
               error_message=_too_many_attempts)
def login() -> ResponseReturnValue:
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or landing_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        outcome = log_in(form.username.data or "", form.password.data or "", datetime.now(UTC))
        user = outcome.user
        if user is not None:
            # Session fixation: start a fresh session at login, keeping only the chosen language.
            lang = session.get("lang")
            session.clear()
            g.pop("csrf_token", None)  # the token cached for this request belonged to the old session
            if lang:
                session["lang"] = lang
            login_user(user, remember=bool(form.remember.data))
            if outcome.failed_attempts:
                flash(_("Đã có %(count)d lần nhập sai mật khẩu vào tài khoản của bạn kể từ lần đăng nhập trước. "
                        "Nếu không phải bạn, hãy đổi mật khẩu.", count=outcome.failed_attempts), "warning")
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
    """Log out everywhere (POST with the CSRF token, so that no link or image can log anyone out).

    Every session and remember-me cookie of the user ends, here and on any other device, also
    a copy of this session's cookie.
    """
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    lang = session.get("lang")
    session.clear()
    # After the clear: logout_user marks the remember-me cookie for deletion in the session.
    logout_user()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login", logged_out=1))
