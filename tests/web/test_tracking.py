"""Tracking: /t/<code> and /t/<code>.json show the public facts and never personal data (for a
complaint or denunciation only status and unit); the secret link shows the resident's own details;
mistyped codes get a helpful 404; look-ups are rate-limited per address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.assignments import EndReason
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import CHECK_ALPHABET, make_code
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Feedback, Role
from feedback.services.routing.route import route_item
from feedback.services.intake.submission import Receipt, Submission, Upload, submit_feedback
from tests.factories import Directory, make_directory, make_user
from tests.services.routing_rows import add_rule
from tests.times import TUESDAY_MORNING
from tests.web.auth_helpers import log_in
from tests.web.form_helpers import PNG
from tests.web.html_text import elements, main_text, texts

NAME, PHONE, EMAIL = "Phạm Thị Riêng Tư", "0987654321", "rieng.tu@example.vn"
TITLE, BODY = "Tiêu đề có tên hàng xóm", "Nội dung có địa chỉ nhà số 7"
JSON_KEYS = {"code", "kind", "status", "topic", "locality", "unit", "routing", "deadlines", "events", "answer",
             "answered_at", "answered_by_unit", "restricted"}
# The internal explanation written by routing: for staff, never on the resident's pages.
INTERNAL_EXPLANATION = "Quy tắc #3: Phường Hà Tu × Mọi lĩnh vực → UBND Phường Hà Tu"


@pytest.fixture(autouse=True)
def no_broker(enqueued: object) -> None:
    """Submissions here send nothing to a worker (``enqueued`` records instead)."""


def send(directory: Directory, kind: Kind = Kind.REPORT) -> Receipt:
    return submit_feedback(Submission(
        kind=kind, locality_code="06652", village_code="06652-001", topic_code="dat-dai",
        title=TITLE, body=BODY, name=NAME, phone=PHONE, email=EMAIL, consent_share_contact=True,
        attachments=(Upload("so-do-thua-dat.png", PNG),),
    ), now=TUESDAY_MORNING)


def send_complaint(directory: Directory) -> Receipt:
    return send(directory, Kind.COMPLAINT)


def route(receipt: Receipt, directory: Directory, *, due: datetime, breached: bool = False) -> None:
    """What the worker does, inserted directly: an assignment, the explanation, two deadlines."""
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None
    item.status = Status.ASSIGNED
    item.current_unit_id = directory.ubnd_ha_tu.id
    item.routing_explanation = INTERNAL_EXPLANATION
    db.session.add(Assignment(feedback_id=item.id, unit_id=directory.ubnd_ha_tu.id, assigned_at=TUESDAY_MORNING,
                              explanation=INTERNAL_EXPLANATION))
    db.session.add(Deadline(feedback_id=item.id, unit_id=directory.ubnd_ha_tu.id, clock="acceptance", sequence=1,
                            legal_basis="Luật Khiếu nại 2011, Điều 27", day_type="working", period_days=7,
                            starts_at=TUESDAY_MORNING, due_at=due, breached_at=due if breached else None))
    db.session.add(Deadline(feedback_id=item.id, unit_id=directory.ubnd_ha_tu.id, clock="resolution", sequence=1,
                            legal_basis="Luật Khiếu nại 2011, Điều 28", day_type="calendar", period_days=30,
                            starts_at=TUESDAY_MORNING, due_at=datetime(2099, 1, 1, 10, 0, tzinfo=UTC)))
    db.session.flush()


def assert_no_personal_data(text: str) -> None:
    for secret in (NAME, PHONE, EMAIL, TITLE, BODY, "so-do-thua-dat.png"):
        assert secret not in text, secret


def test_the_public_page_before_routing_shows_the_facts_and_no_personal_data(
    client: FlaskClient, db_session: Session
) -> None:
    receipt = send(make_directory())
    response = client.get(f"/t/{receipt.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for fact in ("Phản ánh", "Đất đai và giải phóng mặt bằng", "Tổ dân phố 1, Phường Hà Tu",
                 "Đã tiếp nhận, đang chuyển đến đơn vị xử lý", "Chưa xác định", "Đã tiếp nhận ý kiến",
                 "03/03/2026 09:00"):
        assert fact in html, fact
    assert_no_personal_data(html)


def test_the_json_before_routing_has_exactly_the_contract_keys(client: FlaskClient, db_session: Session) -> None:
    receipt = send(make_directory())
    response = client.get(f"/t/{receipt.code}.json")
    data = response.get_json()
    assert set(data) == JSON_KEYS
    assert data["code"] == receipt.code and data["kind"] == "report" and data["status"] == "received"
    assert data["restricted"] is False
    assert data["topic"] == {"code": "dat-dai", "name": "Đất đai và giải phóng mặt bằng", "name_en": None}
    assert data["locality"] == {"code": "06652-001", "name": "Tổ dân phố 1",
                                "commune": {"code": "06652", "name": "Phường Hà Tu"}}
    assert data["unit"] is None and data["routing"] is None and data["deadlines"] == []
    assert data["events"] == [{"action": "received", "at": "2026-03-03T09:00:00+07:00"}]
    assert_no_personal_data(response.get_data(as_text=True))


def test_after_routing_the_unit_explanation_and_deadlines_are_shown(client: FlaskClient, db_session: Session) -> None:
    directory = make_directory()
    receipt = send(directory)
    route(receipt, directory, due=datetime(2026, 3, 12, 16, 59, 59, tzinfo=UTC), breached=True)

    data = client.get(f"/t/{receipt.code}.json").get_json()
    assert data["unit"] == {"code": "UBND-06652", "name": "UBND Phường Hà Tu"}
    assert data["routing"] == ("UBND Phường Hà Tu là chính quyền xã, phường nơi bạn gửi ý kiến: đơn vị này "
                               "giải quyết ý kiến hoặc chuyển đến nơi có thẩm quyền.")
    assert data["deadlines"] == [
        {"name": "acceptance", "due_at": "2026-03-12T23:59:59+07:00", "legal_basis": "Luật Khiếu nại 2011, Điều 27"},
        {"name": "resolution", "due_at": "2099-01-01T17:00:00+07:00", "legal_basis": "Luật Khiếu nại 2011, Điều 28"},
    ]
    assert all(set(d) == {"name", "due_at", "legal_basis"} for d in data["deadlines"])

    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    assert "UBND Phường Hà Tu" in html and "Vì sao đơn vị này xử lý" in html
    assert texts(html, "p", class_="routing-reason") == [data["routing"]]
    assert "Quy tắc" not in html and INTERNAL_EXPLANATION not in html
    assert "Hạn tiếp nhận, trả lời ban đầu" in html and "12/03/2026 23:59" in html
    assert "Luật Khiếu nại 2011, Điều 28" in html
    assert html.count("Quá hạn") == 1  # the past acceptance clock only
    assert_no_personal_data(html)


def test_an_open_clock_past_due_is_overdue_without_a_recorded_breach(client: FlaskClient, db_session: Session) -> None:
    directory = make_directory()
    receipt = send(directory)
    route(receipt, directory, due=datetime.now(UTC) - timedelta(hours=1))
    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    assert 'class="deadline deadline-overdue"' in html


def test_the_secret_link_shows_the_residents_own_details(client: FlaskClient, db_session: Session) -> None:
    receipt = send_complaint(make_directory())
    response = client.get(f"/t/{receipt.code}/{receipt.token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for detail in (NAME, PHONE, EMAIL, TITLE, BODY, "so-do-thua-dat.png", "Có, bạn đã đồng ý"):
        assert detail in html, detail
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_token_is_a_404_without_details(client: FlaskClient, db_session: Session) -> None:
    receipt = send_complaint(make_directory())
    assert receipt.token
    wrong = receipt.token[:-1] + ("A" if receipt.token[-1] != "A" else "B")
    response = client.get(f"/t/{receipt.code}/{wrong}")
    assert response.status_code == 404
    assert_no_personal_data(response.get_data(as_text=True))


def test_codes_are_accepted_in_any_case_and_redirected_to_the_canonical_form(
    client: FlaskClient, db_session: Session
) -> None:
    receipt = send_complaint(make_directory())
    response = client.get(f"/t/{receipt.code.lower()}")
    assert response.status_code == 301 and response.headers["Location"] == f"/t/{receipt.code}"
    response = client.get(f"/t/{receipt.code.lower().replace('-', '')}.json")
    assert response.status_code == 301 and response.headers["Location"] == f"/t/{receipt.code}.json"
    response = client.get("/t", query_string={"code": f"  {receipt.code.lower()} "})
    assert response.status_code == 302 and response.headers["Location"] == f"/t/{receipt.code}"


def mistyped(code: str) -> str:
    """``code`` with a different check character."""
    other = CHECK_ALPHABET[(CHECK_ALPHABET.index(code[-1]) + 1) % len(CHECK_ALPHABET)]
    return code[:-1] + other


def test_a_wrong_check_character_gets_a_404_that_says_so(client: FlaskClient, db_session: Session) -> None:
    receipt = send_complaint(make_directory())
    response = client.get(f"/t/{mistyped(receipt.code)}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "ký tự kiểm tra" in html and 'name="code"' in html
    data = client.get(f"/t/{mistyped(receipt.code)}.json")
    assert data.status_code == 404 and data.get_json()["error"]["reason"] == "bad_check"
    lookup = client.get("/t", query_string={"code": mistyped(receipt.code)})
    assert lookup.status_code == 404 and "ký tự kiểm tra" in lookup.get_data(as_text=True)


def test_a_malformed_or_unknown_code_gets_a_friendly_404(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    malformed = client.get("/t/khong-phai-ma")
    assert malformed.status_code == 404 and "không phải là mã tra cứu" in malformed.get_data(as_text=True)
    assert "ký tự kiểm tra (ký tự cuối)" not in malformed.get_data(as_text=True)
    unknown = make_code("QN", 2026, 999_999)
    response = client.get(f"/t/{unknown}")
    assert response.status_code == 404 and "Không có ý kiến nào mang mã" in response.get_data(as_text=True)
    assert client.get(f"/t/{unknown}.json").get_json()["error"]["reason"] == "unknown"


def test_the_receipt_page_needs_the_session_that_sent_the_item(client: FlaskClient, db_session: Session) -> None:
    """Without the token in its session a visitor of /submitted/<code> only gets the public page."""
    receipt = send_complaint(make_directory())
    response = client.get(f"/submitted/{receipt.code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/t/{receipt.code}"


def test_the_token_never_appears_on_the_public_page(client: FlaskClient, db_session: Session) -> None:
    receipt = send_complaint(make_directory())
    assert receipt.token
    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    assert receipt.token not in html
    assert not re.search(rf"/t/{receipt.code}/", html)


def test_secret_tokens_are_kept_out_of_access_logs(app: object) -> None:
    """The development server's request line, as logged, loses the token but keeps the code."""
    import logging

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 0, '%s - - "%s" %s %s',
                               ("127.0.0.1", "GET /t/QN-26-000001-7/s3cr3t_T0ken-x HTTP/1.1", "200", "-"), None)
    assert all(f.filter(record) for f in logging.getLogger("werkzeug").filters)  # type: ignore[union-attr]
    line = record.getMessage()
    assert "s3cr3t_T0ken-x" not in line and "GET /t/QN-26-000001-7/[…] HTTP/1.1" in line


# --- Complaints and denunciations: the public page shows status and unit only (issue #6, item 4)

@pytest.mark.parametrize("kind", [Kind.COMPLAINT, Kind.DENUNCIATION])
def test_a_complaint_or_denunciation_shows_the_public_only_status_and_unit(
    client: FlaskClient, db_session: Session, kind: Kind
) -> None:
    directory = make_directory()
    receipt = send(directory, kind)
    route(receipt, directory, due=datetime(2026, 3, 12, 16, 59, 59, tzinfo=UTC))

    response = client.get(f"/t/{receipt.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    facts = dict(zip(texts(html, "dt"), texts(html, "dd"), strict=True))
    assert facts == {"Trạng thái": "Đã chuyển đến đơn vị xử lý", "Đơn vị xử lý": "UBND Phường Hà Tu"}
    page = main_text(html)
    for hidden in ("Khiếu nại", "Tố cáo", "Đất đai", "Tổ dân phố 1", "03/03/2026", "12/03/2026", "Thời hạn",
                   "Diễn biến", "Vì sao đơn vị này xử lý", "Luật"):
        assert hidden not in page, hidden
    assert "chỉ cho biết trạng thái và đơn vị xử lý" in page
    assert_no_personal_data(html)

    data = client.get(f"/t/{receipt.code}.json").get_json()
    assert data == {"code": receipt.code, "kind": None, "status": "assigned", "topic": None, "locality": None,
                    "unit": {"code": "UBND-06652", "name": "UBND Phường Hà Tu"}, "routing": None,
                    "deadlines": [], "events": [], "answer": None, "answered_at": None, "answered_by_unit": None,
                    "restricted": True}

    # The secret link still shows the resident everything.
    private = client.get(f"/t/{receipt.code}/{receipt.token}").get_data(as_text=True)
    private_facts = dict(zip(texts(private, "dt"), texts(private, "dd"), strict=False))
    assert private_facts["Loại ý kiến"] == ("Khiếu nại" if kind is Kind.COMPLAINT else "Tố cáo")
    assert private_facts["Địa bàn"] == "Tổ dân phố 1, Phường Hà Tu"
    assert "12/03/2026 23:59" in main_text(private) and NAME in private


def test_a_report_keeps_its_full_public_page(client: FlaskClient, db_session: Session) -> None:
    """The same item sent as a phản ánh: kind, topic, place and times are public."""
    directory = make_directory()
    receipt = send(directory, Kind.REPORT)
    route(receipt, directory, due=datetime(2026, 3, 12, 16, 59, 59, tzinfo=UTC))
    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    facts = dict(zip(texts(html, "dt"), texts(html, "dd"), strict=True))
    assert facts["Loại ý kiến"] == "Phản ánh" and facts["Lĩnh vực"] == "Đất đai và giải phóng mặt bằng"
    assert facts["Địa bàn"] == "Tổ dân phố 1, Phường Hà Tu" and facts["Ngày tiếp nhận"] == "03/03/2026 09:00"
    data = client.get(f"/t/{receipt.code}.json").get_json()
    assert data["restricted"] is False and data["kind"] == "report" and data["deadlines"]


# --- Rate limit per address (issue #6, item 4)

def test_tracking_look_ups_are_rate_limited_per_address(
    app: Flask, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One budget for the public page, its JSON and the secret link; a clear Vietnamese 429."""
    monkeypatch.setitem(app.config, "TRACK_RATE_LIMIT", "3 per minute")
    receipt = send(make_directory())
    assert client.get(f"/t/{receipt.code}").status_code == 200
    assert client.get(f"/t/{receipt.code}.json").status_code == 200
    assert client.get(f"/t/{mistyped(receipt.code)}").status_code == 404  # guesses count too

    refused = client.get(f"/t/{receipt.code}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60  # when the minute's budget comes back
    assert texts(html, "h1") == ["Tạm dừng tra cứu"]
    assert "chờ một phút rồi thử lại" in main_text(html)
    assert client.get(f"/t/{receipt.code}/{receipt.token}").status_code == 429
    refused_json = client.get(f"/t/{receipt.code}.json")
    assert refused_json.status_code == 429 and refused_json.get_json()["error"]["title"] == "Tạm dừng tra cứu"
    assert int(refused_json.headers["Retry-After"]) >= 1

    other_address = client.get(f"/t/{receipt.code}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other_address.status_code == 200
    assert client.get("/").status_code == 200  # the rest of the site is not affected


def test_the_default_tracking_limit_is_generous(app: Flask) -> None:
    assert app.config["TRACK_RATE_LIMIT"] == "60 per minute"


# --- Look-up box (issue #6, item 14)

def test_a_trailing_slash_redirects_to_the_tracking_page(client: FlaskClient, db_session: Session) -> None:
    receipt = send(make_directory())
    response = client.get(f"/t/{receipt.code}/")
    assert response.status_code == 301 and response.headers["Location"] == f"/t/{receipt.code}"
    response = client.get(f"/t/{receipt.code.lower()}/")
    assert response.status_code == 301 and response.headers["Location"] == f"/t/{receipt.code}"
    assert client.get(f"/t/{receipt.code}/", follow_redirects=True).status_code == 200


def test_the_not_found_pages_keep_what_was_typed_in_the_box(client: FlaskClient, db_session: Session) -> None:
    receipt = send(make_directory())
    for typed, status in ((mistyped(receipt.code), 404), ("khong-phai-ma", 404),
                          (make_code("QN", 2026, 999_999), 404)):
        html = client.get("/t", query_string={"code": typed}, follow_redirects=True).get_data(as_text=True)
        boxes = elements(html, "input", id="lookup-code")
        assert len(boxes) == 1 and boxes[0][0].get("value") == typed, typed
        assert client.get(f"/t/{typed}").status_code == status


def test_a_code_without_dashes_and_with_an_extra_zero_is_found(client: FlaskClient, db_session: Session) -> None:
    """``QN2600000017`` (issue #6): upper-cased, the dashes put back, the extra zero dropped."""
    receipt = send(make_directory())
    prefix, year, sequence, check = receipt.code.split("-")
    for typed in (f"{prefix}{year}0{sequence}{check}".lower(), f"{prefix} {year} {sequence} {check}",
                  f"{prefix}{year}{sequence}{check}"):
        response = client.get("/t", query_string={"code": typed})
        assert response.status_code == 302 and response.headers["Location"] == f"/t/{receipt.code}", typed


# --- "Why this unit" in plain words for residents, the rule number for staff (issue #6, item 5)

def test_a_rule_gives_residents_a_plain_sentence_and_staff_the_rule_number(
    client: FlaskClient, db_session: Session
) -> None:
    directory = make_directory()
    receipt = send(directory)
    rule = add_rule(directory.environment_dept, topic=directory.land)
    assert route_item(receipt.feedback_id, now=TUESDAY_MORNING + timedelta(minutes=1)).unit_id == directory.environment_dept.id

    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    assert texts(html, "p", class_="routing-reason") == [
        "Theo phân công của chính quyền địa phương, Sở Nông nghiệp và Môi trường là đơn vị giải quyết các ý kiến "
        "thuộc lĩnh vực này tại nơi bạn gửi."]
    assert "Quy tắc" not in main_text(html) and f"#{rule.id}" not in main_text(html)
    english = client.get(f"/t/{receipt.code}?lang=en").get_data(as_text=True)
    assert texts(english, "p", class_="routing-reason") == [
        "Under the local authorities' assignment of responsibilities, Sở Nông nghiệp và Môi trường handles "
        "feedback on this topic in your area."]
    assert client.get(f"/t/{receipt.code}.json?lang=vi").get_json()["routing"].startswith("Theo phân công")

    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    staff = client.get(f"/admin/items/{receipt.code}?lang=vi").get_data(as_text=True)
    assert any(f"Quy tắc #{rule.id}" in text for text in texts(staff, "p", class_="routing"))


def test_a_transferred_item_says_it_was_handed_on(client: FlaskClient, db_session: Session) -> None:
    directory = make_directory()
    receipt = send(directory)
    route(receipt, directory, due=datetime(2026, 3, 12, 16, 59, 59, tzinfo=UTC))
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None
    first = item.assignments[0]
    first.ended_at, first.end_reason = TUESDAY_MORNING + timedelta(days=1), EndReason.NOT_COMPETENT
    first.end_reason_text = "đất rừng"
    item.current_unit = directory.environment_dept
    item.assignments.append(Assignment(unit=directory.environment_dept, assigned_at=TUESDAY_MORNING + timedelta(days=1),
                                       explanation="UBND Phường Hà Tu chuyển vì không thuộc thẩm quyền → Sở"))
    db.session.flush()
    html = client.get(f"/t/{receipt.code}").get_data(as_text=True)
    assert texts(html, "p", class_="routing-reason") == [
        "Đơn vị nhận trước đã chuyển ý kiến đến Sở Nông nghiệp và Môi trường vì việc này không thuộc thẩm quyền "
        "của mình."]
    assert "đất rừng" not in html
