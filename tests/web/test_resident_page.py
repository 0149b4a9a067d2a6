"""The resident's secret-link page /t/<code>/<token>, read as parsed HTML: the published answer
and its files, the refusal, the unit's questions and the reply form (which resumes the clocks),
the resident's own photos as thumbnails served through the token with strict headers, 404 for
another token or another item's file, the "what happened" notices, and the page in English."""

from __future__ import annotations

import io
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from feedback.domain.calendar import local_date
from feedback.domain.events import Actor, EventAction
from feedback.domain.handling import RejectReason
from feedback.extensions import db
from feedback.models import Attachment, Feedback
from feedback.services import handling
from feedback.services.audit import record_event
from feedback.services.intake.uploads import CheckedFile
from feedback.services.routing import transfer
from tests.factories import make_feedback
from tests.services.handling_rows import FRI_6_MARCH, MON_9_MARCH, TOKEN, WED_4_MARCH, Desk, desk, open_clock
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token
from tests.web.form_helpers import JPEG, PNG

PDF = b"%PDF-1.4\n" + b"0" * 64
STRICT_CSP = "default-src 'none'; img-src 'self'"


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)


@pytest.fixture
def upload_dir(client: FlaskClient) -> Iterator[Path]:
    path = Path(client.application.config["UPLOAD_DIR"])
    before = set(path.iterdir())
    yield path
    for leftover in set(path.iterdir()) - before:
        leftover.unlink()


def page_url(d: Desk, token: str = TOKEN) -> str:
    return f"/t/{d.item.code}/{token}"


def page(client: FlaskClient, d: Desk, query: str = "") -> Element:
    response = client.get(page_url(d) + query)
    assert response.status_code == 200, response.status_code
    return parse(response.get_data(as_text=True))


def stored_file(d: Desk, upload_dir: Path, name: str, content_type: str, data: bytes, *,
                item: Feedback | None = None) -> Attachment:
    """A file of the resident's, written where the intake writes it."""
    owner = item or d.item
    row = Attachment(feedback_id=owner.id, storage_name=f"{len(data):08x}{owner.id:08x}{len(name):016x}",
                     original_name=name, content_type=content_type, size=len(data), sha256="0" * 64)
    (upload_dir / row.storage_name).write_bytes(data)
    db.session.add(row)
    db.session.commit()
    return row


def published(d: Desk, text: str = "Đã thu gom rác ngày 8/3.") -> None:
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    photo = CheckedFile("sau-khi-don.png", "image/png", PNG, "1" * 64)
    report = CheckedFile("bien-ban.pdf", "application/pdf", PDF, "2" * 64)
    handling.save_draft(d.officer, d.item.id, text, expected_version=None, now=FRI_6_MARCH, files=[photo, report])
    handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)
    handling.publish_answer(d.head, d.item.id, now=MON_9_MARCH)


def notices(html: Element) -> list[tuple[str, str]]:
    return [(li.attrs["class"].split()[-1], li.text)
            for li in html.find("section", id="thong-bao").find_all("li", class_="resident-notice")]


def assert_file_headers(response: TestResponse) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == STRICT_CSP
    assert response.headers["Cache-Control"] == "no-store"


# --- the answer ---------------------------------------------------------------------------------

def test_the_published_answer_is_shown_with_its_unit_date_and_files(client: FlaskClient, upload_dir: Path) -> None:
    """Proves: the answer's text, the unit that published it and the date are on the page; its
    photo is a thumbnail served inline through the token, its PDF a download."""
    d = desk(email="dan@example.test")
    assert client.get(page_url(d)).get_data(as_text=True).count('id="tra-loi"') == 0
    published(d)
    html = page(client, d)
    answer = html.find("section", id="tra-loi")
    assert answer.find("div", class_="answer-text").text == "Đã thu gom rác ngày 8/3."
    assert answer.find("p", class_="answer-meta").text == f"{d.item.current_unit.name} trả lời ngày 09/03/2026 09:00"
    image = answer.find("img", class_="thumbnail")
    assert image.attrs["alt"] == "sau-khi-don.png"
    shown = client.get(image.attrs["src"])
    assert shown.status_code == 200 and shown.mimetype == "image/png" and shown.data == PNG
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert_file_headers(shown)
    (pdf_link,) = [a for a in answer.find_all("a") if a.text == "bien-ban.pdf"]
    assert "download" in pdf_link.attrs
    download = client.get(pdf_link.attrs["href"])
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/octet-stream" and download.data == PDF
    assert_file_headers(download)


def test_a_refusal_shows_its_reason_and_explanation(client: FlaskClient) -> None:
    """Proves: a rejected item shows why, in the resident's words, with the unit's explanation."""
    d = desk()
    handling.reject(d.officer, d.item.id, RejectReason.ABUSIVE, "Nội dung chỉ có lời lẽ xúc phạm", now=WED_4_MARCH)
    section = page(client, d).find("section", id="tu-choi")
    assert section.find("p", class_="rejection-reason").text == "Nội dung xúc phạm, quấy rối hoặc không có gì để trả lời."
    assert section.find("p", class_="rejection-explanation").text == "Nội dung chỉ có lời lẽ xúc phạm"


# --- the unit's question and the resident's reply -----------------------------------------------

def test_the_reply_to_an_information_request_resumes_the_clocks(client: FlaskClient, upload_dir: Path) -> None:
    """Proves: the open question is shown with a form; an empty reply is refused with a clear
    message (clocks still paused); a reply with a photo is taken (post-redirect-get), resumes
    the clocks, shows as the answer to the question, and the form is gone; the same form sent
    again (double click) is told nothing is waiting, and nothing is stored twice."""
    d = desk(email="dan@example.test")
    handling.request_information(d.officer, d.item.id, "Xin cho biết vị trí chính xác", now=WED_4_MARCH)
    html = page(client, d)
    section = html.find("section", id="bo-sung")
    assert section.find("p", class_="request-question").text == "Xin cho biết vị trí chính xác"
    form = section.find("form", id="reply-form")
    assert form.attrs["method"] == "post" and form.attrs["enctype"] == "multipart/form-data"
    token = csrf_token(client.get(page_url(d)).get_data(as_text=True))

    refused = client.post(page_url(d), data={"csrf_token": token, "reply": "   "})
    assert refused.status_code == 400
    errors = parse(refused.get_data(as_text=True)).find("div", id="error-summary").text
    assert "nội dung bổ sung" in errors
    assert open_clock(d.item, "resolution").paused_at == WED_4_MARCH

    taken = client.post(page_url(d), data={"csrf_token": token, "reply": "Trước nhà số 5, tổ 3",
                                           "attachments": [(io.BytesIO(JPEG), "vi-tri.jpg")]},
                        content_type="multipart/form-data")
    assert taken.status_code == 303
    assert taken.headers["Location"].endswith(page_url(d) + "#bo-sung")
    db.session.expire_all()
    assert open_clock(d.item, "resolution").paused_at is None
    after = parse(client.get(taken.headers["Location"]).get_data(as_text=True))
    assert after.find("p", class_="request-reply").text == "Trước nhà số 5, tổ 3"
    assert after.find("section", id="bo-sung").find_all("form") == []
    assert "Đã gửi thông tin bổ sung." in after.find("p", class_="flash").text
    thumbnails = after.find("div", id="tep-cua-ban").find_all("img", class_="thumbnail")
    assert [img.attrs["alt"] for img in thumbnails] == ["vi-tri.jpg"]

    again = client.post(page_url(d), data={"csrf_token": token, "reply": "Trước nhà số 5, tổ 3"})
    assert again.status_code == 303
    shown = parse(client.get(again.headers["Location"]).get_data(as_text=True))
    assert shown.find("p", class_="flash").text == "Không có đề nghị bổ sung thông tin nào đang chờ bạn trả lời."
    assert len(shown.find_all("p", class_="request-reply")) == 1


def test_a_reply_without_csrf_or_with_a_wrong_token_changes_nothing(client: FlaskClient) -> None:
    """Proves: no CSRF token: 400 and the clocks stay paused; a wrong secret token: 404."""
    d = desk()
    handling.request_information(d.officer, d.item.id, "Xin bổ sung ảnh", now=WED_4_MARCH)
    assert client.post(page_url(d), data={"reply": "Đây"}).status_code == 400
    token = csrf_token(client.get(page_url(d)).get_data(as_text=True))
    assert client.post(page_url(d, "sai-ma"), data={"csrf_token": token, "reply": "Đây"}).status_code == 404
    assert open_clock(d.item, "resolution").paused_at == WED_4_MARCH
    assert handling.open_request(d.item.id) is not None


# --- the resident's own files -------------------------------------------------------------------

def test_own_photos_are_thumbnails_and_other_files_downloads(client: FlaskClient, upload_dir: Path) -> None:
    """Proves: an image sent by the resident is a thumbnail served inline with nosniff, the strict
    CSP and no-store; a PDF, a HEIC photo and a file of any other type are downloads as
    application/octet-stream."""
    d = desk()
    stored_file(d, upload_dir, "ổ gà.jpg", "image/jpeg", JPEG)
    for name, kind in (("don.pdf", "application/pdf"), ("iphone.heic", "image/heic"), ("x.html", "text/html")):
        stored_file(d, upload_dir, name, kind, b"<html><script>alert(1)</script></html>")
    files = page(client, d).find("div", id="tep-cua-ban")
    (image,) = files.find_all("img", class_="thumbnail")
    assert image.attrs["alt"] == "ổ gà.jpg"
    response = client.get(image.attrs["src"])
    assert response.status_code == 200 and response.mimetype == "image/jpeg" and response.data == JPEG
    assert_file_headers(response)
    downloads = {a.text: a.attrs["href"] for a in files.find_all("a") if "download" in a.attrs}
    assert set(downloads) == {"don.pdf", "iphone.heic", "x.html"}
    # Sizes as the staff pages write them: a 38-byte file is "38 B", not "1 KB".
    assert "(38 B)" in [span.text for span in files.find_all("span", class_="muted")]
    for href in downloads.values():
        response = client.get(href)
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert_file_headers(response)


def test_another_token_or_another_items_file_is_a_404(client: FlaskClient, upload_dir: Path) -> None:
    """Proves: a file is served only to its own item's token: a wrong token, another item's file
    id, an unknown id, an id past the database's integer and a draft answer's file all answer 404."""
    d = desk()
    mine = stored_file(d, upload_dir, "anh.png", "image/png", PNG)
    other_item = make_feedback(d.directory)
    theirs = stored_file(d, upload_dir, "cua-nguoi-khac.png", "image/png", PNG, item=other_item)
    assert client.get(f"{page_url(d)}/files/{mine.id}").status_code == 200
    assert client.get(f"{page_url(d, 'sai-ma-bi-mat')}/files/{mine.id}").status_code == 404
    assert client.get(f"{page_url(d)}/files/{theirs.id}").status_code == 404
    assert client.get(f"{page_url(d)}/files/999999").status_code == 404
    assert client.get(f"{page_url(d)}/files/99999999999999999999").status_code == 404  # was a 500
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    draft = handling.save_draft(d.officer, d.item.id, "Nháp", expected_version=None, now=FRI_6_MARCH,
                                files=[CheckedFile("nhap.png", "image/png", PNG, "3" * 64)])
    draft_file = db.session.scalar(sa.select(Attachment).where(Attachment.answer_id == draft.id))
    assert draft_file is not None
    assert client.get(f"{page_url(d)}/files/{draft_file.id}").status_code == 404


# --- what happened ------------------------------------------------------------------------------

def test_the_notices_list_what_happened_in_order(client: FlaskClient, upload_dir: Path) -> None:
    """Proves: routed (with the unit), accepted, more information needed, extended (with the new
    date) and answered are listed in the order they happened; internal steps are not."""
    d = desk(email="dan@example.test")
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.request_information(d.officer, d.item.id, "Xin bổ sung ảnh", now=WED_4_MARCH)
    handling.provide_information(str(d.item.code), TOKEN, "Đã gửi", now=FRI_6_MARCH)
    handling.request_extension(d.officer, d.item.id, "Cần phối hợp với công ty môi trường", now=FRI_6_MARCH)
    handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)
    due = open_clock(d.item, "resolution").due_at
    handling.add_note(d.officer, d.item.id, "Ghi chú nội bộ", now=MON_9_MARCH)
    handling.save_draft(d.officer, d.item.id, "Đã xử lý xong.", expected_version=None, now=MON_9_MARCH)
    handling.submit_answer(d.officer, d.item.id, now=MON_9_MARCH)
    handling.publish_answer(d.head, d.item.id, now=MON_9_MARCH)
    listed = notices(page(client, d))
    unit = d.item.current_unit.name
    new_date = local_date(due).strftime("%d/%m/%Y")
    assert [kind for kind, _ in listed] == [
        "notice-routed", "notice-accepted", "notice-information_needed", "notice-extended", "notice-answered"]
    assert f"Ý kiến được chuyển đến {unit} để giải quyết." in listed[0][1]
    assert f"được gia hạn đến ngày {new_date}." in listed[3][1]
    assert "Ghi chú" not in " ".join(text for _, text in listed)


class RatingsAction(StrEnum):
    """The ratings' action (issue #8 item 5, another branch), stood in until it is merged."""

    REOPENED = "reopened"


def test_a_rejection_and_a_reopening_are_notices(client: FlaskClient) -> None:
    """Proves: a refusal is a notice; a "reopened" event (written by the ratings) is one too."""
    d = desk()
    handling.reject(d.officer, d.item.id, RejectReason.ABUSIVE, "Lời lẽ xúc phạm", now=WED_4_MARCH)
    record_event(d.item, cast(EventAction, RatingsAction.REOPENED), actor=Actor.resident(), at=MON_9_MARCH)
    db.session.commit()
    listed = notices(page(client, d))
    assert [kind for kind, _ in listed] == ["notice-routed", "notice-rejected", "notice-reopened"]
    assert "Ý kiến được mở lại" in listed[2][1]


def test_the_page_in_english(client: FlaskClient) -> None:
    """Proves: with ?lang=en the notices, headings and the reply form read in English."""
    d = desk()
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.request_information(d.officer, d.item.id, "Xin bổ sung ảnh", now=WED_4_MARCH)
    html = page(client, d, "?lang=en")
    assert html.find("section", id="thong-bao").find("h2").text == "What has happened to your submission"
    assert [text.split(" ", 2)[-1] for _, text in notices(html)] == [
        f"Your submission was sent to {d.item.current_unit.name} to be resolved.",
        "The handling unit has accepted your submission.",
        "The handling unit asks you for more information; the resolution deadline is paused until you reply.",
    ]
    assert html.find("section", id="bo-sung").find("button").text == "Send the information"
