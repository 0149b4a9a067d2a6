"""An attacker (or a cat on the keyboard) against the unit's action forms, the resident's reply
and the rating and reopen forms: 200,000-character fields in every text field, ASCII and
Vietnamese (three bytes a character in UTF-8, nine once URL-encoded), silly scores, a double
click on publish. Each gets a clear message in Vietnamese or a refusal, never a 500, and nothing
is half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.extensions import db, limiter
from feedback.models import Answer, Event, ExtensionRequest, InfoRequest, Note, Rating
from feedback.services import handling
from feedback.services.routing import transfer
from tests.services.handling_rows import TOKEN, desk
from tests.services.rating_rows import answered
from tests.web.admin_html import Element, parse
from tests.web.test_unit_actions import logged_in, post, url
from tests.web.html_text import elements

HUGE = ("x" * 200_000, "ệ" * 200_000)
# Past Werkzeug's MAX_FORM_MEMORY_SIZE (500 kB a field) the request is refused before any view:
# the 413 page then says the text, not the files, was too long (the body is far below 51 MB).
TOO_LONG_PAGE = "Nội dung quá dài"


def clear_message(status: int, shown: Element) -> str:
    """Which clear message the answer carries: the 413 page's title, or the form's refusal."""
    if status == 413:
        assert shown.find("h1").text == TOO_LONG_PAGE
        assert "rút ngắn nội dung" in shown.find("p", class_="lead").text
        return TOO_LONG_PAGE
    text = shown.text
    for wanted in ("dài quá", "Hãy nhập đúng mã"):
        if wanted in text:
            return wanted
    raise AssertionError(f"no clear message in the {status} page")


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)
    limiter.reset()


def events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0


def rows(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# (action, its text field, who posts, what must be set up first)
TEXT_FIELDS = [
    ("save_draft", "text", "officer", "accepted"),
    ("note", "text", "officer", "accepted"),
    ("request_information", "text", "officer", "accepted"),
    ("request_extension", "text", "officer", "accepted"),
    ("refuse_extension", "text", "head", "extension"),
    ("return_answer", "text", "head", "submitted"),
    ("reject", "explanation", "officer", "routed"),
    ("reject", "duplicate_of", "officer", "routed"),
]


@pytest.mark.parametrize("text", HUGE, ids=["ascii", "vietnamese"])
@pytest.mark.parametrize(("action", "field", "who", "state"), TEXT_FIELDS,
                         ids=[f"{a}-{f}" for a, f, _w, _s in TEXT_FIELDS])
def test_a_200000_character_field_is_a_clear_message_and_writes_nothing(
        app: Flask, action: str, field: str, who: str, state: str, text: str) -> None:
    d = desk()
    now = datetime.now(UTC)
    if state != "routed":
        handling.accept(d.officer, d.item.id, now=now)
    if state == "extension":
        handling.request_extension(d.officer, d.item.id, "Cần phối hợp liên ngành.", now=now)
    if state == "submitted":
        handling.save_draft(d.officer, d.item.id, "Dự thảo.", expected_version=None, now=now)
        handling.submit_answer(d.officer, d.item.id, now=now)
    before = (events(), rows(Answer), rows(Note), rows(InfoRequest), rows(ExtensionRequest))
    browser = logged_in(app, (d.officer if who == "officer" else d.head).username)
    fields: dict[str, object] = {field: text}
    if action == "reject":
        fields["reason"] = "duplicate" if field == "duplicate_of" else "abusive"
        fields.setdefault("explanation", "Trùng ý kiến khác.")

    status, shown = post(browser, d.item, action, fields)

    assert status in (413, 422), status
    assert clear_message(status, shown) in (TOO_LONG_PAGE, "dài quá", "Hãy nhập đúng mã"), status
    db.session.expire_all()
    assert (events(), rows(Answer), rows(Note), rows(InfoRequest), rows(ExtensionRequest)) == before


@pytest.mark.parametrize("text", HUGE, ids=["ascii", "vietnamese"])
def test_a_200000_character_reply_is_a_clear_message(client: FlaskClient, text: str) -> None:
    d = desk()
    handling.accept(d.officer, d.item.id, now=datetime.now(UTC))
    handling.request_information(d.officer, d.item.id, "Số nhà cụ thể?", now=datetime.now(UTC))
    secret = f"/t/{d.item.code}/{TOKEN}"
    html = client.get(secret).get_data(as_text=True)
    (csrf,) = {attrs["value"] for attrs, _ in elements(html, "input", name="csrf_token")}
    before = events()

    reply = client.post(secret, data={"csrf_token": csrf, "reply": text}, content_type="multipart/form-data")

    assert reply.status_code in (400, 413), reply.status_code
    assert clear_message(reply.status_code, parse(reply.get_data(as_text=True))) in (TOO_LONG_PAGE, "dài quá")
    db.session.expire_all()
    assert events() == before


@pytest.mark.parametrize("comment", HUGE, ids=["ascii", "vietnamese"])
def test_a_200000_character_rating_comment_is_refused_and_nothing_rated(client: FlaskClient, comment: str) -> None:
    d = answered(at=datetime.now(UTC) - timedelta(days=1))
    secret = f"/t/{d.item.code}/{TOKEN}"
    html = client.get(secret).get_data(as_text=True)
    (csrf,) = {attrs["value"] for attrs, _ in elements(html, "input", name="csrf_token")}

    response = client.post(f"{secret}/rating", data={"csrf_token": csrf, "score": "4", "comment": comment})

    assert response.status_code in (400, 413), response.status_code
    assert clear_message(response.status_code, parse(response.get_data(as_text=True))) in (TOO_LONG_PAGE, "dài quá")
    assert rows(Rating) == 0


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "4.5", "-1", "1e1", "٣"])
def test_a_score_that_is_not_1_to_5_is_a_clear_message(client: FlaskClient, score: str) -> None:
    d = answered(at=datetime.now(UTC) - timedelta(days=1))
    secret = f"/t/{d.item.code}/{TOKEN}"
    html = client.get(secret).get_data(as_text=True)
    (csrf,) = {attrs["value"] for attrs, _ in elements(html, "input", name="csrf_token")}

    response = client.post(f"{secret}/rating", data={"csrf_token": csrf, "score": score})

    assert response.status_code == 400
    assert "1 đến 5" in parse(response.get_data(as_text=True)).find("p", id="rating-error").text
    assert rows(Rating) == 0


def test_an_officer_of_another_unit_cannot_open_the_item_or_its_actions(app: Flask) -> None:
    d = desk()
    browser = logged_in(app, d.stranger.username)

    assert browser.get(url(d.item)).status_code == 404
    before = events()
    for action in ("accept", "note", "save_draft", "publish"):
        status, _shown = post(browser, d.item, action, {"text": "Của đơn vị khác."})
        assert status in (403, 404), (action, status)
    assert events() == before


def test_a_head_publishing_twice_publishes_once(app: Flask) -> None:
    """Two clicks on "publish" (the second POST carries the same form): one publication."""
    d = desk()
    now = datetime.now(UTC)
    handling.accept(d.officer, d.item.id, now=now)
    handling.save_draft(d.officer, d.item.id, "Câu trả lời.", expected_version=None, now=now)
    handling.submit_answer(d.officer, d.item.id, now=now)
    head = logged_in(app, d.head.username)
    html = head.get(url(d.item)).get_data(as_text=True)
    (form,) = parse(html).find_all("form", class_="action-publish")
    data = {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input", type="hidden")}

    first = head.post(f"{url(d.item)}/publish", data=data)
    second = head.post(f"{url(d.item)}/publish", data=data)

    assert first.status_code == 303 and second.status_code in (303, 422), second.status_code
    published = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id == d.item.id, Event.action == "answer_published"))
    assert published == 1
