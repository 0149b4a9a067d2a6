"""The resident's form at /submit: works without JavaScript, CSRF on, every error next to its field,
nothing stored when anything is wrong, one item per form however often it is posted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from celery import Celery
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import feedback.jobs
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import parse_code
from feedback.extensions import db
from feedback.models import Attachment, Event, Feedback
from feedback.public.receipts import SECRET_LINK_WINDOW
from feedback.services.intake.maintenance import STALE_AFTER, tidy_uploads
from tests.conftest import Enqueued
from tests.factories import make_directory
from tests.web.form_helpers import (
    JPEG, LINUX_ELF, PDF, PNG, WINDOWS_EXE, code_from_location, form_fields, post_form, valid_data,
)

IDENTITY = {"name": "Nguyễn Văn A", "phone": "0912 345 678"}
STATIC = Path(__file__).resolve().parents[2] / "feedback" / "static"


@pytest.fixture
def empty_uploads(app: Flask) -> Iterator[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    for path in folder.iterdir():
        path.unlink()
    yield folder
    for path in folder.iterdir():
        path.unlink()


def stored() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Feedback)) or 0)


def html_of(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        found = [c for c in self.children if c.tag == tag and all(c.attrs.get(k) == v for k, v in attrs.items())]
        return found + [d for c in self.children for d in c.find_all(tag, **attrs)]


class _Tree(HTMLParser):
    _VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in self._VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse(html: str) -> Element:
    """The page as a tree of elements (the standard library's parser; the text of each element
    includes its descendants')."""
    tree = _Tree()
    tree.feed(html)
    return tree.root


def field_error(html: str, field_id: str) -> str:
    """The error text shown next to ``field_id``; the input must point at it with aria-describedby."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown for {field_id}"
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error', html), f"{field_id} does not reference its error"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def test_the_form_is_vietnamese_labelled_and_explains_each_kind(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = html_of(client.get("/submit"))
    for field_id in ("commune", "village", "topic", "title", "body", "attachments", "name", "phone", "email",
                     "consent_share_contact"):
        assert f'for="{field_id}"' in html, field_id
    for index, label in enumerate(["Góp ý", "Phản ánh", "Kiến nghị", "Khiếu nại", "Tố cáo"]):
        assert f'for="kind-{index}"><strong>{label}</strong>' in html
    assert "Đề nghị cơ quan làm hoặc thay đổi việc gì." in html
    assert "Luật Khiếu nại" in html and "Luật Tố cáo" in html and "nặc danh" in html
    assert '<option value="06652">Phường Hà Tu</option>' in html
    assert '<option value="moi-truong.rac-thai">— Rác thải</option>' in html
    assert "Chọn thôn/khu phố" in html


def test_the_home_page_leads_to_the_form_the_lookup_and_staff_login(client: FlaskClient, db_session: Session) -> None:
    html = html_of(client.get("/"))
    assert 'href="/submit"' in html
    assert 'action="/t"' in html and 'name="code"' in html
    assert 'href="/login"' in html


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_is_received_and_the_receipt_shows_a_valid_code(
    client: FlaskClient, db_session: Session, enqueued: Enqueued, kind: Kind
) -> None:
    make_directory()
    response = post_form(client, valid_data(kind=kind.value, **IDENTITY))
    assert response.status_code == 303
    code = code_from_location(response)
    assert parse_code(code).canonical == code
    assert "token" not in response.headers["Location"]  # the secret never travels in this redirect

    receipt = html_of(client.get(response.headers["Location"]))
    assert f'class="tracking-code" id="tracking-code">{code}<' in receipt
    assert "ký tự kiểm tra" in receipt
    assert re.search(rf"/t/{code}/[A-Za-z0-9_-]{{40,}}", receipt), "the secret link is shown"

    item = db.session.scalar(select(Feedback).where(Feedback.code == code))
    assert item is not None and item.kind == kind and item.status == Status.RECEIVED
    assert [e.action for e in db.session.scalars(select(Event).where(Event.feedback_id == item.id))] == ["received"]
    assert enqueued == [(feedback.jobs.ROUTE_FEEDBACK, item.id)]


def test_a_complaint_without_name_is_refused_with_the_reason_and_nothing_is_stored(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    response = post_form(client, valid_data(kind="complaint"))
    html = html_of(response)
    assert response.status_code == 422
    assert "họ và tên" in field_error(html, "name") and "Luật Khiếu nại" in field_error(html, "name")
    assert "số điện thoại hoặc thư điện tử" in field_error(html, "phone")
    assert 'class="error-summary"' in html and 'href="#name"' in html and 'href="#phone"' in html
    # What was typed is kept.
    assert 'value="Rác tồn đọng ở đầu ngõ 12"' in html and "bốc mùi khó chịu" in html
    assert 'value="complaint"\n               checked' in html
    assert stored() == 0 and enqueued == []


def test_missing_fields_are_each_reported(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    response = post_form(client, {"title": "", "body": ""})
    html = html_of(response)
    assert response.status_code == 422
    assert "loại ý kiến" in field_error(html, "kind")
    assert 'href="#kind-0"' in html
    assert "xã, phường" in field_error(html, "commune")
    assert "lĩnh vực" in field_error(html, "topic")
    assert "tiêu đề" in field_error(html, "title")
    assert "nội dung" in field_error(html, "body")
    assert stored() == 0


def test_over_long_title_and_body_state_the_limits(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = html_of(post_form(client, valid_data(title="T" * 201, body="B" * 5001)))
    assert "201" in field_error(html, "title") and "200" in field_error(html, "title")
    # Grouped as Vietnamese writes numbers, as the form's hint does ("Tối đa 5.000 ký tự").
    assert "5.001" in field_error(html, "body") and "5.000" in field_error(html, "body")
    assert stored() == 0


@pytest.mark.parametrize("program", [WINDOWS_EXE, LINUX_ELF], ids=["windows-exe", "linux-elf"])
def test_a_program_renamed_jpg_is_refused_and_files_must_be_chosen_again(
    client: FlaskClient, db_session: Session, empty_uploads: Path, program: bytes
) -> None:
    make_directory()
    response = post_form(client, valid_data(), files=[(PNG, "ok.png"), (program, "anh-hien-truong.jpg")])
    html = html_of(response)
    assert response.status_code == 422
    assert "anh-hien-truong.jpg" in field_error(html, "attachments")
    assert "chọn lại tệp" in html
    assert stored() == 0 and list(empty_uploads.iterdir()) == []


def test_a_file_over_10_mb_is_refused(client: FlaskClient, db_session: Session, empty_uploads: Path) -> None:
    make_directory()
    big = JPEG + b"\x00" * (11 * 1024 * 1024)
    html = html_of(post_form(client, valid_data(), files=[(big, "lon.jpg")]))
    assert "10 MB" in field_error(html, "attachments")
    assert stored() == 0 and list(empty_uploads.iterdir()) == []


def test_six_files_are_refused(client: FlaskClient, db_session: Session, empty_uploads: Path) -> None:
    make_directory()
    html = html_of(post_form(client, valid_data(), files=[(PNG, f"{i}.png") for i in range(6)]))
    assert "tối đa 5 tệp" in field_error(html, "attachments")
    assert stored() == 0 and list(empty_uploads.iterdir()) == []


def test_images_and_pdf_are_attached(
    client: FlaskClient, db_session: Session, empty_uploads: Path, enqueued: Enqueued
) -> None:
    make_directory()
    response = post_form(client, valid_data(), files=[(PNG, "hien-truong.png"), (PDF, "van-ban.pdf")])
    assert response.status_code == 303
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(r.original_name, r.content_type) for r in rows] == [
        ("hien-truong.png", "image/png"), ("van-ban.pdf", "application/pdf")]
    assert sorted(p.name for p in empty_uploads.iterdir()) == sorted(r.storage_name for r in rows)


def test_a_request_over_max_content_length_gets_a_friendly_413_in_the_visitors_language(
    app: Flask, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_directory()
    csrf, key = form_fields(client, "/submit?lang=en")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = post_form(client, valid_data(), files=[(JPEG + b"\x00" * (2 * 1024 * 1024), "a.jpg")],
                         csrf=csrf, key=key)
    html = html_of(response)
    assert response.status_code == 413
    assert '<html lang="en">' in html and "1 MB" in html and "<h1>" in html
    assert stored() == 0


def test_unknown_locality_and_foreign_village_are_field_errors(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = html_of(post_form(client, valid_data(commune="99999", village="")))
    assert "99999" in field_error(html, "commune")
    html = html_of(post_form(client, valid_data(commune="06994", village="06652-001")))
    assert "không thuộc" in field_error(html, "village")
    assert stored() == 0


def test_a_post_without_csrf_token_gets_a_friendly_400_and_stores_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    make_directory()
    form_fields(client)  # a session exists, only the token is missing
    response = client.post("/submit", data={**valid_data(), "submission_key": "k"}, content_type="multipart/form-data")
    html = html_of(response)
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn hoặc không hợp lệ" in html and 'href="/"' in html
    assert stored() == 0


def test_the_same_form_posted_twice_makes_one_item(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    first = post_form(client, valid_data(), csrf=csrf, key=key)
    second = post_form(client, valid_data(), csrf=csrf, key=key)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]  # back to the same receipt
    assert stored() == 1 and len(enqueued) == 1


def test_another_session_with_a_victims_form_key_gets_no_secret_and_no_personal_data(
    app: Flask, client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    """The key is in the form's HTML (a cached page, a shared computer): copying it, even with the
    same content, must not hand out the victim's receipt, secret link, name or phone."""
    make_directory()
    victim_data = valid_data(kind="complaint", name="Trần Thị Bí Mật", phone="0987 654 321", email="bimat@example.com")
    csrf, key = form_fields(client)
    victim_code = code_from_location(post_form(client, victim_data, csrf=csrf, key=key))
    victim_receipt = html_of(client.get(f"/submitted/{victim_code}"))
    victim_secret = re.search(rf"/t/{victim_code}/([A-Za-z0-9_-]{{40,}})", victim_receipt)
    assert victim_secret, "the victim sees their own secret link"

    attacker = type(client)(app, app.response_class, use_cookies=True)
    attacker_csrf, _ = form_fields(attacker)
    response = post_form(attacker, victim_data, csrf=attacker_csrf, key=key)
    assert response.status_code == 303
    attacker_code = code_from_location(response)
    assert attacker_code != victim_code and stored() == 2  # a new item of the attacker's own
    pages = [html_of(response), html_of(attacker.get(response.headers["Location"], follow_redirects=True)),
             html_of(attacker.get(f"/submitted/{victim_code}", follow_redirects=True))]
    for page in pages:
        assert victim_secret.group(1) not in page and f"/t/{victim_code}/" not in page
        assert "Bí Mật" not in page and "0987" not in page and "bimat@" not in page


def test_back_edit_and_send_again_with_the_same_form_makes_a_new_item(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    first = code_from_location(post_form(client, valid_data(), csrf=csrf, key=key))
    for changed in (valid_data(title="Đèn đường hỏng ở ngõ 12"), valid_data(kind="petition"),
                    valid_data(commune="06994", village="")):
        again = post_form(client, changed, csrf=csrf, key=key)
        assert again.status_code == 303 and code_from_location(again) != first
        assert again.headers["Location"].startswith("/submitted/")  # its own receipt, with its own secret
    assert stored() == 4 and len(enqueued) == 4


def test_the_same_session_repeating_the_same_report_sees_its_receipt_and_secret(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    first = post_form(client, valid_data(), csrf=csrf, key=key)
    code = code_from_location(first)
    secret = re.search(rf"/t/{code}/[A-Za-z0-9_-]{{40,}}", html_of(client.get(first.headers["Location"])))
    again = post_form(client, valid_data(), csrf=csrf, key=key)
    assert again.headers["Location"] == f"/submitted/{code}"
    assert secret and secret.group(0) in html_of(client.get(again.headers["Location"]))
    assert stored() == 1 and len(enqueued) == 1


def age_receipts(client: FlaskClient, by: timedelta) -> None:
    """Make the items and the receipts kept in ``client``'s session ``by`` older, as if that much
    time had passed."""
    with client.session_transaction() as session:
        session["receipts"] = [[code, token, issued - by.total_seconds()] for code, token, issued in session["receipts"]]
    for item in db.session.scalars(select(Feedback)):
        item.received_at -= by
    db.session.commit()


def test_a_double_click_whose_first_answer_was_dropped_still_shows_the_secret_link(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    """A slow line: the browser drops the first answer and the session cookie that carried the
    token; the second POST of the same form, same session and same content shows the receipt."""
    make_directory()
    csrf, key = form_fields(client)
    before = client.get_cookie("session")
    assert before is not None
    code = code_from_location(post_form(client, valid_data(), csrf=csrf, key=key))
    client.set_cookie("session", before.value)  # the first answer never arrived
    response = post_form(client, valid_data(), csrf=csrf, key=key)
    assert response.headers["Location"] == f"/submitted/{code}"
    assert f"/t/{code}/" in html_of(client.get(response.headers["Location"]))
    assert stored() == 1


def test_after_forget_me_the_browsers_resubmit_does_not_send_the_report_again(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    """The next person at a kiosk goes back and confirms "resubmit the form?"."""
    make_directory()
    csrf, key = form_fields(client)
    data = valid_data(name="Phạm Thị Trước", phone="0912 111 222")
    location = post_form(client, data, csrf=csrf, key=key).headers["Location"]
    age_receipts(client, SECRET_LINK_WINDOW + timedelta(minutes=1))
    client.get(location)  # the expired receipt is dropped from the session
    assert client.post("/forget", data={"csrf_token": csrf}).status_code == 303
    again = post_form(client, data, csrf=csrf, key=key)
    assert again.status_code == 303 and again.headers["Location"] == "/submit"
    assert "no-store" in again.headers["Cache-Control"]
    page = html_of(client.get("/submit"))
    assert "Biểu mẫu này đã được gửi và máy đã quên nó" in page and "Trước" not in page
    assert stored() == 1 and len(enqueued) == 1


def test_after_the_window_the_receipt_shows_only_the_code(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    """A kiosk: the next person reopens /submitted/<code> and must not find the secret link."""
    make_directory()
    csrf, key = form_fields(client)
    location = post_form(client, valid_data(name="Lê Văn Kiosk", phone="0912 000 111"), csrf=csrf, key=key).headers["Location"]
    code = location.rsplit("/", 1)[1]
    assert SECRET_LINK_WINDOW <= timedelta(minutes=10)  # "a few minutes at most"
    age_receipts(client, SECRET_LINK_WINDOW - timedelta(seconds=30))
    assert f"/t/{code}/" in html_of(client.get(location))  # still within the window
    age_receipts(client, timedelta(seconds=60))  # and now past it
    later = client.get(location)
    assert later.status_code == 302 and later.headers["Location"].endswith(f"/t/{code}")
    page = html_of(client.get(location, follow_redirects=True))
    assert code in page and f"/t/{code}/" not in page and "Kiosk" not in page
    # A repeat of the same form from the same session no longer reaches the secret either.
    again = post_form(client, valid_data(name="Lê Văn Kiosk", phone="0912 000 111"), csrf=csrf, key=key)
    assert again.headers["Location"] == f"/t/{code}" and stored() == 1


def test_forget_me_clears_what_the_session_holds_of_the_resident(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    location = post_form(client, valid_data()).headers["Location"]
    code = location.rsplit("/", 1)[1]
    forms = parse(html_of(client.get(location))).find_all("form", action="/forget")
    assert len(forms) == 1 and forms[0].attrs.get("method") == "post"
    buttons = forms[0].find_all("button", type="submit")
    assert [b.text.strip() for b in buttons] == ["Đây là máy dùng chung: quên tôi ngay"]
    csrf = forms[0].find_all("input", name="csrf_token")
    assert len(csrf) == 1

    assert client.post("/forget").status_code == 400  # CSRF: no other site can make a browser forget
    assert client.get(location).status_code == 200
    forgotten = client.post("/forget", data={"csrf_token": csrf[0].attrs["value"]})
    assert forgotten.status_code == 303 and forgotten.headers["Location"] == "/"
    assert "no-store" in forgotten.headers["Cache-Control"]
    flashes = parse(html_of(client.get("/"))).find_all("p", role="status")
    assert any("Đã xoá khỏi máy này" in p.text for p in flashes)
    with client.session_transaction() as session:
        assert "receipts" not in session and "sender_id" not in session
    after = client.get(location, follow_redirects=True)
    assert f"/t/{code}/" not in html_of(after) and code in html_of(after)


def test_the_form_and_the_receipt_are_never_cached(
    client: FlaskClient, db_session: Session, enqueued: Enqueued
) -> None:
    make_directory()
    responses = {"form": client.get("/submit")}
    csrf, key = form_fields(client)
    responses["village step"] = post_form(client, valid_data(village="", step="village"), csrf=csrf, key=key)
    responses["invalid"] = post_form(client, valid_data(title=""), csrf=csrf, key=key)
    responses["redirect"] = post_form(client, valid_data(), csrf=csrf, key=key)
    responses["receipt"] = client.get(responses["redirect"].headers["Location"])
    assert [r.status_code for r in responses.values()] == [200, 200, 422, 303, 200]
    for name, response in responses.items():
        assert response.headers.get("Cache-Control") == "no-store", name


def held_uploads(folder: Path) -> list[Path]:
    """The temporary files in the upload folder: held files and the manifest of each hold."""
    return sorted(folder.glob(".incoming-*"))


def test_without_javascript_the_village_step_lists_villages_and_keeps_what_was_typed_and_chosen(
    client: FlaskClient, db_session: Session, empty_uploads: Path, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    typed = valid_data(village="", title="Đèn đường hỏng", body="Ba bóng đèn không sáng.", step="village",
                       name="Lê Văn C")
    response = post_form(client, typed, files=[(PNG, "a.png"), (PDF, "don.pdf")], csrf=csrf, key=key)
    html = html_of(response)
    assert response.status_code == 200
    assert '<option value="06652-001">Tổ dân phố 1</option>' in html
    assert 'value="Đèn đường hỏng"' in html and "Ba bóng đèn không sáng." in html and 'value="Lê Văn C"' in html
    assert f'value="{key}"' in html
    assert 'class="error-summary"' not in html and "chọn lại tệp" not in html
    page = parse(html)
    held = page.find_all("div", id="attachments-held")
    assert len(held) == 1 and [li.text for li in held[0].find_all("li")] == ["a.png", "don.pdf"]
    assert "attachments-held" in page.find_all("input", id="attachments")[0].attrs["aria-describedby"]
    assert len(held_uploads(empty_uploads)) == 3 and stored() == 0 and enqueued == []  # two files, one manifest
    # Then the resident picks the village and sends, without choosing the files again.
    final = post_form(client, {**typed, "village": "06652-001", "step": ""}, csrf=csrf, key=key)
    assert final.status_code == 303 and stored() == 1
    item = db.session.scalar(select(Feedback))
    assert item is not None and item.locality.code == "06652-001"
    names = sorted(a.original_name for a in db.session.scalars(select(Attachment).where(Attachment.feedback_id == item.id)))
    assert names == ["a.png", "don.pdf"]
    # A double click of that last button is the same report again, with the same files.
    again = post_form(client, {**typed, "village": "06652-001", "step": ""}, csrf=csrf, key=key)
    assert again.headers["Location"] == final.headers["Location"] and stored() == 1


def test_the_village_step_jumps_to_the_village_list_without_javascript(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    form = parse(html_of(client.get("/submit")))
    buttons = form.find_all("button", name="step", value="village")
    assert len(buttons) == 1 and buttons[0].attrs.get("formaction") == "/submit#village"
    assert "autofocus" not in form.find_all("select", id="village")[0].attrs  # the first view starts at the top
    csrf, key = form_fields(client)
    step = parse(html_of(post_form(client, valid_data(village="", step="village"), csrf=csrf, key=key)))
    villages = step.find_all("select", id="village")
    assert len(villages) == 1 and "autofocus" in villages[0].attrs


def test_files_chosen_after_the_village_step_replace_the_held_ones(
    client: FlaskClient, db_session: Session, empty_uploads: Path, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    post_form(client, valid_data(village="", step="village"), files=[(PNG, "cu.png")], csrf=csrf, key=key)
    post_form(client, valid_data(village="", step="village"), files=[(JPEG, "moi.jpg")], csrf=csrf, key=key)
    assert len(held_uploads(empty_uploads)) == 2  # one file and its manifest: the first choice is gone
    assert post_form(client, valid_data(), csrf=csrf, key=key).status_code == 303
    assert [a.original_name for a in db.session.scalars(select(Attachment))] == ["moi.jpg"]


def test_held_files_belong_to_one_form_of_one_session(
    app: Flask, client: FlaskClient, db_session: Session, empty_uploads: Path, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    post_form(client, valid_data(village="", step="village"), files=[(PNG, "rieng-tu.png")], csrf=csrf, key=key)
    other = type(client)(app, app.response_class, use_cookies=True)
    other_csrf, _ = form_fields(other)
    assert "rieng-tu.png" not in html_of(post_form(other, valid_data(village="", step="village"), csrf=other_csrf, key=key))
    assert post_form(other, valid_data(), csrf=other_csrf, key=key).status_code == 303
    assert post_form(client, valid_data(title="Một phản ánh khác")).status_code == 303  # another form of this session
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_held_files_that_were_tidied_away_are_asked_for_again(
    client: FlaskClient, db_session: Session, empty_uploads: Path, enqueued: Enqueued
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    post_form(client, valid_data(village="", step="village"), files=[(PNG, "a.png")], csrf=csrf, key=key)
    for path in held_uploads(empty_uploads):  # what the hourly tidy_uploads does to an hour-old file
        path.unlink()
    response = post_form(client, valid_data(), csrf=csrf, key=key)
    assert response.status_code == 422 and stored() == 0
    assert "hãy chọn lại tệp" in field_error(html_of(response), "attachments")


def test_held_files_of_an_abandoned_form_are_removed_by_the_hourly_tidy(
    client: FlaskClient, db_session: Session, empty_uploads: Path
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    post_form(client, valid_data(village="", step="village"), files=[(PNG, "a.png")], csrf=csrf, key=key)
    assert len(held_uploads(empty_uploads)) == 2
    assert tidy_uploads(datetime.now(UTC)).removed == 0  # a form may still be in progress
    assert tidy_uploads(datetime.now(UTC) + STALE_AFTER + timedelta(minutes=1)).removed == 2
    assert list(empty_uploads.iterdir()) == []


def test_long_file_names_do_not_swell_the_session_cookie(
    client: FlaskClient, db_session: Session, empty_uploads: Path
) -> None:
    """A cookie over about 4 KB is silently dropped by browsers: the names stay on the server."""
    make_directory()
    csrf, key = form_fields(client)
    long_names = [(PNG, f"{'ảnh hiện trường rác thải ở đầu ngõ ' * 6}{n}.png") for n in range(5)]
    response = post_form(client, valid_data(village="", step="village"), files=long_names, csrf=csrf, key=key)
    assert response.status_code == 200 and len(held_uploads(empty_uploads)) == 6
    cookie = client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 1500


def test_forget_me_removes_held_files(
    client: FlaskClient, db_session: Session, empty_uploads: Path
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    post_form(client, valid_data(village="", step="village"), files=[(PNG, "a.png")], csrf=csrf, key=key)
    assert len(held_uploads(empty_uploads)) == 2
    assert client.post("/forget", data={"csrf_token": csrf}).status_code == 303
    assert held_uploads(empty_uploads) == []


def test_a_refused_file_at_the_village_step_is_reported_and_not_held(
    client: FlaskClient, db_session: Session, empty_uploads: Path
) -> None:
    make_directory()
    csrf, key = form_fields(client)
    html = html_of(post_form(client, valid_data(village="", step="village"), files=[(WINDOWS_EXE, "anh.jpg")],
                             csrf=csrf, key=key))
    assert field_error(html, "attachments") and "chọn lại tệp" in html
    assert held_uploads(empty_uploads) == [] and parse(html).find_all("div", id="attachments-held") == []


def test_with_the_broker_down_the_item_is_saved_and_the_code_shown(
    app: Flask, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = Celery("dead-broker")
    dead.conf.update(broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=1,
                     broker_transport_options={"socket_connect_timeout": 1, "max_retries": 0})
    monkeypatch.setitem(app.extensions, "celery", dead)
    make_directory()
    response = post_form(client, valid_data())
    assert response.status_code == 303
    code = code_from_location(response)
    assert code in html_of(client.get(response.headers["Location"]))
    item = db.session.scalar(select(Feedback).where(Feedback.code == code))
    assert item is not None and item.status == Status.RECEIVED


def test_locality_search_ignores_diacritics(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    results = client.get("/localities/search.json?q=ha tu").get_json()["results"]
    assert [(r["code"], r["name"]) for r in results][:1] == [("06652", "Phường Hà Tu")]
    village = client.get("/localities/search.json?q=DAI VAN").get_json()["results"]
    assert village == [{"code": "06994-001", "name": "Thôn Đài Van", "level": "village",
                        "commune_code": "06994", "commune_name": "Đặc khu Vân Đồn"}]
    assert client.get("/localities/search.json?q=").get_json()["results"] == []


def test_locality_search_finds_a_village_named_with_its_commune(client: FlaskClient, db_session: Session) -> None:
    """Proves: a resident who types the village with its commune, as places are written ("Tổ dân
    phố 1, Phường Hà Tu", or "to dan pho 1 ha tu"), finds that village (before: nothing, since
    every word had to be in the village's own name); the commune's words never bring another
    commune's village, and the commune's name alone still lists the commune, not its villages."""
    make_directory()

    def codes(query: str) -> list[str]:
        return [r["code"] for r in client.get("/localities/search.json", query_string={"q": query}).get_json()["results"]]

    assert codes("Tổ dân phố 1, Phường Hà Tu") == ["06652-001"]
    assert codes("to dan pho 1 ha tu") == ["06652-001"]
    assert codes("dai van ha tu") == []
    assert codes("ha tu") == ["06652"]


def test_villages_of_a_commune_as_json(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    data = client.get("/localities/06652/villages.json").get_json()
    assert data == {"commune": "06652", "villages": [{"code": "06652-001", "name": "Tổ dân phố 1",
                                                      "folded": "to dan pho 1"}]}
    assert client.get("/localities/00000/villages.json").status_code == 404


def test_pages_fit_a_phone_and_use_no_inline_script_or_style(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = html_of(client.get("/submit"))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<style" not in html and " style=" not in html
    assert all(not tag.strip() for tag in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    assert '<script src="/static/picker.js" defer></script>' in html
    # Declarations only: "(min-width: 40rem)" in a media query is not a width.
    css = (STATIC / "site.css").read_text()
    fixed = [int(px) for prop, px in re.findall(r"(?<![-\w(])(width|min-width)\s*:\s*(\d+)px", css)]
    assert all(px <= 360 for px in fixed), fixed
    rem_widths = [float(v) for v in re.findall(r"(?<![-\w(])(?:width|min-width)\s*:\s*([\d.]+)rem", css)]
    assert all(v * 16 <= 360 for v in rem_widths), rem_widths


def test_the_village_step_without_a_commune_asks_for_the_commune_first(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    html = html_of(post_form(client, valid_data(commune="", village="", step="village")))
    assert "trước khi chọn thôn" in field_error(html, "commune")
    assert stored() == 0


def test_a_flood_of_submissions_from_one_address_is_refused_politely(
    app: Flask, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_directory()
    monkeypatch.setitem(app.config, "SUBMIT_RATE_LIMIT", "2 per minute")
    statuses = [post_form(client, valid_data(title=f"Phản ánh số {n}")).status_code for n in range(3)]

    refused = post_form(client, valid_data(title="Phản ánh thứ tư"))
    assert statuses == [303, 303, 429]
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 2


def test_a_post_that_makes_the_item_does_not_build_the_lists_and_a_refused_one_does(
    client: FlaskClient, db_session: Session, enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #11: the commune, village and topic lists were half of a submission's time, for a POST
    that only redirects. They are built for a page that shows them, and only then."""
    import feedback.public.views as views
    from tests.statements import recorded_statements

    make_directory()
    csrf, key = form_fields(client)
    built: list[str] = []
    for name in ("communes", "villages", "topic_options"):
        real = getattr(views, name)
        monkeypatch.setattr(views, name, lambda *a, _real=real, _name=name: built.append(_name) or _real(*a))

    with recorded_statements() as statements:
        response = post_form(client, valid_data(), csrf=csrf, key=key)
    assert response.status_code == 303 and built == []
    assert [s for s in statements if "FROM topic" in s and "topic.code =" not in s] == []
    assert len(statements) <= 9, statements
    assert [s for s in statements if s.startswith("SELECT event.seq")] == []  # a new item has no chain yet

    refused = post_form(client, valid_data(title=""))
    assert refused.status_code == 422 and sorted(set(built)) == ["communes", "topic_options", "villages"]
    options = parse(html_of(refused)).find_all("option", value="06652")
    assert options, "a refused form still offers the communes"


def test_a_nul_in_a_posted_code_is_a_field_error_not_a_server_error(client: FlaskClient, db_session: Session) -> None:
    """PostgreSQL refuses a NUL even in a comparison: the form's own lookups (the village list
    of the commune) must not send it, or the resident gets a 500 instead of the field's message."""
    make_directory()
    for field in ("commune", "village", "topic"):
        response = post_form(client, valid_data(**{field: "06652\x00"}))
        assert response.status_code == 422, field
        assert field_error(html_of(response), field), field
    assert stored() == 0
