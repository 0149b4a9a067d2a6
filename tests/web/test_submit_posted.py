"""A form POST that makes an item reads its fields without building the form (issue #11), and reads
exactly what the form's fields would hold; a page that shows the form still builds it."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.public import forms
from feedback.public.forms import SUBMIT_FORM_READINGS, SubmitForm, posted_submission
from tests.conftest import Enqueued
from tests.factories import make_directory
from tests.web.form_helpers import form_fields, post_form, valid_data

FIELDS = [name for name, reading in SUBMIT_FORM_READINGS.items() if reading != "files"]


def both(app: Flask, *, csrf_checked: bool = True, **request: Any) -> tuple[Any, SubmitForm]:
    """(posted_submission(), SubmitForm()) for one POST to /submit."""
    with app.test_request_context("/submit", method="POST", **request):
        if csrf_checked:
            g.csrf_valid = True  # what CSRFProtect leaves once the token passed
        return posted_submission(), SubmitForm()


CASES: list[dict[str, Any]] = [
    {"data": {**valid_data(), "csrf_token": "t", "submission_key": "k" * 32}, "content_type": "multipart/form-data"},
    {"data": {**valid_data(), "consent_share_contact": "y"}, "content_type": "multipart/form-data"},
    {"data": {"title": "Chỉ có tiêu đề", "consent_share_contact": "false"}},
    {"data": {"kind": "", "commune": "", "consent_share_contact": ""}},
    {"data": {"kind": ["complaint", "report"], "title": ["hai", "lần"], "consent_share_contact": ["", "y"]}},
    {"data": {**valid_data(), "attachments": (BytesIO(b"%PDF-1.4"), "a.pdf")}, "content_type": "multipart/form-data"},
    # A file part named like a text field: Flask-WTF reads the files before the form.
    {"data": {**valid_data(), "title": (BytesIO(b"x"), "title.txt")}, "content_type": "multipart/form-data"},
    {"data": {"submission_key": "", "name": "  Nguyễn Văn A ", "email": "a@b.vn", "phone": "0912"}},
]


@pytest.mark.parametrize("case", CASES, ids=range(len(CASES)))
def test_the_posted_fields_are_what_the_form_holds(app: Flask, case: dict[str, Any]) -> None:
    """Proves: for each field the submission reads, ``posted_submission`` gives the very value (and
    type) ``SubmitForm`` would hold for the same POST: first values, choices, the consent box's
    true and false spellings, missing fields, repeated fields, files among the fields."""
    posted, form = both(app, **case)
    assert posted is not None
    for name in FIELDS:
        theirs, ours = getattr(form, name).data, getattr(posted, name).data
        assert ours == theirs and type(ours) is type(theirs), (name, ours, theirs)
    assert set(FIELDS) == {"kind", "commune", "village", "topic", "title", "body", "name", "phone", "email",
                           "consent_share_contact", "submission_key"}


def test_the_form_is_built_when_it_would_read_otherwise(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: no shortcut for an empty or JSON body, for a POST whose CSRF token the form itself
    would check (CSRFProtect did not pass it, CSRF on), nor when a field of the form is read in a
    way the shortcut does not know (a field given a filter or a default)."""
    assert both(app, data={})[0] is None
    assert both(app, data=json.dumps({"title": "x"}), content_type="application/json")[0] is None
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert both(app, data={"title": "x"}, csrf_checked=False)[0] is None
    assert both(app, data={"title": "x"})[0] is not None
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert both(app, data={"title": "x"}, csrf_checked=False)[0] is not None
    unbound = SubmitForm.title  # type: ignore[attr-defined]
    filtered = type(unbound)(unbound.field_class, "Tiêu đề", filters=[str.strip])
    assert forms._reading(filtered) is None and forms._reading(unbound) == "first"
    monkeypatch.setitem(forms.SUBMIT_FORM_READINGS, "title", None)
    assert both(app, data={"title": "x"})[0] is None


def test_a_post_that_makes_an_item_builds_no_form_and_a_refused_one_shows_it(
    app: Flask, client: FlaskClient, db_session: Session, enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proves: the POST that makes the item (303) builds no ``SubmitForm``; one refused for a field
    builds it once, with what was typed and the form's key, and the error next to the field."""
    make_directory()
    built: list[SubmitForm] = []
    original = SubmitForm.__init__

    def counting(self: SubmitForm, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    csrf, key = form_fields(client)
    monkeypatch.setattr(SubmitForm, "__init__", counting)
    made = post_form(client, valid_data(), csrf=csrf, key=key)
    assert made.status_code == 303 and built == [] and len(enqueued) == 1

    csrf, key = form_fields(client)
    built.clear()
    refused = post_form(client, valid_data(title="", body="Nội dung còn giữ lại"), csrf=csrf, key=key)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and len(built) == 1
    assert "Hãy nhập tiêu đề." in html and "Nội dung còn giữ lại" in html and f'value="{key}"' in html
