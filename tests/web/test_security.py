"""Security settings that every page relies on: production configuration, cookie flags, the
Content-Security-Policy and the templates it depends on, escaping, password hashing."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import config
import feedback
from config import Config, DevelopmentConfig, ProductionConfig, config_from_env, ratelimit_storage
from feedback import ConfigurationError, create_app
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import Role
from tests.conftest import TEST_DB_URL, TEST_REDIS_URL
from tests.factories import make_directory, make_feedback, make_user
from tests.web.auth_helpers import csrf_token

TEMPLATES = Path(feedback.__file__).parent / "templates"
ROOT = Path(config.__file__).parent
XSS = "<script>alert(1)</script>"


def production_app(tmp_path: Path, **overrides: object) -> Flask:
    """The production configuration on the test database and broker (nothing else changed)."""
    settings: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": TEST_DB_URL,
        "CELERY_BROKER_URL": TEST_REDIS_URL,
        "UPLOAD_DIR": tmp_path / "uploads",
    }
    settings.update(overrides)
    return create_app(ProductionConfig, **settings)


# --- configuration -------------------------------------------------------------------------


def test_production_is_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: without FEEDBACK_ENV the production configuration (with its checks) is used."""
    monkeypatch.delenv("FEEDBACK_ENV", raising=False)
    assert config_from_env() is ProductionConfig


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path, secret: str | None) -> None:
    """Proves: create_app raises ConfigurationError when SECRET_KEY is missing or empty."""
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production_app(tmp_path, SECRET_KEY=secret)


def test_production_cookies_are_secure_httponly_and_lax() -> None:
    """Proves: the production class asks for Secure, HttpOnly, SameSite=Lax session and remember cookies."""
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.REMEMBER_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert issubclass(ProductionConfig, Config) and ProductionConfig.TESTING is False


@pytest.fixture
def production(app: Flask, tmp_path: Path, db_session: Session) -> Iterator[Flask]:
    """A second application with the production configuration, sharing the test transaction."""
    production_app_ = production_app(tmp_path, SECRET_KEY="a-long-random-production-secret")
    yield production_app_
    with production_app_.app_context():
        db.engine.dispose()
    # create_app made its Celery app the process default: give it back to the test application.
    app.extensions["celery"].set_default()


def test_a_production_login_sets_secure_httponly_lax_cookies(production: Flask, db_session: Session) -> None:
    """Proves: the Set-Cookie headers of a real login over HTTPS carry Secure, HttpOnly and
    SameSite=Lax for both the session and the remember-me cookie; HSTS is sent."""
    from feedback.extensions import limiter

    limiter.reset()
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]
    make_user("quantri", Role.ADMIN)
    browser = production.test_client()
    https = {"base_url": "https://portal.example", "headers": {"Referer": "https://portal.example/login"}}

    form = browser.get("/login", **https)  # type: ignore[arg-type]
    response = browser.post("/login", data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                            "username": "quantri", "password": "mat-khau-dung-1",
                                            "remember": "y"}, **https)  # type: ignore[arg-type]

    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        attributes = {part.strip().lower() for part in cookies[name].split(";")}
        assert {"secure", "httponly", "samesite=lax"} <= attributes, cookies[name]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- Content-Security-Policy ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/login", "/admin/", "/submit", "/no-such-page", "/static/site.css",
                                 "/t/QN-26-000001-X"])
def test_every_response_carries_a_strict_content_security_policy(client: FlaskClient, url: str) -> None:
    """Proves: pages, redirects, errors and static files all get a CSP with script-src 'self' and
    without 'unsafe-inline' or 'unsafe-eval'."""
    response = client.get(url)

    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives.get("object-src") == ["'none'"]
    assert directives.get("frame-ancestors") == ["'none'"]


_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S)
_STYLE_ELEMENT = re.compile(r"<style\b", re.I)
_STYLE_ATTRIBUTE = re.compile(r"""[\s("',]style\s*=""", re.I)
_EVENT_HANDLER = re.compile(r"""[\s("',]on[a-z]{3,}\s*=\s*["'{]""", re.I)
_JS_URL = re.compile(r"javascript\s*:", re.I)


def inline_code(source: str) -> list[str]:
    """What the CSP would block in a template: inline scripts (with content or without src),
    style elements and attributes, on* event handlers, javascript: URLs."""
    problems = []
    for script in _INLINE_SCRIPT.finditer(source):
        if script.group("body").strip() or "src" not in script.group("attrs").lower():
            problems.append(f"inline <script>: {script.group(0)[:60]!r}")
    for pattern, label in ((_STYLE_ELEMENT, "<style> element"), (_STYLE_ATTRIBUTE, "style= attribute"),
                           (_EVENT_HANDLER, "event handler attribute"), (_JS_URL, "javascript: URL")):
        problems += [f"{label}: {source[m.start():m.start() + 60]!r}" for m in pattern.finditer(source)]
    return problems


@pytest.mark.parametrize("sample", [
    "<script>alert(1)</script>",
    '<script type="module">\n  go()\n</script>',
    "<p style=\"color:red\">x</p>",
    "{{ form.name(style='width:3em') }}",
    "<style>p{}</style>",
    '<button onclick="go()">x</button>',
    "<body onLoad='x()'>",
    '<a href="javascript:void(0)">x</a>',
])
def test_the_template_scanner_finds_inline_code(sample: str) -> None:
    """Proves: the scanner below is able to fail (each sample is something CSP would block)."""
    assert inline_code(sample)


def test_the_template_scanner_accepts_clean_markup() -> None:
    """Proves: external scripts, class attributes and words like "online" are not flagged."""
    clean = ('<script src="/static/app.js" defer></script><p class="styled" data-online="1">'
             "online = true; lifestyle</p>")
    assert inline_code(clean) == []


def test_no_template_has_inline_scripts_styles_or_handlers() -> None:
    """Proves: no template of any engineer contains what the CSP blocks (it would silently break)."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates, "no templates found"
    problems = [f"{path.relative_to(TEMPLATES)}: {problem}"
                for path in templates for problem in inline_code(path.read_text(encoding="utf-8"))]
    assert problems == []


# --- escaping ------------------------------------------------------------------------------


def test_a_residents_script_in_the_title_is_shown_escaped(client: FlaskClient, db_session: Session) -> None:
    """Proves: Jinja autoescaping: a title and body with <script> are shown as text on the
    resident's tracking page, never as markup, and the public page does not show them at all."""
    directory = make_directory()
    item = make_feedback(directory, title=XSS)
    item.body = f"Nội dung {XSS}"
    item.code = make_code("QN", 2026, item.id)
    item.token_hash = hash_token("bi-mat-cua-nguoi-dan")
    db.session.flush()

    public = client.get(f"/t/{item.code}")
    private = client.get(f"/t/{item.code}/bi-mat-cua-nguoi-dan")

    assert public.status_code == 200 and private.status_code == 200
    for page in (public.get_data(as_text=True), private.get_data(as_text=True)):
        assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in private.get_data(as_text=True)


# --- passwords -----------------------------------------------------------------------------


def test_stored_passwords_are_argon2id(db_session: Session) -> None:
    """Proves: a staff password is stored as an Argon2id hash, never as given."""
    user = make_user("quantri", Role.ADMIN, password="mat-khau-dung-1")
    assert user.password_hash.startswith("$argon2id$")
    assert "mat-khau-dung-1" not in user.password_hash


# --- rate-limit storage (issue #6, item 7) -----------------------------------------------------


def _config_value(name: str, env: dict[str, str]) -> str:
    """``Config.<name>`` as a fresh process with ``env`` reads it (config.py reads the environment once)."""
    clean = {key: value for key, value in os.environ.items()
             if key not in {"RATELIMIT_STORAGE_URI", "REDIS_URL", "SECRET_KEY"}}
    result = subprocess.run([sys.executable, "-c", f"import config; print(config.Config.{name})"],
                            cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


@pytest.mark.parametrize("env, expected", [
    ({}, "memory://"),
    ({"REDIS_URL": "redis://cache.example:6379/0"}, "redis://cache.example:6379/0"),
    ({"REDIS_URL": "redis://cache.example:6379/0", "RATELIMIT_STORAGE_URI": "memcached://mc.example:11211"},
     "memcached://mc.example:11211"),
])
def test_rate_limits_are_stored_in_redis_when_redis_is_configured(env: dict[str, str], expected: str) -> None:
    """Proves: the limiter's storage follows the configuration: Redis when REDIS_URL is set, an
    explicit RATELIMIT_STORAGE_URI wins, memory only when neither is set."""
    assert ratelimit_storage(env) == expected
    assert _config_value("RATELIMIT_STORAGE_URI", env) == expected


@pytest.mark.parametrize("storage_uri, allowed", [("memory://", 10), (TEST_REDIS_URL, 5)])
def test_two_web_processes_share_the_login_limit_only_through_shared_storage(
        client: FlaskClient, db_session: Session, storage_uri: str, allowed: int) -> None:
    """Proves: two web processes, each with its own connection to the limiter's storage (as two
    gunicorn workers have), take turns answering one address's login POSTs (LOGIN_RATE_LIMIT 5
    per minute). With memory:// each counts alone and 10 of 12 attempts get through (the defect);
    with Redis they share one counter and only 5 do."""
    from limits.storage import storage_from_string
    from limits.strategies import STRATEGIES

    from feedback.extensions import limiter

    assert client.application.config["LOGIN_RATE_LIMIT"] == "5 per minute"
    saved = limiter._storage, limiter._limiter  # the test application's own, given back below
    processes = []
    for _process in range(2):
        storage = storage_from_string(storage_uri)
        storage.reset()
        processes.append((storage, STRATEGIES["fixed-window"](storage)))
    answers = []
    try:
        for attempt in range(12):
            limiter._storage, limiter._limiter = processes[attempt % 2]
            answers.append(log_in_post(client, f"thu-{attempt}").status_code)
    finally:
        limiter._storage, limiter._limiter = saved
        processes[0][0].reset()

    assert answers.count(200) == allowed, answers
    assert answers.count(429) == 12 - allowed, answers


def log_in_post(client: FlaskClient, username: str) -> Any:
    """One failed login POST from 10.0.0.1 (the form's token fetched first, which is not limited)."""
    here = {"REMOTE_ADDR": "10.0.0.1"}
    token = csrf_token(client.get("/login", environ_base=here).get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": "sai"},
                       environ_base=here)


# --- the development secret key (issue #6, item 10) -----------------------------------------------


def test_the_development_key_is_random_and_kept_in_the_instance_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: without SECRET_KEY the development configuration makes a random key once into
    INSTANCE_DIR/secret_key (mode 0600) and reads it afterwards; another instance folder gets
    another key; SECRET_KEY from the environment wins; the old public key is gone."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "one")

    key = DevelopmentConfig.SECRET_KEY
    path = tmp_path / "one" / "secret_key"

    assert path.read_text().strip() == key and len(key) >= 60
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DevelopmentConfig.SECRET_KEY == key
    assert key != "dev-only-not-secret" and "dev-only-not-secret" not in Path(config.__file__).read_text()
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["secret_key"]  # no temporary file left
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "two")
    assert DevelopmentConfig.SECRET_KEY != key
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert DevelopmentConfig.SECRET_KEY == "from-the-environment"


def test_concurrent_starts_agree_on_one_development_key(tmp_path: Path) -> None:
    """Proves: processes starting together (web, worker, beat) all read the same key."""
    script = "import config; print(config.DevelopmentConfig.SECRET_KEY)"
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env["INSTANCE_DIR"] = str(tmp_path)
    starts = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
              for _ in range(4)]
    keys = {process.communicate(timeout=60)[0].strip() for process in starts}

    assert keys == {(tmp_path / "secret_key").read_text().strip()}


def test_importing_the_configuration_makes_no_key_file(tmp_path: Path) -> None:
    """Proves: only the development configuration makes the file (production and tests never do)."""
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env["INSTANCE_DIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", "import config; config.ProductionConfig.SECRET_KEY"], cwd=ROOT, env=env,
                   check=True, timeout=60)
    assert not (tmp_path / "secret_key").exists()


def test_logins_still_work_when_the_rate_limit_storage_is_down(app: Flask, tmp_path: Path, db_session: Session) -> None:
    """Proves: with Redis configured but unreachable, the login page answers (counting in memory
    meanwhile) instead of failing with a 500, and the limit still applies."""
    from feedback.extensions import limiter

    saved = dict(limiter.__dict__)
    try:
        # The flag sticks to the one Limiter once any application enabled it: start from off, so
        # that the production configuration alone decides.
        limiter._in_memory_fallback_enabled = False
        dead = production_app(tmp_path, SECRET_KEY="a-long-random-production-secret",
                              RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                              RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1})
        browser = dead.test_client()
        https = {"base_url": "https://portal.example", "headers": {"Referer": "https://portal.example/login"}}
        answers = []
        for attempt in range(6):
            form = browser.get("/login", **https)  # type: ignore[arg-type]
            answers.append(browser.post("/login", data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                                        "username": f"thu-{attempt}", "password": "sai"},
                                        **https).status_code)  # type: ignore[arg-type]
        with dead.app_context():
            db.engine.dispose()
    finally:
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)
        app.extensions["celery"].set_default()

    assert answers == [200] * 5 + [429]


def test_behind_one_trusted_proxy_the_forwarded_client_address_counts(app: Flask, tmp_path: Path,
                                                                      db_session: Session) -> None:
    """Proves: with TRUSTED_PROXIES=1 every request comes from the proxy's address, and the
    client's address from X-Forwarded-For is the one that session binding and the login limit
    use: a copied cookie sent through the proxy for another client is refused, the owner's
    session keeps working, and one client's five attempts do not use up another client's."""
    from feedback.extensions import limiter

    saved = dict(limiter.__dict__)
    proxied = production_app(tmp_path, SECRET_KEY="a-long-random-production-secret", TRUSTED_PROXIES=1)
    try:
        limiter.reset()
        make_user("quantri", Role.ADMIN)
        owner, thief = proxied.test_client(), proxied.test_client()

        def via_proxy(client_address: str) -> dict[str, Any]:
            return {"base_url": "https://portal.example", "environ_base": {"REMOTE_ADDR": "10.0.0.254"},
                    "headers": {"Referer": "https://portal.example/login", "X-Forwarded-For": client_address,
                                "X-Forwarded-Proto": "https"}}

        def post_login(browser: FlaskClient, client_address: str, username: str, password: str) -> int:
            form = browser.get("/login", **via_proxy(client_address))
            return browser.post("/login", data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                                "username": username, "password": password},
                                **via_proxy(client_address)).status_code

        assert post_login(owner, "198.51.100.7", "quantri", "mat-khau-dung-1") == 302
        session_cookie = owner.get_cookie("session", domain="portal.example")
        assert session_cookie is not None
        thief.set_cookie("session", session_cookie.value, domain="portal.example")

        assert thief.get("/admin/", **via_proxy("203.0.113.9")).status_code == 302
        assert owner.get("/admin/", **via_proxy("198.51.100.7")).status_code == 200

        guesses = [post_login(thief, "203.0.113.9", f"thu-{n}", "sai") for n in range(6)]
        assert guesses == [200] * 5 + [429]
        assert post_login(proxied.test_client(), "198.51.100.8", "thu-9", "sai") == 200
    finally:
        with proxied.app_context():
            db.engine.dispose()
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)
        app.extensions["celery"].set_default()
