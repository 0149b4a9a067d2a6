"""The recommendation pages: a Front monitor issues one through the form, bad input comes back on its
fields (never a 500, nothing written), the unit finds it marked in its inbox and answers it on the
item page, the issuer reads the answer; another territory's is a 404 and the public tracking page
never shows one."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Attachment, Feedback, Recommendation, Role
from feedback.services import handling
from feedback.services.intake import check_upload
from feedback.services.recommendations import RecommendationDraft, issue_recommendation
from feedback.domain.status import Status
from tests.factories import make_directory, make_feedback, make_user
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token, log_in


def page(response) -> Element:  # type: ignore[no-untyped-def]
    return parse(response.get_data(as_text=True))


def html(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.get_data(as_text=True))


def setup():  # type: ignore[no-untyped-def]
    d = make_directory()
    front = make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu)
    officer = make_user("can-bo-ha-tu", Role.OFFICER, unit=d.ubnd_ha_tu)
    head = make_user("lanh-dao-ha-tu", Role.UNIT_HEAD, unit=d.ubnd_ha_tu)
    make_user("can-bo-van-don", Role.OFFICER, unit=d.ubnd_van_don)
    make_user("mttq-van-don", Role.FRONT_MONITOR, territory=d.van_don)
    db.session.commit()
    return d, front, officer, head


def count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) or 0)


def test_the_form_issues_a_recommendation_and_refuses_bad_input_on_its_fields(
        client: FlaskClient, db_session: Session) -> None:
    """Proves: the form lists only the units of the monitor's territory; empty fields, a
    200,000-character text, an unknown item code and a unit outside the territory are answered
    422 with the message on the field and nothing written; a good form redirects to the new
    recommendation, which shows its unit and its due date."""
    d, *_ = setup()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    response = client.get("/monitor/recommendations/new")
    units = {o.text for o in page(response).find("select", name="unit").find_all("option") if o.attrs.get("value")}
    assert "UBND Phường Hà Tu" in units and "UBND Đặc khu Vân Đồn" not in units
    token = csrf_token(html(response))

    def post(**fields: str):  # type: ignore[no-untyped-def]
        data = {"csrf_token": token, "unit": str(d.ubnd_ha_tu.id), "title": "Rác thải", "text": "Đề nghị kiểm tra.",
                "topic": "moi-truong", **fields}
        return client.post("/monitor/recommendations/new", data=data)

    cases = {
        "title": post(title="", text=""),
        "text": post(text="x" * 200_000),
        "item_code": post(item_code="QN-26-999999-X", topic=""),
        "unit": post(unit=str(d.ubnd_van_don.id)),
    }
    for field, response in cases.items():
        assert response.status_code == 422, field
        assert page(response).find("p", id=f"{field}-error").text, field
    assert "20.000" in page(cases["text"]).find("p", id="text-error").text
    assert count() == 0

    done = post()
    assert done.status_code == 303
    shown = page(client.get(done.headers["Location"]))
    assert shown.find("dd", class_="recommendation-unit").text == "UBND Phường Hà Tu"
    assert "Điều 28–30" in shown.find("dd", class_="recommendation-due").text
    assert shown.find("p", class_="no-answer").text
    assert count() == 1


def test_the_unit_sees_it_marked_answers_it_and_the_issuer_reads_the_answer(
        client: FlaskClient, db_session: Session) -> None:
    """Proves: the recommendation is in the addressee's inbox with its mark, its item page names
    the issuer and offers the answer form but no refusal; once the head publishes, the issuer's
    page shows the answer. Another unit gets 404 for the item, another territory's monitor 404 for
    the recommendation, and the public tracking page answers 404 for its code."""
    d, front, officer, head = setup()
    issued = issue_recommendation(front, RecommendationDraft(unit_id=d.ubnd_ha_tu.id, title="Rác thải tồn đọng",
                                                             text="Đề nghị kiểm tra.", topic_code="moi-truong"),
                                  now=datetime.now(UTC))
    resident = make_feedback(d, status=Status.ASSIGNED, current_unit=d.ubnd_ha_tu)
    db.session.commit()
    assert log_in(client, "can-bo-ha-tu").status_code == 302
    inbox = page(client.get("/unit/"))
    rows = {li.find("a").text: li for li in inbox.find_all("li", class_="inbox-item")}
    assert set(rows) == {issued.code, resident.code}
    assert rows[issued.code].find("span", class_="recommendation-badge").text == "Kiến nghị giám sát"
    assert rows[resident.code].find_all("span", class_="recommendation-badge") == []
    only = page(client.get("/unit/?recommendations=1"))
    assert [li.find("a").text for li in only.find_all("li", class_="inbox-item")] == [issued.code]
    assert "(1)" in only.find("span", class_="filter-recommendations").text
    response = client.get(f"/unit/items/{issued.code}")
    item_page = page(response)
    assert "mttq-ha-tu" in item_page.find("section", id="kien-nghi").text
    assert item_page.find_all("section", id="nguoi-gui") == []
    forms = {f.attrs.get("class", "") for f in item_page.find_all("form")}
    assert any("action-save_draft" in c for c in forms)
    assert not any("action-reject" in c or "action-request_information" in c or "action-request_extension" in c
                   for c in forms)
    client.post("/logout", data={"csrf_token": csrf_token(html(response))})

    handling.save_draft(head, issued.feedback_id, "Đã thu gom xong.", expected_version=None, now=datetime.now(UTC))
    handling.publish_answer(head, issued.feedback_id, now=datetime.now(UTC))

    assert client.get(f"/t/{issued.code}").status_code == 404
    assert log_in(client, "can-bo-van-don").status_code == 302
    assert client.get(f"/unit/items/{issued.code}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/unit/").get_data(as_text=True))})
    assert log_in(client, "mttq-van-don").status_code == 302
    assert client.get(f"/monitor/recommendations/{issued.recommendation_id}").status_code == 404
    assert issued.code not in client.get("/monitor/recommendations/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/monitor/recommendations/").get_data(as_text=True))})
    assert log_in(client, "mttq-ha-tu").status_code == 302
    listing = page(client.get("/monitor/recommendations/"))
    assert any(a.text == issued.code for a in listing.find_all("a"))
    past = client.get("/monitor/recommendations/?page=4")  # one page: to the list itself
    assert past.status_code == 302 and past.headers["Location"] == "/monitor/recommendations/"
    answer = page(client.get(f"/monitor/recommendations/{issued.recommendation_id}")).find("p", class_="answer-text")
    assert answer.text == "Đã thu gom xong."
    assert db.session.get(Feedback, issued.feedback_id).answered_at is not None  # type: ignore[union-attr]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_files_go_with_the_recommendation_and_the_answer_and_a_draft_stays_the_units(
        client: FlaskClient, db_session: Session) -> None:
    """Proves: a picture sent with the form is stored and opens for the issuer; an .exe is refused
    on the attachments field (422, nothing written); the unit's draft file is not the issuer's
    (404) until the answer is published, then it opens."""
    d, front, officer, head = setup()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    token = csrf_token(html(client.get("/monitor/recommendations/new")))
    data = {"csrf_token": token, "unit": str(d.ubnd_ha_tu.id), "title": "Rác thải", "text": "Đề nghị kiểm tra.",
            "topic": "moi-truong"}
    refused = client.post("/monitor/recommendations/new", content_type="multipart/form-data",
                          data={**data, "attachments": (io.BytesIO(b"MZ not a picture"), "virus.exe")})
    assert refused.status_code == 422 and page(refused).find("p", id="attachments-error").text
    assert count() == 0
    done = client.post("/monitor/recommendations/new", content_type="multipart/form-data",
                       data={**data, "attachments": (io.BytesIO(PNG), "hien-truong.png")})
    assert done.status_code == 303
    shown = page(client.get(done.headers["Location"]))
    (link,) = [a for a in shown.find_all("a") if a.text == "hien-truong.png"]
    picture = client.get(link.attrs["href"])
    assert picture.status_code == 200 and picture.data == PNG

    recommendation = db.session.scalar(sa.select(Recommendation))
    assert recommendation is not None
    handling.save_draft(head, recommendation.feedback_id, "Đã xử lý.", expected_version=None, now=datetime.now(UTC),
                        files=[check_upload("bien-ban.png", PNG, max_bytes=10 * 1024 * 1024)])
    draft_file = db.session.scalar(sa.select(Attachment.id).where(Attachment.answer_id.is_not(None)))
    url = f"/monitor/recommendations/{recommendation.id}/files/{draft_file}"
    assert client.get(url).status_code == 404
    handling.publish_answer(head, recommendation.feedback_id, now=datetime.now(UTC))
    assert client.get(url).status_code == 200


def test_the_form_reads_the_units_localities_in_one_statement(client: FlaskClient, db_session: Session) -> None:
    """Proves: the new-recommendation form sends as many statements with ten more units, each in
    its own village, as without them (their localities are read together: each unit's was read
    on its own, 59 statements for a province's units)."""
    from feedback.models import LocalityLevel, UnitKind
    from tests.factories import add_locality, add_unit
    from tests.statements import recorded_statements

    d, *_ = setup()
    assert log_in(client, "mttq-ha-tu").status_code == 302

    def sent() -> int:
        db.session.expire_all()  # the test's session is the page's: nothing read before is kept
        with recorded_statements() as statements:
            assert client.get("/monitor/recommendations/new").status_code == 200
        return len([s for s in statements if "SAVEPOINT" not in s])  # the test harness's own

    client.get("/monitor/recommendations/new")  # the first request's one-off reads
    before = sent()
    for n in range(10):
        village = add_locality(f"T-REC-{n}", f"Tổ thử {n}", "tổ", LocalityLevel.VILLAGE, parent=d.ha_tu)
        add_unit(f"UNIT-REC-{n}", f"Ban thử {n}", UnitKind.COMMUNE_COMMITTEE, locality=village)
    db.session.commit()
    assert sent() == before
