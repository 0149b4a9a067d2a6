"""Configuration: the only module that reads os.environ.

Each class is read once at start-up. Production secrets have no defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str = os.environ.get("DATABASE_URL") or _sqlite_url("feedback.sqlite3")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    # Celery: Redis (or RabbitMQ) in production, the embedded SQLite broker by default.
    CELERY_BROKER_URL: str = (
        os.environ.get("CELERY_BROKER_URL")
        or os.environ.get("REDIS_URL")
        or "sqla+" + _sqlite_url("broker.sqlite3")
    )
    # Seconds the web app waits for the broker before giving up (the item is saved anyway).
    BROKER_CONNECT_TIMEOUT: float = float(os.environ.get("BROKER_CONNECT_TIMEOUT", "2"))
    RATELIMIT_STORAGE_URI: str = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT: str = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute")
    # Failed logins per username, from any address (the same limit as per IP unless set).
    LOGIN_USERNAME_RATE_LIMIT: str = os.environ.get("LOGIN_USERNAME_RATE_LIMIT") or LOGIN_RATE_LIMIT
    # Per client IP. Generous on purpose: a commune office kiosk or a mobile carrier's shared
    # address (CGNAT) puts many residents behind one IP; this only stops floods.
    SUBMIT_RATE_LIMIT: str = os.environ.get("SUBMIT_RATE_LIMIT", "30 per minute")
    UPLOAD_DIR: Path = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MAX_ATTACHMENTS: int = 5
    MAX_ATTACHMENT_BYTES: int = 10 * 1024 * 1024
    # 5 files of 10 MB plus the text fields.
    MAX_CONTENT_LENGTH: int = 5 * 10 * 1024 * 1024 + 1024 * 1024
    TRACKING_PREFIX: str = os.environ.get("TRACKING_PREFIX", "QN")
    DEFAULT_PROVINCE_CODE: str = os.environ.get("DEFAULT_PROVINCE_CODE", "22")
    BABEL_DEFAULT_LOCALE: str = "vi"
    BABEL_DEFAULT_TIMEZONE: str = "Asia/Ho_Chi_Minh"
    LANGUAGES: tuple[str, ...] = ("vi", "en")
    WTF_CSRF_TIME_LIMIT: int | None = None
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE: bool = _bool("SESSION_COOKIE_SECURE", True)
    MAIL_SERVER: str | None = os.environ.get("MAIL_SERVER")
    MAIL_PORT: int = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_SENDER: str = os.environ.get("MAIL_SENDER", "gopy@localhost")
    MAIL_TIMEOUT: float = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_USE_TLS: bool = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD")
    # Minutes an item may stay `received` before the beat sweep sends it again.
    STRANDED_AFTER_MINUTES: int = int(os.environ.get("STRANDED_AFTER_MINUTES", "2"))
    # Beat is considered dead after this many seconds without a heartbeat.
    BEAT_MAX_AGE_SECONDS: int = 600
    # Number of reverse proxies (nginx, a load balancer) in front of gunicorn whose
    # X-Forwarded-For/-Proto headers are trusted; 0 when the app is reached directly. Login
    # throttling is per client IP, so behind a proxy this must be set.
    TRUSTED_PROXIES: int = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PUBLIC_BASE_URL: str = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    MIGRATIONS_DIR: str = str(BASE_DIR / "migrations")
    TESTING: bool = False
    DEBUG: bool = False


class ProductionConfig(Config):
    """Refuses to start without SECRET_KEY (checked in create_app)."""


class DevelopmentConfig(Config):
    """Local run from the Quick start: a fixed development key, cookies over plain HTTP."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)


class TestConfig(Config):
    """The test suite: PostgreSQL and Redis are real (see tests/conftest.py)."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/feedback_test"
    )
    CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    UPLOAD_DIR = Path(os.environ.get("TEST_UPLOAD_DIR", "/tmp/feedback-test-uploads"))
    MAIL_SERVER = None


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by FEEDBACK_ENV (production unless told otherwise)."""
    return CONFIGS[os.environ.get("FEEDBACK_ENV", "production")]
