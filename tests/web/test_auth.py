"""Staff login and logout: messages, throttling, safe redirects, role checks, session handling."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.auth.views import LANDING
from feedback.extensions import db
from feedback.models import Notification, Role, User
from feedback.services.accounts.passwords import authenticate, hash_password
from feedback.models.notifications import NotificationStatus
from feedback.services.accounts.passwords import FAILED_LOGIN_ALERT_KIND
from feedback.services.accounts.users import set_password
from tests.factories import make_directory, make_user
from tests.times import TUESDAY_MORNING
from tests.web.auth_helpers import csrf_token, log_in

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
THROTTLED = "Bạn đã thử đăng nhập quá nhiều lần. Vui lòng thử lại sau ít phút."


def fresh_browser(client: FlaskClient) -> FlaskClient:
    """Another browser: no cookies; same client class, so that g is fresh per request."""
    return type(client)(client.application, client.application.response_class, use_cookies=True)


class _Flashes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._category: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "p" and "flash" in classes:
            self._category = next((c.removeprefix("flash-") for c in classes if c.startswith("flash-")), "")
            self.found.append((self._category, ""))

    def handle_data(self, data: str) -> None:
        if self._category is not None:
            category, text = self.found[-1]
            self.found[-1] = (category, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._category = None


def flashes(html: str) -> list[tuple[str, str]]:
    """(category, text) of each flashed message (``p.flash``) in ``html``."""
    parser = _Flashes()
    parser.feed(html)
    return [(category, " ".join(text.split())) for category, text in parser.found]


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

    assert authenticate("khong-co-ai", "bat-ky", TUESDAY_MORNING) is None
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_a_nul_in_the_username_is_a_wrong_login_not_a_server_error(client: FlaskClient, db_session: Session) -> None:
    """Proves: a username with a NUL (no account has one) gets the generic message of a wrong login,
    after the same Argon2 work (found by probing: PostgreSQL refused the lookup and the login form
    answered 500 to anyone)."""
    make_user("quantri", Role.ADMIN)
    response = log_in(client, "quan\x00tri", "mat-khau-dung-1")
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)
    assert authenticate("quantri\x00", "mat-khau-dung-1", TUESDAY_MORNING) is None


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


def test_the_staff_of_one_office_behind_one_address_all_log_in(client: FlaskClient, db_session: Session) -> None:
    """Proves: successful logins do not count against the address's limit (5 failures a minute):
    eight officers behind one router log in within a minute, then five wrong passwords from there
    get the sixth attempt refused as before."""
    office = {"REMOTE_ADDR": "192.0.2.44"}
    for number in range(8):
        make_user(f"canbo{number}", Role.ADMIN)
    answers = [log_in(fresh_browser(client), f"canbo{number}", environ_base=office).status_code for number in range(8)]
    failures = [log_in(fresh_browser(client), "canbo0", "sai", environ_base=office).status_code for _ in range(5)]
    refused = log_in(fresh_browser(client), "canbo1", environ_base=office)

    assert answers == [302] * 8
    assert failures == [200] * 5
    assert refused.status_code == 429


def test_a_stranger_cannot_lock_the_owner_out(client: FlaskClient, db_session: Session) -> None:
    """Proves (issue #6, item 8): ten wrong passwords for an account from one address get that
    address refused (429), while the owner, from another address, logs in with the right password."""
    make_user("quantri", Role.ADMIN)
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    answers = [log_in(client, "quantri", "doan-mo", environ_base=attacker).status_code for _ in range(10)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429

    owner, home = fresh_browser(client), {"REMOTE_ADDR": "198.51.100.7"}
    response = log_in(owner, "quantri", environ_base=home)

    assert response.status_code == 302
    assert owner.get("/admin/", environ_base=home).status_code == 200


def test_failed_logins_are_throttled_per_username_and_address(client: FlaskClient, db_session: Session,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: with the per-address limit out of the way, one address gets LOGIN_PAIR_RATE_LIMIT
    (10 per hour) failures on one username, then 429 even with the right password; the same
    username from another address, and another username from the same address, still log in."""
    monkeypatch.setitem(client.application.config, "LOGIN_RATE_LIMIT", "1000 per minute")
    make_user("quantri", Role.ADMIN)
    make_user("canbo", Role.ADMIN)
    here = {"REMOTE_ADDR": "10.0.0.1"}
    for _attempt in range(10):
        assert log_in(client, "QuanTri", "sai", environ_base=here).status_code == 200

    blocked = log_in(client, "quantri", environ_base=here)
    other_address = log_in(fresh_browser(client), "quantri", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    other_account = log_in(fresh_browser(client), "canbo", environ_base=here)

    assert blocked.status_code == 429
    assert THROTTLED in blocked.get_data(as_text=True)
    assert other_address.status_code == 302
    assert other_account.status_code == 302


def test_many_addresses_slow_an_account_down(client: FlaskClient, db_session: Session,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: failures from many addresses together are bounded by LOGIN_ACCOUNT_RATE_LIMIT
    (set low here), after which the account answers 429 from anywhere; another account does not."""
    monkeypatch.setitem(client.application.config, "LOGIN_ACCOUNT_RATE_LIMIT", "6 per hour")
    make_user("quantri", Role.ADMIN)
    make_user("canbo", Role.OFFICER)
    for attempt in range(6):
        response = log_in(client, "quantri", "sai", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt + 1}"})
        assert response.status_code == 200

    blocked = log_in(client, "quantri", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    other = log_in(client, "canbo", environ_base={"REMOTE_ADDR": "10.0.1.2"})

    assert blocked.status_code == 429
    assert other.status_code == 302


def test_the_owner_is_told_of_failed_logins(client: FlaskClient, db_session: Session) -> None:
    """Proves: ten failures on an account queue one email to its owner (not two, however many
    more failures that day), and the next successful login shows how many there were, once."""
    user = make_user("quantri", Role.ADMIN)
    user.email = "quantri@example.vn"
    db.session.flush()
    for attempt in range(12):
        response = log_in(client, "quantri", "sai", environ_base={"REMOTE_ADDR": f"10.0.3.{attempt + 1}"})
        assert response.status_code == 200

    alerts = db.session.scalars(select(Notification).where(Notification.kind == FAILED_LOGIN_ALERT_KIND)).all()
    assert [(n.recipient_email, n.status) for n in alerts] == [("quantri@example.vn", NotificationStatus.PENDING)]
    assert "12" not in alerts[0].body and "10 lần" in alerts[0].body

    owner, home = fresh_browser(client), {"REMOTE_ADDR": "198.51.100.7"}
    landing = log_in(owner, "quantri", environ_base=home)
    first = flashes(owner.get(landing.headers["Location"], environ_base=home).get_data(as_text=True))
    again = flashes(owner.get(landing.headers["Location"], environ_base=home).get_data(as_text=True))

    assert [(category, "12 lần" in text) for category, text in first] == [("warning", True)]
    assert again == []
    assert user.failed_logins == 0


def test_successful_logins_do_not_count_against_the_username(client: FlaskClient, db_session: Session) -> None:
    """Proves: the per-username limit counts failures only (a user logging in often is not blocked)."""
    make_user("quantri", Role.ADMIN)
    for attempt in range(6):
        browser = fresh_browser(client)
        response = log_in(browser, "quantri", environ_base={"REMOTE_ADDR": f"10.0.2.{attempt + 1}"})
        assert response.status_code == 302


def test_every_landing_page_exists(app: Flask) -> None:
    """Proves: LANDING names only pages that exist (no endpoint waiting for a future blueprint)."""
    missing = [endpoint for _, endpoint in LANDING if endpoint not in app.view_functions]
    assert missing == []


def test_staff_without_a_landing_page_land_on_the_home_page(client: FlaskClient, db_session: Session) -> None:
    """Proves: an account with no membership (no role, so no workspace) is sent to the home page
    after login; a Front monitor lands on /monitor/ (tests/web/test_unit_workspace.py)."""
    from feedback.services.accounts.passwords import hash_password
    from feedback.extensions import db
    from feedback.models import User

    db.session.add(User(username="khongvaitro", password_hash=hash_password("mat-khau-dung-1"), full_name="x"))
    db.session.flush()

    response = log_in(client, "khongvaitro")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_home_page_does_not_ask_a_logged_in_officer_to_log_in(client: FlaskClient, db_session: Session) -> None:
    """Proves: after login an officer's home page offers no "Đăng nhập" (found by probing: the
    officer, the unit head and the Front monitor landed on a page asking them to log in)."""
    directory = make_directory()
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)
    assert 'href="/login"' in client.get("/").get_data(as_text=True)

    log_in(client, "canbo")
    page = client.get("/").get_data(as_text=True)

    assert 'href="/login"' not in page and "Đăng xuất" in page


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


def test_the_login_prompt_after_a_redirect_is_in_the_visitors_language(client: FlaskClient, db_session: Session) -> None:
    """Proves: a staff page opened while logged out leads to the login page with a prompt in
    Vietnamese, or in English after ?lang=en, never Flask-Login's English default."""
    page = client.get("/unit/", follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng đăng nhập để xem trang này." in page
    assert "Please log in" not in page

    client.get("/?lang=en")
    page = client.get("/unit/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in to see this page." in page
    assert "Vui lòng đăng nhập" not in page


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

    assert authenticate("quantri", "mat-khau-dung-1", TUESDAY_MORNING) is user

    assert user.password_hash != old and user.password_hash.startswith("$argon2id$")
    assert authenticate("quantri", "mat-khau-dung-1", TUESDAY_MORNING) is user
    assert user.last_login_at == TUESDAY_MORNING


def test_passwords_are_hashed_with_argon2id(db_session: Session) -> None:
    """Proves: stored hashes are Argon2id (not argon2i/argon2d or another scheme)."""
    user = make_user("quantri", Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert hash_password("x" * 12).startswith("$argon2id$")
    assert db.session.get(User, user.id) is user


# --- sessions end at logout and password change (issue #6, item 9) ---------------------------


def copy_of(browser: FlaskClient, client: FlaskClient, *names: str) -> FlaskClient:
    """A second browser holding copies of ``browser``'s cookies ``names`` (a stolen cookie)."""
    thief = fresh_browser(client)
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def test_a_copied_session_cookie_fails_after_logout(client: FlaskClient, db_session: Session) -> None:
    """Proves: logout ends the session everywhere: a copy of the session cookie taken before
    logout (same address and browser) opens the admin pages before, and no longer after."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")
    thief = copy_of(client, client, "session")
    assert thief.get("/admin/").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").get_data(as_text=True))})

    assert thief.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_logout_ends_the_sessions_of_other_devices(client: FlaskClient, db_session: Session) -> None:
    """Proves: "log out everywhere": logging out in one browser ends the session of another
    browser of the same user, which logged in on its own."""
    make_user("quantri", Role.ADMIN)
    phone = fresh_browser(client)
    log_in(client, "quantri")
    log_in(phone, "quantri")
    assert phone.get("/admin/").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").get_data(as_text=True))})

    assert phone.get("/admin/").status_code == 302


def test_a_password_change_ends_every_session(client: FlaskClient, db_session: Session) -> None:
    """Proves: after set_password the session and the remember-me cookie made with the old
    password load nobody; the new password logs in."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri", remember=True)
    remembered = copy_of(client, client, "remember_token")
    assert client.get("/admin/").status_code == 200

    set_password("quantri", "mat-khau-moi-2026")

    assert client.get("/admin/").status_code == 302
    assert remembered.get("/admin/").status_code == 302
    assert log_in(fresh_browser(client), "quantri", "mat-khau-moi-2026").status_code == 302


def test_a_forged_x_forwarded_for_does_not_open_a_copied_session(client: FlaskClient, db_session: Session) -> None:
    """Proves: with TRUSTED_PROXIES=0 the session stays bound to the real address: a copied
    cookie used from another address is refused even when X-Forwarded-For names the owner's."""
    assert client.application.config["TRUSTED_PROXIES"] == 0
    make_user("quantri", Role.ADMIN)
    owner = {"REMOTE_ADDR": "10.0.0.1"}
    log_in(client, "quantri", environ_base=owner)
    assert client.get("/admin/", environ_base=owner).status_code == 200
    thief = copy_of(client, client, "session")

    forged = thief.get("/admin/", environ_base={"REMOTE_ADDR": "10.6.6.6"}, headers={"X-Forwarded-For": "10.0.0.1"})

    assert forged.status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_login_limit(client: FlaskClient, db_session: Session) -> None:
    """Proves: with TRUSTED_PROXIES=0 the limiter counts the real address: five POSTs with five
    forged X-Forwarded-For headers use up the address's LOGIN_RATE_LIMIT (5 per minute)."""
    make_user("quantri", Role.ADMIN)
    here = {"REMOTE_ADDR": "10.0.0.1"}
    for attempt in range(5):
        forged = {"X-Forwarded-For": f"192.0.2.{attempt + 1}"}
        assert log_in(client, f"thu-{attempt}", "sai", environ_base=here, headers=forged).status_code == 200

    assert log_in(client, "quantri", environ_base=here, headers={"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_remember_me_restores_the_session_and_keeps_it(client: FlaskClient, db_session: Session) -> None:
    """Proves: remember-me works: a browser that kept only the remember-me cookie (the session
    cookie ended with the browser) is logged in, and stays so on the following requests."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri", remember=True)
    reopened = copy_of(client, client, "remember_token")

    assert [reopened.get("/admin/").status_code for _ in range(3)] == [200, 200, 200]
    assert reopened.get_cookie("remember_token") is not None


def test_a_copied_remember_me_cookie_fails_after_logout(client: FlaskClient, db_session: Session) -> None:
    """Proves: the remember-me value changes with the session version: a copy taken before
    logout no longer logs in after it."""
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri", remember=True)
    thief = copy_of(client, client, "remember_token")

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").get_data(as_text=True))})

    assert thief.get("/admin/").status_code == 302
    assert log_in(client, "quantri", remember=True).status_code == 302
    assert client.get_cookie("remember_token").value != thief.get_cookie("remember_token").value  # type: ignore[union-attr]


def test_a_session_token_of_another_form_loads_nobody(app: Flask, db_session: Session) -> None:
    """Proves: the user loader refuses the old bare-id sessions and malformed or stale tokens."""
    from feedback.auth.sessions import load_user

    user = make_user("quantri", Role.ADMIN)
    assert load_user(f"{user.id}:0") is user
    for token in (str(user.id), f"{user.id}:1", f"{user.id}:", ":0", "x:0", f"{user.id}:-1", "9" * 40 + ":0"):
        assert load_user(token) is None, token
