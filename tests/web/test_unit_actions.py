"""The "Thao tác" section of /unit/items/<code>, driven through the pages as an officer and as a
unit head: each handling action end to end (POST, redirect, flash, what the page shows next),
forms shown only when the service would run them, refusals as 403/404/400 or the page again with
a clear message and the typed text kept, and a double click on "publish" made harmless."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.status import Kind, Status
from feedback.extensions import db, limiter
from feedback.models import Answer, Attachment, Deadline, Event, ExtensionRequest, Feedback, InfoRequest, Note
from feedback.services.routing import transfer
from tests.conftest import FreshGlobalsClient
from tests.factories import make_feedback
from feedback.domain.calendar import local_date
from tests.services.handling_rows import desk, open_clock
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token, log_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALL_FORMS = ("accept", "acceptance_notice", "decision_notice", "assign", "save_draft", "submit", "publish", "return_answer", "request_information",
             "request_extension", "grant_extension", "refuse_extension", "reject", "keep_as_report", "note")


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)
    limiter.reset()  # login throttling counts per IP for the whole session app


def logged_in(app: Flask, username: str) -> FlaskClient:
    """A browser of its own, logged in as ``username``."""
    browser = FreshGlobalsClient(app, app.response_class, use_cookies=True)
    assert log_in(browser, username).status_code == 302
    return browser


def url(item: Feedback) -> str:
    return f"/unit/items/{item.code}"


def page(browser: FlaskClient, item: Feedback) -> Element:
    response = browser.get(url(item))
    assert response.status_code == 200, response.status_code
    return parse(response.get_data(as_text=True))


def forms_shown(shown: Element) -> set[str]:
    """The actions whose form the section offers (by the form's class ``action-<name>``)."""
    section = shown.find("section", id="thao-tac")
    return {name for name in ALL_FORMS if section.find_all("form", class_=f"action-{name}")}


def post(browser: FlaskClient, item: Feedback, action: str, fields: dict[str, object] | None = None,
         *, follow: bool = False, token: bool = True) -> tuple[int, Element]:
    """POST the action's form as the browser would: its hidden inputs (CSRF token, draft version)
    as the page renders them, then ``fields`` (unprefixed names). For an action the page does not
    offer, a hand-made POST with the session's token (from the header's logout form)."""
    html = browser.get(url(item)).get_data(as_text=True)
    offered = parse(html).find_all("form", class_=f"action-{action}")
    data: dict[str, object] = (
        {i.attrs["name"]: i.attrs.get("value", "") for i in offered[0].find_all("input", type="hidden")}
        if offered else {"csrf_token": csrf_token(html)})
    if not token:
        data = {name: value for name, value in data.items() if not name.endswith("csrf_token")}
    data.update({f"{action}-{name}": value for name, value in (fields or {}).items()})
    response = browser.post(f"{url(item)}/{action}", data=data, follow_redirects=follow,
                            content_type="multipart/form-data")
    return response.status_code, parse(response.get_data(as_text=True))


def flashes(shown: Element) -> list[str]:
    return [p.text for p in shown.find_all("p", class_="flash")]


def error(shown: Element) -> str:
    return shown.find("section", id="thao-tac").find("p", class_="form-error").text


def reload(item: Feedback) -> Feedback:
    db.session.expire_all()
    found = db.session.get(Feedback, item.id)
    assert found is not None
    return found


def count_events(item: Feedback, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id == item.id, Event.action == action)) or 0


# --- the whole answer loop: accept, draft with a file, submit, publish, publish again --------------


def test_officer_accepts_drafts_and_submits_head_publishes_once(app: Flask) -> None:
    """Proves: every step through the pages; the officer never sees publish/return and is refused
    (403) when posting publish; the head publishes; a second publish (double click) says it was
    already published and writes nothing."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    offered = forms_shown(page(officer, d.item))
    assert "accept" in offered and not offered & {"assign", "publish", "save_draft", "grant_extension"}

    status, shown = post(officer, d.item, "accept", follow=True)
    assert status == 200 and "Đã thụ lý ý kiến." in flashes(shown)
    assert reload(d.item).status is Status.IN_PROGRESS
    assert "accept" not in forms_shown(shown) and "save_draft" in forms_shown(shown)

    status, shown = post(officer, d.item, "save_draft", {
        "text": "Đơn vị đã thu gom rác tại khu 3.", "attachments": (io.BytesIO(PNG), "anh-hien-truong.png")},
        follow=True)
    assert status == 200 and "Đã lưu dự thảo câu trả lời." in flashes(shown)
    textarea = shown.find("form", class_="action-save_draft").find("textarea")
    assert textarea.text == "Đơn vị đã thu gom rác tại khu 3."
    (attachment,) = db.session.scalars(sa.select(Attachment).where(Attachment.feedback_id == d.item.id))
    assert attachment.answer_id is not None and attachment.original_name == "anh-hien-truong.png"

    status, shown = post(officer, d.item, "submit", follow=True)
    assert "Đã trình dự thảo cho lãnh đạo đơn vị." in flashes(shown)
    assert not forms_shown(shown) & {"publish", "return_answer", "save_draft", "submit"}
    status, _ = post(officer, d.item, "publish")
    assert status == 403
    assert reload(d.item).status is Status.IN_PROGRESS

    assert {"publish", "return_answer", "assign"} <= forms_shown(page(head, d.item))
    status, shown = post(head, d.item, "publish", follow=True)
    assert "Đã công bố câu trả lời; người gửi được thông báo." in flashes(shown)
    assert reload(d.item).status is Status.ANSWERED
    assert not forms_shown(shown) & {"publish", "save_draft", "accept"}

    status, shown = post(head, d.item, "publish", follow=True)
    assert status == 200 and "Câu trả lời đã được công bố trước đó." in flashes(shown)
    assert count_events(d.item, "answer_published") == 1


def test_head_returns_the_draft_with_a_comment_and_may_publish_their_own(app: Flask) -> None:
    """Proves: "return" needs a comment (the page says so, nothing written), the officer sees the
    comment and can edit again; a head publishes their own unsubmitted draft."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    post(officer, d.item, "accept")
    post(officer, d.item, "save_draft", {"text": "Bản thứ nhất."})
    post(officer, d.item, "submit")

    status, shown = post(head, d.item, "return_answer", {"text": "   "})
    assert status == 422 and error(shown) == "Hãy nhập ý kiến của lãnh đạo."
    status, shown = post(head, d.item, "return_answer", {"text": "Bổ sung thời gian thu gom."}, follow=True)
    assert "Đã trả lại dự thảo cho cán bộ kèm ý kiến." in flashes(shown)

    shown = page(officer, d.item)
    assert shown.find("p", class_="return-comment").text == "Ý kiến của lãnh đạo: Bổ sung thời gian thu gom."
    assert {"save_draft", "submit"} <= forms_shown(shown)

    post(head, d.item, "save_draft", {"text": "Bản của lãnh đạo."})  # the page's version: the returned draft
    assert "publish" in forms_shown(page(head, d.item))
    status, shown = post(head, d.item, "publish", follow=True)
    assert reload(d.item).status is Status.ANSWERED
    answer = db.session.scalar(sa.select(Answer).where(Answer.feedback_id == d.item.id))
    assert answer is not None and answer.text == "Bản của lãnh đạo." and answer.approver_id == d.head.id


# --- bad input: empty, too long, two officers at once ---------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("", "Hãy nhập câu trả lời."),
    ("x" * 50_000, "Câu trả lời dài quá 20.000 ký tự."),
])
def test_an_empty_or_huge_answer_is_refused_with_the_text_kept(app: Flask, text: str, message: str) -> None:
    """Proves: the page again (422) with a clear message and what was typed; no answer written."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    post(officer, d.item, "accept")
    status, shown = post(officer, d.item, "save_draft", {"text": text})
    assert status == 422 and error(shown) == message
    assert shown.find("form", class_="action-save_draft").find("textarea").text == text.strip()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_two_officers_saving_at_once_one_wins_and_the_other_keeps_their_text(app: Flask) -> None:
    """Proves: both start from an empty draft; the second save is a conflict (409), shown with
    the loser's text on the page; the stored answer is the winner's."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    post(officer, d.item, "accept")
    assert post(officer, d.item, "save_draft", {"text": "Bản của cán bộ."})[0] == 303
    # The head opened the empty form before the officer saved: their form holds no version.
    status, shown = post(head, d.item, "save_draft", {"text": "Bản của lãnh đạo.", "version": ""})
    assert status == 409
    assert shown.find("pre", class_="lost-text").text == "Bản của lãnh đạo."
    assert "Một cán bộ khác vừa lưu câu trả lời này." in error(shown)
    (answer,) = db.session.scalars(sa.select(Answer).where(Answer.feedback_id == d.item.id))
    assert answer.text == "Bản của cán bộ."


# --- assign, reject, keep as report, ask the resident, notes, extensions --------------------------


def test_head_assigns_an_officer_and_the_inbox_filters_by_officer(app: Flask) -> None:
    """Proves: only the head has the assign form (a select of the unit's officers); after assigning,
    "Việc của tôi" and the officer filter show the item to that officer, and not to the head."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    assert "assign" not in forms_shown(page(officer, d.item))
    select = page(head, d.item).find("form", class_="action-assign").find("select")
    assert {o.text for o in select.find_all("option")} == {d.officer.username, d.head.username}

    status, shown = post(head, d.item, "assign", {"officer": str(d.officer.id)}, follow=True)
    assert "Đã giao ý kiến cho cán bộ." in flashes(shown)
    assert reload(d.item).assigned_officer_id == d.officer.id

    def codes(browser: FlaskClient, query: str) -> list[str]:
        shown = parse(browser.get("/unit/" + query).get_data(as_text=True))
        return [li.find("p", class_="inbox-code").find("a").text for li in shown.find_all("li", class_="inbox-item")]

    assert codes(officer, "?mine=1") == [d.item.code]
    assert codes(head, "?mine=1") == []
    assert codes(head, f"?officer={d.officer.id}") == [d.item.code]
    options = parse(head.get("/unit/").get_data(as_text=True)).find("select", name="officer").find_all("option")
    assert [o.text for o in options] == ["Tất cả", f"{d.officer.username} (1)"]


def test_assigning_someone_outside_the_unit_is_a_clear_message(app: Flask) -> None:
    d = desk()
    head = logged_in(app, d.head.username)
    status, shown = post(head, d.item, "assign", {"officer": str(d.stranger.id)})
    assert status == 422 and error(shown) == "Chỉ được giao cho cán bộ của đơn vị đang xử lý ý kiến."
    assert reload(d.item).assigned_officer_id is None


def test_reject_as_duplicate_needs_the_other_code(app: Flask) -> None:
    """Proves: a duplicate without a known code is refused with the explanation kept; with the
    other item's code the item is rejected and linked, and the forms disappear."""
    d = desk()
    other = make_feedback(d.directory, title="Cùng một việc")
    db.session.commit()
    officer = logged_in(app, d.officer.username)
    status, shown = post(officer, d.item, "reject", {"reason": "duplicate", "explanation": "Đã gửi hai lần.",
                                                     "duplicate_of": ""})
    assert status == 422 and error(shown) == "Hãy nhập đúng mã của ý kiến bị trùng."
    assert shown.find("form", class_="action-reject").find("textarea").text == "Đã gửi hai lần."
    assert reload(d.item).status is Status.ASSIGNED

    status, shown = post(officer, d.item, "reject", {"reason": "duplicate", "explanation": "Đã gửi hai lần.",
                                                     "duplicate_of": other.code}, follow=True)
    assert "Đã từ chối ý kiến; người gửi được thông báo lý do." in flashes(shown)
    item = reload(d.item)
    assert item.status is Status.REJECTED and item.duplicate_of_id == other.id
    assert forms_shown(shown) == {"note"}


def test_an_anonymous_denunciation_is_offered_to_be_kept_as_a_report(app: Flask) -> None:
    d = desk(Kind.DENUNCIATION)
    d.item.submitter_name = None
    db.session.commit()
    officer = logged_in(app, d.officer.username)
    assert "keep_as_report" in forms_shown(page(officer, d.item))
    status, shown = post(officer, d.item, "keep_as_report", {"text": "Tố cáo nặc danh, xử lý như phản ánh."},
                         follow=True)
    assert "Đã chuyển ý kiến thành phản ánh." in flashes(shown)
    assert reload(d.item).kind is Kind.REPORT
    assert "keep_as_report" not in forms_shown(shown)


def test_a_named_denunciation_is_not_offered_to_be_kept_as_a_report(app: Flask) -> None:
    d = desk(Kind.DENUNCIATION)
    assert "keep_as_report" not in forms_shown(page(logged_in(app, d.officer.username), d.item))


def test_the_notice_of_acceptance_of_a_denunciation_is_recorded_once(app: Flask) -> None:
    """Proves: once a tố cáo is accepted, the page offers to record the written notice of
    acceptance to the denouncer (Luật Tố cáo 2018 Art. 29(3), 5 working days); recording it meets
    the ACCEPTANCE_NOTICE clock and the form goes; a second POST (double click) changes nothing.
    A report has no such clock and no such form."""
    d = desk(Kind.DENUNCIATION)
    officer = logged_in(app, d.officer.username)
    assert "acceptance_notice" not in forms_shown(page(officer, d.item))  # not accepted yet
    post(officer, d.item, "accept")
    assert "acceptance_notice" in forms_shown(page(officer, d.item))

    status, shown = post(officer, d.item, "acceptance_notice", follow=True)

    assert "Đã ghi nhận việc gửi thông báo thụ lý cho người tố cáo." in flashes(shown)
    assert "acceptance_notice" not in forms_shown(shown)
    notice = db.session.scalars(sa.select(Deadline).where(
        Deadline.feedback_id == d.item.id, Deadline.clock == "acceptance_notice")).one()
    assert notice.met_at is not None and notice.closed_at == notice.met_at
    _status, again = post(officer, d.item, "acceptance_notice", follow=True)
    assert "Việc gửi thông báo thụ lý đã được ghi nhận trước đó." in flashes(again)
    assert count_events(d.item, "deadline_met") == 2  # the acceptance clock, then the notice: once


def test_a_report_has_no_notice_of_acceptance_to_record(app: Flask) -> None:
    d = desk()
    officer = logged_in(app, d.officer.username)
    post(officer, d.item, "accept")
    assert "acceptance_notice" not in forms_shown(page(officer, d.item))


def test_the_sending_of_a_complaint_decision_is_recorded_once(app: Flask) -> None:
    """Proves: once the head publishes the decision on a khiếu nại, the page (item now answered)
    offers to record that the decision was sent to the complainant (Luật Khiếu nại 2011 Art. 32,
    3 working days); the clock and its legal basis are on the page; recording it meets the
    DECISION_NOTICE clock and the form goes; a second POST (double click) changes nothing. Another
    unit's officer posting it by URL gets 404 and nothing is met."""
    d = desk(Kind.COMPLAINT)
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    post(officer, d.item, "accept")
    post(head, d.item, "save_draft", {"text": "Quyết định giải quyết khiếu nại lần đầu."})
    assert "decision_notice" not in forms_shown(page(officer, d.item))  # not published yet
    post(head, d.item, "publish")
    db.session.refresh(d.item)
    assert d.item.status is Status.ANSWERED
    shown = page(officer, d.item)
    assert "decision_notice" in forms_shown(shown)
    assert "Luật Khiếu nại 2011, Điều 32" in shown.text and "Hạn gửi quyết định giải quyết khiếu nại" in shown.text
    stranger = logged_in(app, d.stranger.username)
    token = csrf_token(stranger.get("/unit/").get_data(as_text=True))  # the header's logout form
    assert stranger.post(f"{url(d.item)}/decision_notice", data={"csrf_token": token}).status_code == 404

    status, after = post(officer, d.item, "decision_notice", follow=True)

    assert "Đã ghi nhận việc gửi quyết định giải quyết khiếu nại cho người khiếu nại." in flashes(after)
    assert "decision_notice" not in forms_shown(after)
    notice = db.session.scalars(sa.select(Deadline).where(
        Deadline.feedback_id == d.item.id, Deadline.clock == "decision_notice")).one()
    db.session.refresh(notice)
    assert notice.met_at is not None and notice.closed_at == notice.met_at
    met = count_events(d.item, "deadline_met")
    _status, again = post(officer, d.item, "decision_notice", follow=True)
    assert "Việc gửi quyết định giải quyết khiếu nại đã được ghi nhận trước đó." in flashes(again)
    assert count_events(d.item, "deadline_met") == met


def test_asking_the_resident_pauses_and_hides_what_must_wait(app: Flask) -> None:
    """Proves: the question is stored and shown; accepting and a second question are no longer offered."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    status, shown = post(officer, d.item, "request_information", {"text": "Xin ảnh hiện trường."}, follow=True)
    assert "Đã đề nghị người gửi bổ sung thông tin; thời hạn tạm dừng." in flashes(shown)
    assert "Xin ảnh hiện trường." in shown.find("p", class_="waiting").text
    assert not forms_shown(shown) & {"accept", "request_information"}
    assert db.session.scalar(sa.select(InfoRequest.question).where(InfoRequest.feedback_id == d.item.id)) \
        == "Xin ảnh hiện trường."


def test_internal_notes_are_listed_for_the_unit_and_never_public(app: Flask, client: FlaskClient) -> None:
    d = desk()
    officer = logged_in(app, d.officer.username)
    status, shown = post(officer, d.item, "note", {"text": "Đã gọi tổ trưởng khu 3."}, follow=True)
    assert "Đã thêm ghi chú nội bộ." in flashes(shown)
    assert [n.text for n in shown.find_all("p", class_="note-text")] == ["Đã gọi tổ trưởng khu 3."]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 1
    public = client.get(f"/t/{d.item.code}")
    assert public.status_code == 200 and "Đã gọi tổ trưởng" not in public.get_data(as_text=True)
    status, shown = post(officer, d.item, "note", {"text": ""})
    assert status == 422 and error(shown) == "Hãy nhập ghi chú."


def test_a_nul_typed_into_a_staff_form_is_never_a_server_error(app: Flask) -> None:
    """Proves: a NUL in a note, a question to the resident or a duplicate's code is dropped or
    refused with the field's message (found by probing: PostgreSQL refused it and the officer got
    a 500)."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    status, shown = post(officer, d.item, "reject", {"reason": "duplicate", "explanation": "Trùng.",
                                                     "duplicate_of": "QN\x00"})
    assert status == 422 and error(shown) == "Hãy nhập đúng mã của ý kiến bị trùng."
    status, shown = post(officer, d.item, "note", {"text": "Đã gọi\x00 tổ trưởng."}, follow=True)
    assert [n.text for n in shown.find_all("p", class_="note-text")] == ["Đã gọi tổ trưởng."]
    status, shown = post(officer, d.item, "request_information", {"text": "Ảnh\x00 vị trí?"}, follow=True)
    assert status == 200 and "Ảnh vị trí?" in shown.find("p", class_="waiting").text
    assert db.session.scalar(sa.select(InfoRequest.question).where(InfoRequest.feedback_id == d.item.id)) \
        == "Ảnh vị trí?"


def test_extension_requested_by_the_officer_and_granted_by_the_head_within_the_law(app: Flask) -> None:
    """Proves: the officer asks (a reason is required), only the head sees grant/refuse and an
    officer posting grant is refused (403); the head grants and the page says the new date; then
    the officer is no longer offered a second request of a report, one posted anyway is refused
    with the law's message, and nothing is written."""
    d = desk()
    resolution = open_clock(d.item, "resolution")
    # A clock started yesterday and running (desk() routes in March 2026: long past due by now).
    resolution.starts_at = datetime.now(UTC) - timedelta(days=1)
    resolution.due_at = datetime.now(UTC) + timedelta(days=10)
    db.session.commit()
    before = resolution.due_at
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    status, shown = post(officer, d.item, "request_extension", {"text": "", "complexity": ""})
    assert status == 422 and error(shown) == "Hãy nhập lý do gia hạn."
    status, shown = post(officer, d.item, "request_extension", {"text": "Cần khảo sát lại.", "complexity": ""},
                         follow=True)
    assert "Đã gửi đề nghị gia hạn cho lãnh đạo đơn vị." in flashes(shown)
    assert not forms_shown(shown) & {"request_extension", "grant_extension", "refuse_extension"}
    assert {"grant_extension", "refuse_extension"} <= forms_shown(page(head, d.item))
    assert post(officer, d.item, "grant_extension")[0] == 403

    status, shown = post(head, d.item, "grant_extension", follow=True)
    db.session.expire_all()
    extended = open_clock(d.item, "resolution")
    assert extended.due_at > before
    (flashed,) = flashes(shown)
    assert flashed.startswith("Đã gia hạn đến ") and local_date(extended.due_at).strftime("%d/%m/%Y") in flashed

    assert "request_extension" not in forms_shown(page(officer, d.item))
    status, shown = post(officer, d.item, "request_extension", {"text": "Cần thêm thời gian.", "complexity": ""})
    assert status == 422 and error(shown) == "Đã gia hạn đủ số lần pháp luật cho phép."
    assert db.session.scalar(sa.select(ExtensionRequest).where(ExtensionRequest.decided_at.is_(None))) is None
    assert not forms_shown(page(head, d.item)) & {"grant_extension", "refuse_extension"}


def test_an_extension_after_the_deadline_is_refused_with_the_engines_message(app: Flask) -> None:
    d = desk()  # routed in March 2026: its resolution clock is long past due
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    post(officer, d.item, "request_extension", {"text": "Cần khảo sát lại.", "complexity": ""})
    status, shown = post(head, d.item, "grant_extension")
    assert status == 422 and error(shown) == "Thời hạn đã hết: không thể gia hạn sau khi quá hạn."
    assert db.session.scalar(sa.select(ExtensionRequest.decided_at)) is None


def test_the_head_refuses_an_extension_with_a_reason(app: Flask) -> None:
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    post(officer, d.item, "request_extension", {"text": "Cần khảo sát lại.", "complexity": ""})
    status, shown = post(head, d.item, "refuse_extension", {"text": "Đủ thời gian."}, follow=True)
    assert "Đã không chấp thuận đề nghị gia hạn." in flashes(shown)
    assert "request_extension" in forms_shown(page(officer, d.item))


# --- refusals: another unit, no CSRF token, an unknown action --------------------------------------


def test_another_units_officer_gets_404_on_post(app: Flask) -> None:
    """Proves: with a valid token of their own session, an officer of another unit posting any
    action on the item by URL gets 404 (as for an unknown code) and nothing is written."""
    d = desk()
    stranger = logged_in(app, d.stranger.username)
    token = csrf_token(stranger.get("/unit/").get_data(as_text=True))  # the header's logout form
    for action, fields in (("accept", {}), ("publish", {}), ("note", {"note-text": "x"}),
                           ("reject", {"reject-reason": "abusive", "reject-explanation": "x"})):
        response = stranger.post(f"{url(d.item)}/{action}", data={"csrf_token": token, **fields})
        assert response.status_code == 404, action
    assert reload(d.item).status is Status.ASSIGNED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


def test_a_post_without_csrf_token_is_400_and_does_nothing(app: Flask) -> None:
    d = desk()
    officer = logged_in(app, d.officer.username)
    status, _ = post(officer, d.item, "accept", token=False)
    assert status == 400
    assert reload(d.item).status is Status.ASSIGNED


def test_an_unknown_action_is_404(app: Flask) -> None:
    d = desk()
    officer = logged_in(app, d.officer.username)
    assert post(officer, d.item, "delete_everything")[0] == 404


def test_rejecting_as_out_of_remit_returns_the_item_and_leaves_nothing_to_do(app: Flask) -> None:
    """Proves: "not our remit" is the existing return: the unit no longer holds the item, the page
    (still readable: the unit held it) says so in the flash and offers no action any more."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    held_by = d.item.current_unit_id
    status, shown = post(officer, d.item, "reject", {"reason": "out_of_remit", "explanation": "Việc của phường khác."},
                         follow=True)
    assert status == 200
    assert "Đã trả lại ý kiến để chuyển đến đơn vị có thẩm quyền." in flashes(shown)
    assert reload(d.item).current_unit_id != held_by
    assert forms_shown(shown) == set()


def test_an_answer_file_that_is_not_an_image_or_pdf_is_refused_and_nothing_written(app: Flask) -> None:
    """Proves: the answer's files pass the intake's upload checks; a refused file keeps the text."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    post(officer, d.item, "accept")
    status, shown = post(officer, d.item, "save_draft", {
        "text": "Câu trả lời.", "attachments": (io.BytesIO(b"MZ not a picture"), "virus.exe")})
    assert status == 422 and error(shown).startswith("Tệp virus.exe")
    assert shown.find("form", class_="action-save_draft").find("textarea").text == "Câu trả lời."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_an_action_the_status_does_not_allow_is_a_clear_message_not_a_500(app: Flask) -> None:
    """Proves: a hand-made POST of an action the page does not offer now (submit before accepting)
    shows the page again with the status message, and nothing changes."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    assert "submit" not in forms_shown(page(officer, d.item))
    status, shown = post(officer, d.item, "submit")
    assert status == 422 and error(shown) == "Ý kiến chưa được thụ lý: hãy thụ lý trước."
    assert reload(d.item).status is Status.ASSIGNED


def test_a_front_monitor_may_not_post_unit_actions(app: Flask) -> None:
    d = desk()
    monitor = logged_in(app, d.monitor.username)
    token = csrf_token(monitor.get("/").get_data(as_text=True))
    assert monitor.post(f"{url(d.item)}/note", data={"csrf_token": token, "note-text": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


@pytest.mark.parametrize("fields", [{}, {"reason": "nonsense"}, {"reason": "abusive", "explanation": ""}])
def test_a_unit_that_held_the_item_earlier_is_refused_reject_and_assign_with_403(
        app: Flask, fields: dict[str, object]) -> None:
    """Proves: once the unit returned the item (it may still read it: it held it), a hand-made
    reject or assign from its officer or head answers 403 like any other unit's action, before the
    typed values are looked at (a missing or unknown reason, no officer chosen: not a 422 that
    tells the form apart), and nothing is written."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    assert post(officer, d.item, "reject", {"reason": "out_of_remit", "explanation": "Việc của phường khác."})[0] == 303
    before = reload(d.item)
    state = (before.status, before.current_unit_id, before.assigned_officer_id, before.updated_at)
    written = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.feedback_id == d.item.id))
    assert page(officer, d.item) is not None  # still readable by the unit that held it
    assert post(officer, d.item, "reject", fields)[0] == 403
    assert post(head, d.item, "reject", fields)[0] == 403
    assert post(head, d.item, "assign", {"officer": d.officer.id} if fields else {})[0] == 403
    assert post(head, d.item, "assign", {"officer": "x"})[0] == 403
    after = reload(d.item)
    assert (after.status, after.current_unit_id, after.assigned_officer_id, after.updated_at) == state
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id == d.item.id)) == written


def test_the_holding_unit_still_gets_the_message_for_a_missing_reason_or_officer(app: Flask) -> None:
    """Proves: with the right to act, no reason or no officer chosen is still the page again with a
    clear message (422) and nothing written: the check moved into the service, after the right."""
    d = desk()
    officer, head = logged_in(app, d.officer.username), logged_in(app, d.head.username)
    status, shown = post(officer, d.item, "reject", {"reason": "nonsense", "explanation": "Trùng."})
    assert status == 422 and error(shown) == "Hãy chọn lý do từ chối."
    status, shown = post(head, d.item, "assign", {"officer": "x"})
    assert status == 422 and error(shown) == "Hãy chọn cán bộ."
    after = reload(d.item)
    assert after.status is Status.ASSIGNED and after.assigned_officer_id is None
    assert count_events(d.item, "rejected") == 0 and count_events(d.item, "officer_assigned") == 0


def test_a_unit_that_held_the_item_earlier_posting_a_bad_file_is_refused_with_403(app: Flask) -> None:
    """Proves: the draft's files are read after the user's right, so an officer of the unit that
    returned the item gets 403 for a hand-made draft with a refused file, as without a file (not
    the file's 422, which answered before the right was checked); nothing is written."""
    d = desk()
    officer = logged_in(app, d.officer.username)
    post(officer, d.item, "accept")
    assert post(officer, d.item, "reject", {"reason": "out_of_remit", "explanation": "Việc của phường khác."})[0] == 303
    assert page(officer, d.item) is not None  # still readable by the unit that held it
    bad = {"text": "Câu trả lời.", "attachments": (io.BytesIO(b"MZ not a picture"), "virus.exe")}
    assert post(officer, d.item, "save_draft", bad)[0] == 403
    assert post(officer, d.item, "save_draft", {"text": "Câu trả lời."})[0] == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
