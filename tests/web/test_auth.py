"""Staff login and logout: messages, throttling, safe redirects, role checks, session handling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.auth.views import LANDING
from feedback.extensions import db
from feedback.models import Role, User
from feedback.services.accounts.passwords import authenticate, hash_password
from tests.factories import make_directory, make_user
from tests.web.auth_helpers import csrf_token, log_in

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
THROTTLED = "Bạn đã thử đăng nhập quá nhiều lần. Vui lòng thử lại sau ít phút."
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def test_an_administrator_logs_in_and_lands_on_the_dashboard(client: FlaskClient, db_session: Session) -> None:
    """Proves: right credentials log in, record last_login_at, and send an admin to /admin/."""
    make_directory()
    admin = make_user("quantri", Role.ADMIN)

    response = log_in(client, "quantri")

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert admin.last_login_at is not None
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Quy tắc phân công" in page.get_data(as_text=True)


def test_a_wrong_password_gets_the_generic_message(client: FlaskClient, db_session: Session) -> None:
    """Proves: a wrong password does not log in and shows the one generic message."""
    make_user("quantri", Role.ADMIN)

    response = log_in(client, "quantri", "mat-khau-sai")

    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(client: FlaskClient, db_session: Session) -> None:
    """Proves: no user enumeration: the page for an unknown name equals the wrong-password page."""
    make_user("quantri", Role.ADMIN)

    wrong_password = log_in(client, "quantri", "mat-khau-sai").get_data(as_text=True)
    unknown_user = log_in(client, "khong-co-ai", "mat-khau-sai").get_data(as_text=True)

    assert WRONG in unknown_user

    def strip(html: str) -> str:  # the CSRF token and the echoed username differ by design
        return html.replace(csrf_token(html), "").replace("quantri", "").replace("khong-co-ai", "")

    assert strip(wrong_password) == strip(unknown_user)


def test_an_unknown_user_costs_an_argon2_verification(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: authenticate verifies a dummy hash for an unknown name (similar time as a wrong password)."""
    from feedback.services.accounts import passwords as accounts

    calls: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: calls.append(h) or real(h, p))

    assert authenticate("khong-co-ai", "bat-ky", NOW) is None
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_a_disabled_account_cannot_log_in(client: FlaskClient, db_session: Session) -> None:
    """Proves: an inactive account is refused with the same generic message."""
    user = make_user("da-nghi", Role.ADMIN)
    user.active = False
    db.session.flush()

    response = log_in(client, "da-nghi")

    assert WRONG in response.get_data(as_text=True)


def test_a_disabled_account_loses_its_session(client: FlaskClient, db_session: Session) -> None:
    """Proves: an administrator disabled while logged in is treated as anonymous at the next request."""
    user = make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")
    assert client.get("/admin/").status_code == 200

    user.active = False
    db.session.flush()

    assert client.get("/admin/").status_code == 302


def test_login_is_throttled_per_ip_address(client: FlaskClient, db_session: Session) -> None:
    """Proves: the sixth POST from one address within a minute (5 per minute) is refused with 429
    and the Vietnamese message, even with a right password and another username."""
    make_user("quantri", Role.ADMIN)
    for attempt in range(5):
        assert log_in(client, f"thu-{attempt}", "sai").status_code == 200

    response = log_in(client, "quantri")

    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert response.headers.get("Retry-After")
    assert client.get("/admin/").status_code == 302


def test_login_is_throttled_per_username_across_addresses(client: FlaskClient, db_session: Session) -> None:
    """Proves: five failed attempts on one username from five addresses block that username
    (429) while another username from a fresh address still logs in."""
    make_user("quantri", Role.ADMIN)
    make_user("canbo", Role.OFFICER)
    for attempt in range(5):
        response = log_in(client, "QuanTri", "sai", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt + 1}"})
        assert response.status_code == 200

    blocked = log_in(client, "quantri", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    other = log_in(client, "canbo", environ_base={"REMOTE_ADDR": "10.0.1.2"})

    assert blocked.status_code == 429
    assert THROTTLED in blocked.get_data(as_text=True)
    assert other.status_code == 302


def test_successful_logins_do_not_count_against_the_username(client: FlaskClient, db_session: Session) -> None:
    """Proves: the per-username limit counts failures only (a user logging in often is not blocked)."""
    make_user("quantri", Role.ADMIN)
    for attempt in range(6):
        # a new browser each time (same client class, so that g is fresh per request)
        browser = type(client)(client.application, client.application.response_class, use_cookies=True)
        response = log_in(browser, "quantri", environ_base={"REMOTE_ADDR": f"10.0.2.{attempt + 1}"})
        assert response.status_code == 302


def test_the_per_username_limit_is_its_own_setting(client: FlaskClient, db_session: Session,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: LOGIN_USERNAME_RATE_LIMIT (declared in config.py) is the per-username limit: set to 2
    while the per-address limit stays 5, the third failed try on one username is refused."""
    monkeypatch.setitem(client.application.config, "LOGIN_USERNAME_RATE_LIMIT", "2 per minute")
    make_user("quantri", Role.ADMIN)
    for attempt in range(2):
        response = log_in(client, "quantri", "sai", environ_base={"REMOTE_ADDR": f"10.0.3.{attempt + 1}"})
        assert response.status_code == 200

    blocked = log_in(client, "quantri", environ_base={"REMOTE_ADDR": "10.0.3.9"})

    assert blocked.status_code == 429


def test_every_landing_page_exists(app: Flask) -> None:
    """Proves: LANDING names only pages that exist (no endpoint waiting for a future blueprint)."""
    missing = [endpoint for _, endpoint in LANDING if endpoint not in app.view_functions]
    assert missing == []


def test_staff_without_a_landing_page_land_on_the_home_page(client: FlaskClient, db_session: Session) -> None:
    """Proves: an officer (no workspace yet) is sent to the home page after login, as before."""
    directory = make_directory()
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)

    response = log_in(client, "canbo")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target, expected", [
    ("/admin/rules?page=2", "/admin/rules?page=2"),
    ("https://evil.example/", "/admin/"),
    ("//evil.example/", "/admin/"),
    ("/\\evil.example/", "/admin/"),
    ("javascript:alert(1)", "/admin/"),
])
def test_next_only_redirects_to_local_paths(client: FlaskClient, db_session: Session, target: str,
                                            expected: str) -> None:
    """Proves: ?next= is followed only for a path on this site; otherwise the landing page."""
    make_user("quantri", Role.ADMIN)

    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
                                 "username": "quantri", "password": "mat-khau-dung-1"})

    assert response.headers["Location"] == expected


def test_login_starts_a_new_session_but_keeps_the_language(client: FlaskClient, db_session: Session) -> None:
    """Proves: session fixation defence: what was in the session before login is gone, except lang."""
    make_user("quantri", Role.ADMIN)
    client.get("/login?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "attacker-value"

    log_in(client, "quantri")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "en"
        assert session["_user_id"]


def test_logout_needs_post_with_csrf(client: FlaskClient, db_session: Session) -> None:
    """Proves: GET /logout is not allowed, a POST without the token is refused (400) and leaves the
    user logged in, a POST with the token logs out."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200

    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert "Bạn đã đăng xuất." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_logout_forgets_the_remember_me_cookie(client: FlaskClient, db_session: Session) -> None:
    """Proves: after logout the remember-me cookie is deleted, so the next visit is anonymous."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri", remember=True)
    assert client.get_cookie("remember_token") is not None

    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})

    assert client.get_cookie("remember_token") is None
    assert client.get("/admin/").status_code == 302


def test_admin_pages_redirect_anonymous_visitors_to_login(client: FlaskClient, db_session: Session) -> None:
    """Proves: role_required sends an anonymous visitor to /login with next set."""
    for url in ("/admin/", "/admin/rules", "/admin/rules/new", "/admin/rules/import"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")


def test_admin_pages_are_forbidden_to_other_staff(client: FlaskClient, db_session: Session) -> None:
    """Proves: a logged-in officer gets the friendly 403 page on admin pages, not a redirect."""
    directory = make_directory()
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)
    log_in(client, "canbo")

    for url in ("/admin/", "/admin/rules", "/admin/rules/new"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "không có quyền xem trang này" in response.get_data(as_text=True)


def test_a_hash_made_with_old_parameters_is_upgraded_at_login(db_session: Session) -> None:
    """Proves: authenticate re-hashes when argon2 says the stored hash needs it, and the new hash
    still verifies the same password."""
    from argon2 import PasswordHasher

    user = make_user("quantri", Role.ADMIN)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("mat-khau-dung-1")
    old = user.password_hash
    db.session.flush()

    assert authenticate("quantri", "mat-khau-dung-1", NOW) is user

    assert user.password_hash != old and user.password_hash.startswith("$argon2id$")
    assert authenticate("quantri", "mat-khau-dung-1", NOW) is user
    assert user.last_login_at == NOW


def test_passwords_are_hashed_with_argon2id(db_session: Session) -> None:
    """Proves: stored hashes are Argon2id (not argon2i/argon2d or another scheme)."""
    user = make_user("quantri", Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert hash_password("x" * 12).startswith("$argon2id$")
    assert db.session.get(User, user.id) is user
