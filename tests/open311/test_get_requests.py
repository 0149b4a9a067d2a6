"""GET requests, requests/<id>, tokens/<token>, services and discovery: the specification's
fields, filters, window and formats, and never personal data."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.open311 import CLOSED_STATUSES, OPEN_STATUSES
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import make_code
from feedback.extensions import db
from feedback.open311.records import REQUEST_FIELDS
from feedback.services import handling
from tests.factories import Directory, make_directory, make_feedback
from tests.services.handling_rows import FRI_6_MARCH, TOKEN, WED_4_MARCH, desk

PREFIX = "/open311/v2"
ANSWER = "Đã thu gom rác tại tổ dân phố 1 ngày 05/3/2026."


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def get(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(f"{PREFIX}/{url}")
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_an_answered_item_is_closed_with_the_answer_its_unit_deadline_and_history(client: FlaskClient) -> None:
    """Proves: after the unit publishes its answer the request is `closed`, status_notes is the
    answer, agency_responsible the unit, expected_datetime the resolution deadline in force and
    the times ISO 8601 at +07:00; notes list the public history only (no internal steps); the
    resident's name, phone, title and text appear nowhere (description and media_url null)."""
    d = desk()
    d.item.media_url = "https://anh.example.vn/rac.jpg"
    opened = get(client, f"requests/{d.item.code}.json")[0]
    assert (opened["status"], opened["status_notes"]) == ("open", "Đã chuyển đến đơn vị xử lý")
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.add_note(d.officer, d.item.id, "Ghi chú nội bộ: gọi điện cho bà Hoa", now=WED_4_MARCH)
    handling.save_draft(d.officer, d.item.id, ANSWER, expected_version=None, now=FRI_6_MARCH)
    handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)
    handling.publish_answer(d.head, d.item.id, now=FRI_6_MARCH)
    resolution = max((c for c in d.item.deadlines if c.clock == "resolution"), key=lambda c: c.sequence)

    record = get(client, f"requests/{d.item.code}.json")[0]
    assert list(record) == list(REQUEST_FIELDS)
    assert record["service_request_id"] == d.item.code
    assert (record["status"], record["status_notes"]) == ("closed", ANSWER)
    assert record["agency_responsible"] == "Sở Nông nghiệp và Môi trường"
    assert (record["service_code"], record["service_name"]) == ("moi-truong.rac-thai", "Rác thải")
    assert record["requested_datetime"] == "2026-03-03T09:00:00+07:00"
    assert record["updated_datetime"] == "2026-03-06T09:00:00+07:00"
    assert record["expected_datetime"] == resolution.due_at.astimezone(_hcm()).isoformat(timespec="seconds")
    assert record["expected_datetime"].endswith("+07:00")
    assert (record["address"], record["address_id"]) == ("Tổ dân phố 1, Phường Hà Tu", "06652-001")
    # (the factory's item has no "received" event: it was not sent through the form)
    assert [n["type"] for n in record["notes"]] == ["assigned", "deadlines_set", "deadline_met", "accepted",
                                                    "deadline_met", "answer_published"]
    assert all(n["datetime"].endswith("+07:00") and n["description"] for n in record["notes"])
    assert (record["description"], record["media_url"]) == (None, None)
    text = json.dumps(record, ensure_ascii=False)
    for private in (d.item.title, d.item.body, "Nguyễn", "0912345678", "gọi điện", "anh.example.vn"):
        assert private not in text


def _hcm() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_complaint_shows_only_status_and_unit_and_is_never_listed(client: FlaskClient) -> None:
    """Proves: a complaint asked for by its code gives its id, status, status in words and unit,
    every other field null, no history; no search lists it, not even by its own code."""
    d = desk(Kind.COMPLAINT)
    record = get(client, f"requests/{d.item.code}.json")[0]
    assert {k: v for k, v in record.items() if v not in (None, [])} == {
        "service_request_id": d.item.code, "status": "open", "status_notes": "Đã chuyển đến đơn vị xử lý",
        "agency_responsible": "UBND Phường Hà Tu"}
    assert get(client, f"requests.json?service_request_id={d.item.code}") == []
    assert get(client, "requests.json?start_date=2026-03-01&end_date=2026-03-31") == []


def _item(directory: Directory, days_ago: float, **options: Any) -> str:
    item = make_feedback(directory, received_at=datetime.now(UTC) - timedelta(days=days_ago), **options)
    item.code = make_code("QN", 2026, item.id)  # a real check character: codes are parsed
    return str(item.code)


def _codes(client: FlaskClient, query: str) -> list[str]:
    return [r["service_request_id"] for r in get(client, f"requests.json{query}")]


def test_the_search_filters_and_its_90_day_window(client: FlaskClient) -> None:
    """Proves: without dates the last 90 days, newest first; start_date alone gives 90 days from
    it; status open/closed; service_code as a comma list; service_request_id overrides all
    other filters; dates more than 90 days apart, reversed, or malformed, and an unknown status,
    are 400 with one error each."""
    d = make_directory()
    recent = _item(d, 1)
    answered = _item(d, 5, status=Status.ANSWERED, topic=d.land)
    rejected = _item(d, 10, status=Status.REJECTED, topic=d.other)
    old = _item(d, 100)
    assert _codes(client, "") == [recent, answered, rejected]
    assert _codes(client, "?status=open") == [recent]
    assert _codes(client, "?status=closed") == [answered, rejected]
    assert _codes(client, "?status=open,closed&service_code=dat-dai,khac") == [answered, rejected]
    nul = client.get("/open311/v2/requests.json?service_code=dat-dai,%00")  # never a 500: a 400 saying why
    assert nul.status_code == 400 and "(NUL)" in nul.get_json()[0]["description"]
    start = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _codes(client, f"?start_date={start}") == [old]
    assert _codes(client, f"?service_request_id={old},{recent},QN-26-000000-X,khong-phai-ma&status=closed") == [
        recent, old]
    end = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S%%2B00:00")
    for query, field in ((f"?start_date={start}&end_date={end}", "start_date, end_date"),
                         ("?start_date=2026-03-10&end_date=2026-03-01", "start_date, end_date"),
                         ("?start_date=hom-qua", "start_date"), ("?end_date=2026-13-01", "end_date"),
                         ("?status=pending", "status")):
        response = client.get(f"{PREFIX}/requests.json{query}")
        assert response.status_code == 400, query
        ((code, description),) = [(e["code"], e["description"]) for e in response.get_json()]
        assert code == 400 and description.startswith(f"{field}:"), (query, description)


def test_a_search_returns_at_most_the_limit_newest_first(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the search stops at MAX_RESULTS (made 3 here; 1,000 in the specification)."""
    import feedback.services.open311.requests as requests_module

    monkeypatch.setattr(requests_module, "MAX_RESULTS", 3)
    d = make_directory()
    codes = [_item(d, days) for days in (1, 2, 3, 4, 5)]
    assert _codes(client, "") == codes[:3]


def test_the_status_sets_cover_every_status_once() -> None:
    assert OPEN_STATUSES | CLOSED_STATUSES == set(Status) and not OPEN_STATUSES & CLOSED_STATUSES
    assert CLOSED_STATUSES == {Status.ANSWERED, Status.CLOSED, Status.REJECTED}


def test_the_xml_documents_have_the_specifications_roots(client: FlaskClient) -> None:
    """Proves: discovery, services, a service definition, requests, one request and a token answer
    XML with the examples' root and entry elements; booleans as true/false; the notes extension
    as <notes><note>."""
    d = desk()

    def xml(url: str) -> ET.Element:
        response = client.get(f"{PREFIX}/{url}")
        assert response.status_code == 200 and response.content_type == "text/xml; charset=utf-8", url
        assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return ET.fromstring(response.data)

    discovery = xml("discovery.xml")
    assert discovery.tag == "discovery"
    assert [e.text for e in discovery.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert discovery.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"
    services = xml("services.xml")
    assert services.tag == "services" and {e.tag for e in services} == {"service"}
    assert [e.findtext("service_code") for e in services] == ["dat-dai", "khac", "moi-truong", "moi-truong.rac-thai"]
    assert services.find("service[service_code='moi-truong.rac-thai']/group").text == "Môi trường"  # type: ignore[union-attr]
    assert services.findtext("service/metadata") == "true" and services.findtext("service/type") == "realtime"
    definition = xml("services/moi-truong.rac-thai.xml")
    assert definition.tag == "service_definition"
    assert [a.findtext("code") for a in definition.findall("attributes/attribute")] == ["kind", "village"]
    assert [v.findtext("key") for v in definition.findall("attributes/attribute[code='kind']/values/value")] == [
        "comment", "report", "petition", "complaint", "denunciation"]
    assert definition.findtext("attributes/attribute[code='kind']/required") == "true"
    assert [v.findtext("key") for v in definition.findall("attributes/attribute[code='village']/values/value")] == [
        "06652-001", "06994-001"]
    requests = xml(f"requests.xml?service_request_id={d.item.code}")
    assert requests.tag == "service_requests" and [e.tag for e in requests] == ["request"]
    assert [e.tag for e in requests.find("request")] == list(REQUEST_FIELDS)  # type: ignore[union-attr]
    assert [n.findtext("type") for n in requests.findall("request/notes/note")] == ["assigned", "deadlines_set"]
    assert xml(f"requests/{d.item.code}.xml").findtext("request/status") == "open"
    token = xml(f"tokens/{TOKEN}.xml")
    assert token.tag == "service_requests" and token.findtext("request/service_request_id") == d.item.code


def test_a_token_gives_its_request_id_and_nothing_else_does(client: FlaskClient) -> None:
    d = desk()
    assert get(client, f"tokens/{TOKEN}.json") == [{"service_request_id": d.item.code, "token": TOKEN}]
    assert get(client, "tokens/doan-bua.json", 404)[0]["code"] == 404


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "requests.csv", 404), ("GET", "khong-co.json", 404), ("GET", "services/khong-co.xml", 404),
    ("DELETE", "requests.json", 405), ("GET", "requests/QN-26-000001-2.json", 404),
])
def test_anything_else_under_open311_is_the_error_list(client: FlaskClient, method: str, url: str,
                                                       status: int) -> None:
    """Proves: a wrong path, format, service or method answers the specification's error list."""
    make_directory()
    response = client.open(f"{PREFIX}/{url}", method=method)
    assert response.status_code == status
    if url.endswith(".xml"):
        root = ET.fromstring(response.data)
        assert root.tag == "errors" and root.findtext("error/code") == str(status)
    else:
        assert response.content_type == "application/json; charset=utf-8"
        ((code, description),) = [(e["code"], e["description"]) for e in response.get_json()]
        assert code == status and description


def test_another_jurisdiction_is_not_found_when_one_is_configured(client: FlaskClient, app: Flask,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    make_directory()
    monkeypatch.setitem(app.config, "OPEN311_JURISDICTION_ID", "quangninh.gov.vn")
    assert client.get(f"{PREFIX}/services.json?jurisdiction_id=quangninh.gov.vn").status_code == 200
    assert client.get(f"{PREFIX}/services.json").status_code == 200
    other = client.get(f"{PREFIX}/services.json?jurisdiction_id=hanoi.gov.vn")
    assert other.status_code == 404 and other.get_json()[0]["description"].startswith("jurisdiction_id:")


def test_one_request_by_code_shares_the_tracking_pages_budget(client: FlaskClient, app: Flask,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: GET requests/<id> counts in the one per-address budget of /t/<code> and
    /t/<code>.json (codes are sequential: the API is no way around the harvest limit), and past it
    answers 429 with the error list; the search has its own budget (OPEN311_RATE_LIMIT)."""
    d = desk(Kind.COMPLAINT)
    monkeypatch.setitem(app.config, "TRACK_RATE_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "OPEN311_RATE_LIMIT", "2 per minute")
    answers = [client.get(f"/t/{d.item.code}.json").status_code,
               client.get(f"{PREFIX}/requests/{d.item.code}.json").status_code,
               client.get(f"/t/{d.item.code}").status_code]
    assert answers == [200, 200, 200]
    limited = client.get(f"{PREFIX}/requests/{d.item.code}.json")
    assert limited.status_code == 429 and limited.get_json()[0]["code"] == 429
    assert client.get(f"/t/{d.item.code}.json").status_code == 429
    assert [client.get(f"{PREFIX}/requests.json").status_code for _ in range(3)] == [200, 200, 429]


def test_a_supervision_recommendation_is_never_an_open311_request(client: FlaskClient) -> None:
    """Proves: the Front's recommendation to a unit, which travels as an item of origin
    ``supervision``, is neither listed by the search nor found by its code, while the resident's
    item beside it is."""
    from feedback.extensions import db
    from feedback.models import Feedback
    from feedback.services.recommendations import RecommendationDraft, issue_recommendation

    d = desk()
    issued = issue_recommendation(d.monitor, RecommendationDraft(
        unit_id=d.directory.ubnd_ha_tu.id, title="Thu gom rác", text="Đề nghị kiểm tra.", topic_code="moi-truong"),
        now=WED_4_MARCH)
    recommendation = db.session.get(Feedback, issued.feedback_id)
    assert recommendation is not None and recommendation.code
    get(client, f"requests/{recommendation.code}.json", status=404)
    listed = get(client, f"requests.json?service_request_id={recommendation.code},{d.item.code}")
    assert [r["service_request_id"] for r in listed] == [d.item.code]


def _routed_items(d: Directory, count: int) -> list[str]:
    """``count`` items routed (clocks and an assignment each), every third one handed on to
    another unit (two assignments, a transfer clock), in a village or the commune, of a topic
    with a parent or without: the shapes the public view reads."""
    from feedback.domain.events import Actor
    from feedback.services.routing.route import route_item
    from feedback.services.routing.transfer import return_item

    codes = []
    for n in range(count):
        received = datetime.now(UTC) - timedelta(days=2, minutes=n)
        item = make_feedback(d, received_at=received, locality=d.village if n % 2 else d.ha_tu,
                             topic=d.waste if n % 3 else d.land)
        item.code = make_code("QN", 2026, item.id)
        db.session.commit()
        unit = route_item(item.id, now=received + timedelta(minutes=1)).unit_id
        if n % 3 == 0:
            return_item(item.id, unit_id=unit, reason="Không thuộc thẩm quyền.", target_unit_id=d.ubnd_van_don.id,
                        actor=Actor.cli("test"), now=received + timedelta(hours=1))
        codes.append(str(item.code))
    return codes


def test_a_search_reads_a_fixed_number_of_statements_and_gives_each_items_public_view(client: FlaskClient) -> None:
    """Proves: the search's views equal each item's own public view (read one by one, the tracking
    page's way: clocks, assignments, holder, topic, village and commune); the search sends as
    many statements for 9 items as for 3 (an array of ids each: it sent IN lists of a parameter
    per item, and a lazy read per item when the directory rows were not kept), and never reads
    the resident's text."""
    from feedback.services.intake import public_view
    from feedback.services.open311.requests import Search, search
    from tests.statements import recorded_statements

    d = make_directory()
    counts = []
    for batch in (3, 6):
        _routed_items(d, batch)
        db.session.expire_all()
        now = datetime.now(UTC)
        with recorded_statements() as statements:
            views = search(Search(), now=now)
        counts.append(len(statements))
        assert not any("feedback.body" in s or "feedback.title" in s for s in statements), statements
        db.session.expire_all()
        assert views == [public_view(view.code, now=now) for view in views]
    assert len(views) == 9 and any(view.village is not None for view in views)
    assert any(view.routing is not None and view.routing.basis.name == "TRANSFER" for view in views)
    assert counts[0] == counts[1], counts
