"""feedback.web: the template filters and language helpers every blueprint's pages use are the
application's, registered by create_app, not a side effect of registering the public blueprint."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, render_template_string
from flask_babel import Babel, force_locale

from feedback.domain.events import Actor, EventAction
from feedback.web import register_web
from feedback.web.labels import EVENT_LABELS, TEMPLATE_FILTERS
from feedback.web.site import keep_language, template_helpers

FILTERS = {"kind_label", "kind_help", "status_label", "clock_label", "event_label", "draft_status_label",
           "local_datetime", "local_name", "routing_sentence", "file_size", "resident_notice", "reject_reason_label",
           "shows_inline", "actor_label"}


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


def test_labels_exist_exactly_for_the_actions_something_writes() -> None:
    """Proves: one label per EventAction (each is written by a service: tests/test_architecture.py),
    and none for actions nothing writes (the old table had "rated", "escalated", "overdue", ...)."""
    assert set(EVENT_LABELS) == set(EventAction)


def test_internal_actions_have_their_words_for_the_admin_history() -> None:
    """Proves: the admin history's internal actions go through the one event_label filter."""
    app = bare_app()
    with app.test_request_context("/"):
        text = render_template_string("{{ 'personal_data_viewed'|event_label }}|{{ action|event_label }}|"
                                      "{{ 'unknown_action'|event_label }}", action=EventAction.ROUTING_REQUESTED)
    assert text == "Xem thông tin cá nhân của người gửi|Quản trị viên yêu cầu phân công lại|unknown_action"


def test_actors_that_are_no_user_are_named_in_the_page_language(app: Flask) -> None:
    """Proves: the timeline names the resident, the application, the deadline scan and the command
    line in words (found by probing: the unit's item page showed "resident" and "system"); a
    username is shown as it is."""
    template = "{% for a in actors %}{{ a|actor_label }}|{% endfor %}"
    actors = [Actor.resident(), Actor.system(), Actor.deadline_scan(), Actor.cli("root"), Actor.user(7, "canbo.hatu")]
    with app.test_request_context("/"):
        assert render_template_string(template, actors=[str(a) for a in actors]) == (
            "Người gửi|Hệ thống|Hệ thống (theo dõi thời hạn)|Quản trị qua dòng lệnh (root)|canbo.hatu|")
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(template, actors=[str(a) for a in actors]) == (
            "Sender|System|System (deadline watch)|Administrator at the command line (root)|canbo.hatu|")


def test_file_sizes_are_written_in_the_page_language() -> None:
    """Proves: an attachment's size has no English word on a Vietnamese page (found by probing: the
    admin item page showed Jinja's "69 Bytes") and uses the language's decimal separator."""
    app = bare_app()
    template = "{{ 69|file_size }}|{{ 1536|file_size }}|{{ 10485760|file_size }}"
    with app.test_request_context("/"):
        assert render_template_string(template) == "69 B|1,5 KB|10 MB"
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(template) == "69 B|1.5 KB|10 MB"


def test_no_template_uses_jinjas_english_file_size() -> None:
    """Proves: every template shows sizes through file_size (filesizeformat says "Bytes", "kB")."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "feedback" / "templates"
    assert not [path.name for path in templates.rglob("*.html") if "filesizeformat" in path.read_text()]
