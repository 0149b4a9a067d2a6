"""Configuration: the only module that reads os.environ.

Each class is read once at start-up. Production secrets have no defaults.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
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


def ratelimit_storage(environ: Mapping[str, str]) -> str:
    """Where rate-limit counters live: RATELIMIT_STORAGE_URI, else Redis when REDIS_URL is set, else
    memory (per process: right only for one web process, as the Quick start runs it)."""
    return environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or "memory://"


def instance_secret_key(folder: Path) -> str:
    """The key in ``folder``/secret_key, made once (random, mode 0600) when the file is missing.

    Several processes may start at once (web, worker, beat): the key is written to a private
    temporary file and linked into place, so exactly one key wins and every process reads it.
    """
    path = folder / "secret_key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        path.unlink()  # an empty file (a crash between creating and writing, in an old version)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: its key is the one
    finally:
        temporary.unlink()
    return path.read_text(encoding="ascii").strip()


class _DevelopmentSecretKey:
    """SECRET_KEY of the development configuration: the environment's, else the instance folder's.

    A descriptor, so that the file is made only when the development configuration is loaded,
    never by importing this module (tests, production)."""

    def __get__(self, instance: object, owner: type) -> str:
        return os.environ.get("SECRET_KEY") or instance_secret_key(INSTANCE_DIR)


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str = os.environ.get("DATABASE_URL") or _sqlite_url("feedback.sqlite3")
    # hide_parameters: a database error (logged with its statement when the database goes away
    # mid-submission) must not carry the resident's name, phone or email into the logs.
    # No pool_pre_ping (a round trip before every request's first statement): a pooled connection
    # is checked only after lying unused longer than DATABASE_PING_AFTER_IDLE seconds
    # (feedback.services.database.ping_after_idle).
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"hide_parameters": True}
    # A restart of PostgreSQL takes seconds, so a connection idle for less than this was very
    # likely alive when given back; one that died meanwhile fails its request with the 503 page.
    DATABASE_PING_AFTER_IDLE: float = float(os.environ.get("DATABASE_PING_AFTER_IDLE", "1"))
    # Celery: Redis (or RabbitMQ) in production, the embedded SQLite broker by default.
    CELERY_BROKER_URL: str = (
        os.environ.get("CELERY_BROKER_URL")
        or os.environ.get("REDIS_URL")
        or "sqla+" + _sqlite_url("broker.sqlite3")
    )
    # Seconds the web app waits for the broker before giving up (the item is saved anyway).
    BROKER_CONNECT_TIMEOUT: float = float(os.environ.get("BROKER_CONNECT_TIMEOUT", "2"))
    # Seconds after which a task delivered to a worker that died without acknowledging it (killed,
    # machine lost: acks_late) is given to another worker (Redis broker). Longer than any task
    # runs, or a slow task would be run twice (harmless: tasks are idempotent, but wasted).
    BROKER_VISIBILITY_TIMEOUT: int = int(os.environ.get("BROKER_VISIBILITY_TIMEOUT", "3600"))
    # Counters shared by every web process (Redis) whenever Redis is configured: with memory://
    # each gunicorn process counts alone and N processes allow N times every limit.
    RATELIMIT_STORAGE_URI: str = ratelimit_storage(os.environ)
    # Redis unreachable: fail fast and count in memory (per process) meanwhile, rather than answer
    # every login and submission with an error (a resident's report is saved when Redis is down).
    RATELIMIT_STORAGE_OPTIONS: dict[str, object] = (
        {"socket_connect_timeout": 1, "socket_timeout": 1} if RATELIMIT_STORAGE_URI.startswith("redis") else {}
    )
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED: bool = True
    # Every login POST from one address.
    LOGIN_RATE_LIMIT: str = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute")
    # Failed logins for one username from one address.
    LOGIN_PAIR_RATE_LIMIT: str = os.environ.get("LOGIN_PAIR_RATE_LIMIT", "10 per hour")
    # Failed logins for one username from all addresses together: much higher than the pair's, so
    # that a stranger slows an account down but its owner, from another address, still gets in.
    LOGIN_ACCOUNT_RATE_LIMIT: str = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "100 per hour")
    # Per client IP. Generous on purpose: a commune office kiosk or a mobile carrier's shared
    # address (CGNAT) puts many residents behind one IP; this only stops floods.
    SUBMIT_RATE_LIMIT: str = os.environ.get("SUBMIT_RATE_LIMIT", "30 per minute")
    # Per client IP, one budget for /t/<code>, /t/<code>.json and the secret link: codes are
    # sequential, so this stops harvesting; generous for the same shared-address reason.
    TRACK_RATE_LIMIT: str = os.environ.get("TRACK_RATE_LIMIT", "60 per minute")
    # Open311 API (/open311/v2/): the GETs per client address; POST requests per API key (a key
    # may have its own limit, set when it is issued).
    OPEN311_RATE_LIMIT: str = os.environ.get("OPEN311_RATE_LIMIT", "60 per minute")
    OPEN311_KEY_RATE_LIMIT: str = os.environ.get("OPEN311_KEY_RATE_LIMIT", "60 per minute")
    # When set, a request naming another jurisdiction_id is answered 404 (the specification lets a
    # one-jurisdiction server ignore the argument, which is what happens when it is empty).
    OPEN311_JURISDICTION_ID: str = os.environ.get("OPEN311_JURISDICTION_ID", "")
    # Discovery's "contact" (how to reach the operators); a sentence naming the site when empty.
    OPEN311_CONTACT: str = os.environ.get("OPEN311_CONTACT", "")
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
    # Flask-WTF's switch (tests turn it off); the form POST that builds no form reads it too.
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    # "Remember me" on a staff computer: two weeks, not Flask-Login's year; logout ends it anyway.
    REMEMBER_COOKIE_DURATION: timedelta = timedelta(days=14)
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
    # Calendar days a unit has to answer the Front's kiến nghị sau giám sát: Luật MTTQ Art. 28–30
    # set no number, the local quy chế does (the Inspection Board's 15 days are statutory, fixed).
    FRONT_RECOMMENDATION_DAYS: int = int(os.environ.get("FRONT_RECOMMENDATION_DAYS", "30"))
    MIGRATIONS_DIR: str = str(BASE_DIR / "migrations")
    TESTING: bool = False
    DEBUG: bool = False


class ProductionConfig(Config):
    """Refuses to start without SECRET_KEY (checked in create_app)."""


class DevelopmentConfig(Config):
    """Local run from the Quick start: a random key kept in the instance folder, cookies over plain HTTP.

    A key written in the source would let anyone who reads it sign an administrator's session.
    """

    SECRET_KEY = _DevelopmentSecretKey()
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
    # No mail server (mail is logged) unless a test starts one for its worker processes.
    MAIL_SERVER = os.environ.get("TEST_MAIL_SERVER")


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by FEEDBACK_ENV (production unless told otherwise)."""
    return CONFIGS[os.environ.get("FEEDBACK_ENV", "production")]
