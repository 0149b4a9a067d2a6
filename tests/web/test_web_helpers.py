"""feedback.web: the template filters and language helpers every blueprint's pages use are the
application's, registered by create_app, not a side effect of registering the public blueprint."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, render_template_string
from flask_babel import Babel

from feedback.web import register_web
from feedback.web.labels import TEMPLATE_FILTERS
from feedback.web.site import keep_language, template_helpers

FILTERS = {"kind_label", "kind_help", "status_label", "clock_label", "event_label", "local_datetime"}


def bare_app() -> Flask:
    """An application with no blueprint at all, only what register_web adds."""
    app = Flask(__name__)
    app.config.update(BABEL_DEFAULT_LOCALE="vi", BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh")
    Babel(app)
    register_web(app)
    return app


def test_register_web_adds_the_filters_and_helpers_without_any_blueprint() -> None:
    """Proves: filters, the context processor and the URL defaults hang on the application itself."""
    app = bare_app()

    assert {name for name, _ in TEMPLATE_FILTERS} == FILTERS
    assert FILTERS <= set(app.jinja_env.filters)
    assert template_helpers in app.template_context_processors[None]
    assert keep_language in app.url_default_functions[None]
    with app.test_request_context("/"):
        text = render_template_string("{{ current_locale }}|{{ 'complaint'|kind_label }}|{{ moment|local_datetime }}",
                                      moment=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    assert text == "vi|Khiếu nại|03/03/2026 09:00"


def test_the_real_app_has_them_too(app: Flask) -> None:
    """Proves: create_app registers them (admin and auth pages rely on them as much as public ones)."""
    assert FILTERS <= set(app.jinja_env.filters)
    assert template_helpers in app.template_context_processors[None]
    assert keep_language in app.url_default_functions[None]
