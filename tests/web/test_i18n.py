"""Languages: Vietnamese by default, English on ?lang=en (remembered, kept on links), and an English
catalogue that covers every string of the project."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session

from tests.factories import make_directory
from tests.web.form_helpers import post_form, valid_data

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
