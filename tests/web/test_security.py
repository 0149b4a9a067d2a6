"""Security settings that every page relies on: production configuration, cookie flags, the
Content-Security-Policy and the templates it depends on, escaping, password hashing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import feedback
from config import Config, ProductionConfig, config_from_env
from feedback import ConfigurationError, create_app
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import Role
from tests.conftest import TEST_DB_URL, TEST_REDIS_URL
from tests.factories import make_directory, make_feedback, make_user
from tests.web.auth_helpers import csrf_token

TEMPLATES = Path(feedback.__file__).parent / "templates"
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
