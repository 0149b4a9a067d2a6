"""The Flask application factory: a list of register_* steps; it wires, it never works."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import make_url

from config import Config, config_from_env
from feedback.extensions import babel, csrf, db, limiter, login_manager, migrate


class ConfigurationError(RuntimeError):
    """The application cannot start with this configuration."""


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the application. ``config`` defaults to the class named by FEEDBACK_ENV."""
    app = Flask(__name__)
    app.config.from_object(config or config_from_env())
    app.config.update(overrides)
    check_config(app)
    prepare_folders(app)
    register_proxy(app)
    tune_postgresql(app)
    register_extensions(app)
    register_database_ping(app)
    register_sqlite_pragmas(app)
    register_babel(app)
    register_web(app)
    register_blueprints(app)
    register_security_headers(app)
    register_errors(app)
    register_jobs(app)
    register_statistics(app)
    register_cli(app)
    return app


def register_statistics(app: Flask) -> None:
    """Count every fact in the transaction that makes it (feedback.services.statistics.live)."""
    from feedback.services.statistics import track_facts

    track_facts()


def check_config(app: Flask) -> None:
    """Production refuses to start without a SECRET_KEY."""
    if not app.config.get("SECRET_KEY"):
        raise ConfigurationError("SECRET_KEY must be set (FEEDBACK_ENV=production needs it in the environment)")


def prepare_folders(app: Flask) -> None:
    """The embedded SQLite database and the uploads need their folders to exist."""
    from pathlib import Path

    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    for url in (uri, str(app.config["CELERY_BROKER_URL"])):
        if "sqlite:///" in url:
            Path(url.split("sqlite:///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


def register_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* from the configured number of proxies, so the client IP is real."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from feedback import models  # noqa: F401  (registers the tables for Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login's own message is English ("Please log in to access this page."); ours is in the
    # visitor's language, flashed as a plain string (a lazy one cannot go into the session).
    login_manager.login_message = _l("Vui lòng đăng nhập để xem trang này.")
    login_manager.localize_callback = str
    login_manager.session_protection = "strong"
    from feedback.auth.sessions import init_login

    # Versioned sessions: logout, a password change or a disabled account end them all.
    init_login(app, login_manager)


def tune_postgresql(app: Flask) -> None:
    """Every statement of this application is a short OLTP one, yet a few (the unit inbox's
    counts at millions of items) are estimated costly enough for PostgreSQL's JIT, which then
    spends more time compiling (76 ms measured) than the query runs. JIT off for our sessions.
    And psycopg's cursors convert the placeholders of the kept statements once per process."""
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".strip()
    if make_url(str(app.config["SQLALCHEMY_DATABASE_URI"])).get_driver_name() == "psycopg":
        # Cursors that convert the kept statements' placeholders once (``database.KeptCursor``).
        from feedback.services.database import KeptCursor

        connect_args.setdefault("cursor_factory", KeptCursor)
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_database_ping(app: Flask) -> None:
    """Pooled connections are checked after lying idle, not before every request (issue #11)."""
    from feedback.services.database import ping_after_idle

    with app.app_context():
        engine = db.engine
    ping_after_idle(engine, float(app.config["DATABASE_PING_AFTER_IDLE"]))


def register_sqlite_pragmas(app: Flask) -> None:
    """The embedded default is shared by web, worker and beat: WAL and a busy timeout let them
    write without "database is locked" errors; foreign keys are enforced as on PostgreSQL."""
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def select_locale() -> str:
    """Vietnamese unless the visitor chose English (``?lang=en`` remembered in the session).

    Outside a request (CLI commands, worker tasks) there is no visitor: the default locale.
    """
    from flask import current_app, has_request_context

    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
    lang = session.get("lang")
    return str(lang) if lang in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def register_babel(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)


def register_web(app: Flask) -> None:
    """Template filters and helpers that every blueprint's pages use (``feedback.web``)."""
    from feedback.web import register_web as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from feedback.admin.views import bp as admin_bp
    from feedback.auth.views import bp as auth_bp
    from feedback.health.views import bp as health_bp
    from feedback.monitor.views import bp as monitor_bp
    from feedback.open311.views import register_open311
    from feedback.monitor_recs.views import bp as monitor_recs_bp
    from feedback.public.views import bp as public_bp
    from feedback.units.views import bp as units_bp
    from feedback.watch.views import bp as watch_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(units_bp, url_prefix="/unit")
    app.register_blueprint(monitor_bp, url_prefix="/monitor")
    app.register_blueprint(watch_bp, url_prefix="/monitor")
    app.register_blueprint(health_bp)
    register_open311(app)
    app.register_blueprint(monitor_recs_bp, url_prefix="/monitor/recommendations")


# No inline scripts or styles: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_errors(app: Flask) -> None:
    from feedback.public.errors import register_error_pages

    register_error_pages(app)


def register_jobs(app: Flask) -> None:
    from feedback.jobs import celery_init_app

    celery_init_app(app)


def register_cli(app: Flask) -> None:
    from feedback.cli import register_commands

    register_commands(app)
