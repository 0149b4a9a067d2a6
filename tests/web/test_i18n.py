"""Languages: Vietnamese by default, English on ?lang=en (remembered, kept on links), and an English
catalogue that covers every string of the project."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Role
from tests.conftest import Enqueued
from tests.factories import make_directory, make_user
from tests.web.auth_helpers import csrf_token, log_in
from tests.web.form_helpers import post_form, valid_data
from tests.web.html_text import texts

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "feedback" / "translations" / "en" / "LC_MESSAGES"


def test_vietnamese_is_the_default_language(client: FlaskClient, db_session: Session) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Góp ý, phản ánh, kiến nghị với chính quyền" in html
    assert 'href="/?lang=en"' in html


def test_the_english_form_has_english_labels(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = client.get("/submit?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    for label in ('for="commune">Commune, ward or special zone<', 'for="title">Title<', 'for="body">Details<',
                  'for="name">Full name<', 'for="phone">Phone number<', 'for="email">Email<',
                  "<strong>Complaint</strong>", "<strong>Denunciation</strong>", "Choose hamlet/residential group",
                  ">Send feedback<"):
        assert label in html, label
    assert "Gửi ý kiến" not in html and "Tiêu đề" not in html


def test_the_choice_is_remembered_and_kept_on_links(client: FlaskClient, db_session: Session) -> None:
    client.get("/?lang=en")
    html = client.get("/submit").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'href="/submit?lang=en"' in html and 'action="/submit?lang=en"' in html
    assert 'href="/static/site.css"' in html  # static files are left alone
    html = client.get("/submit?lang=vi").get_data(as_text=True)
    assert '<html lang="vi">' in html and 'href="/submit"' in html


def test_field_errors_are_in_the_page_language(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    client.get("/?lang=en")
    html = post_form(client, valid_data(kind="complaint", title="T" * 201)).get_data(as_text=True)
    assert "Complaints and denunciations must give the sender&#39;s full name" in html
    assert "The title is 201 characters long; the limit is 200." in html
    assert "There are 3 problems to fix before sending" in html or "problems to fix" in html


def test_error_pages_are_in_the_visitors_language(client: FlaskClient, db_session: Session) -> None:
    response = client.get("/khong-co-trang-nay?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and '<html lang="en">' in html and "Page not found" in html
    html = client.get("/khong-co-trang-nay?lang=vi").get_data(as_text=True)
    assert "Không tìm thấy trang" in html


def test_the_english_catalogue_is_complete_and_compiled(tmp_path: Path) -> None:
    """Every msgid of the code and templates has an English translation, and the .mo is up to date."""
    with (CATALOGUE / "messages.po").open("rb") as handle:
        po = read_po(handle)
    # A plural message has one string per form: every form must be filled.
    untranslated = [m.id for m in po if m.id and (m.fuzzy or not all([m.string] if isinstance(m.string, str) else m.string))]
    assert untranslated == [], f"untranslated or fuzzy: {untranslated[:10]}"
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        mo = read_mo(handle)
    assert _pairs(mo) == _pairs(po), (
        "messages.mo is stale: run pybabel compile -d feedback/translations")

    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, timeout=120, check=True,
    )
    with pot.open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id}
    missing = sorted(extracted - known)
    assert missing == [], (
        f"strings not in the English catalogue: {missing[:10]} (extract, update and translate: see babel.cfg)")


def test_every_error_page_has_a_title_in_both_languages(app: Flask, db_session: Session) -> None:
    """400, 403, 404, 413, 429 and 500 each have their own friendly title, translated."""
    from werkzeug.exceptions import (BadRequest, Forbidden, InternalServerError, NotFound, RequestEntityTooLarge,
                                     TooManyRequests)

    from feedback.public.errors import render_error

    errors = [BadRequest(), Forbidden(), NotFound(), RequestEntityTooLarge(), TooManyRequests(), InternalServerError()]
    titles: dict[str, list[str]] = {}
    for lang in ("vi", "en"):
        for error in errors:
            with app.test_request_context(f"/?lang={lang}"):
                refresh()  # the test's app context outlives each request context: forget its locale
                body, status, _ = render_error(error)  # type: ignore[misc]
            assert status == error.code and f'<html lang="{lang}">' in body
            titles.setdefault(lang, []).append(re.search(r"<h1>(.*?)</h1>", body).group(1))  # type: ignore[union-attr]
    assert len(set(titles["vi"])) == len(set(titles["en"])) == len(errors)
    assert not set(titles["vi"]) & set(titles["en"])


def _pairs(catalogue: Iterable[Message]) -> dict[object, object]:
    """msgid → msgstr, plural ids and strings as tuples (the .po and .mo readers differ there)."""
    def plain(value: object) -> object:
        return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]

    return {plain(m.id): plain(m.string) for m in catalogue if m.id}


# --- WTForms' own messages and topic names (issue #6, item 5)

def _field_errors(html: str) -> list[str]:
    return texts(html, "span", class_="field-error") + texts(html, "p", class_="field-error")


def test_wtforms_messages_of_an_empty_required_field_are_in_the_page_language(
    client: FlaskClient, db_session: Session
) -> None:
    """The login form left empty: WTForms' "This field is required." only on the English page."""
    for lang, expected in (("vi", "Trường này là bắt buộc."), ("en", "This field is required.")):
        page = client.get(f"/login?lang={lang}").get_data(as_text=True)
        response = client.post("/login", data={"csrf_token": csrf_token(page), "username": "", "password": ""})
        errors = _field_errors(response.get_data(as_text=True))
        assert errors == [expected, expected], lang


def test_wtforms_messages_of_an_invalid_choice_are_in_the_page_language(
    client: FlaskClient, db_session: Session
) -> None:
    """The rule form with a locality not offered and no unit: Vietnamese, then English."""
    make_directory()
    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    for lang, choice, required in (("vi", "Lựa chọn không hợp lệ.", "Trường này là bắt buộc."),
                                   ("en", "Not a valid choice.", "This field is required.")):
        page = client.get(f"/admin/rules/new?lang={lang}").get_data(as_text=True)
        response = client.post("/admin/rules/new", data={
            "csrf_token": csrf_token(page), "locality": "999999", "locality_code": "", "topic": "", "kind": "",
            "unit": "", "valid_from": "", "valid_to": "", "note": ""})
        html = response.get_data(as_text=True)
        errors = _field_errors(html)
        assert choice in errors and required in errors, (lang, errors)
        other = ("This field is required.", "Not a valid choice.") if lang == "vi" else ("Trường này là bắt buộc.",)
        assert not set(other) & set(errors), (lang, errors)


def test_every_wtforms_message_has_a_vietnamese_msgid() -> None:
    """The tables cover every message of the installed WTForms (its wtforms.pot)."""
    from wtforms.i18n import messages_path

    from feedback.form_messages import MESSAGES, PLURAL_MESSAGES

    with (Path(messages_path()) / "wtforms.pot").open("rb") as handle:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert ids and ids <= set(MESSAGES) | set(PLURAL_MESSAGES), sorted(ids - set(MESSAGES) - set(PLURAL_MESSAGES))


def test_every_form_of_the_project_translates_wtforms_messages(app: Flask) -> None:
    from flask_wtf import FlaskForm

    import feedback.admin.forms
    import feedback.auth.forms
    import feedback.public.forms  # noqa: F401
    from feedback.form_messages import TranslatedForm

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    ours = [form for form in subclasses(FlaskForm) if form.__module__.startswith("feedback.")]
    assert len(ours) >= 6
    assert [form.__name__ for form in ours if not issubclass(form, TranslatedForm)] == []


def test_topics_have_their_english_name_on_english_pages(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    """``name_en`` on English pages, the Vietnamese name as fallback and on Vietnamese pages."""
    import feedback.jobs
    from feedback.domain.status import Kind
    from feedback.services.intake.submission import Submission, submit_feedback
    directory = make_directory()
    directory.waste.name_en = "Waste"
    db.session.flush()
    english = client.get("/submit?lang=en").get_data(as_text=True)
    options = texts(english, "option")
    assert "— Waste" in options and "Khác" in options and "— Rác thải" not in options
    vietnamese = client.get("/submit?lang=vi").get_data(as_text=True)
    assert "— Rác thải" in texts(vietnamese, "option") and "— Waste" not in texts(vietnamese, "option")

    item = submit_feedback(Submission(kind=Kind.REPORT, locality_code="06652", village_code=None,
                                      topic_code="moi-truong.rac-thai", title="Rác", body="Rác ở đầu ngõ"),
                           now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    html = client.get(f"/t/{item.code}?lang=en").get_data(as_text=True)
    facts = dict(zip(texts(html, "dt"), texts(html, "dd"), strict=True))
    assert facts["Topic"] == "Waste"
    html = client.get(f"/t/{item.code}?lang=vi").get_data(as_text=True)
    assert dict(zip(texts(html, "dt"), texts(html, "dd"), strict=True))["Lĩnh vực"] == "Rác thải"


def test_the_demo_topics_all_have_english_names() -> None:
    from feedback.services.demo import TOPIC_NAMES_EN, TOPICS

    assert {code for code, *_ in TOPICS} == set(TOPIC_NAMES_EN)
