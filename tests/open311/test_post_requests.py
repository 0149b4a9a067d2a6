"""POST requests: the Open311 form goes through the web form's submission service (validated,
saved with its "received" event, sent to routing), answers the tracking code, and refuses with
the specification's error list."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.events import Actor
from feedback.domain.status import Channel, Kind, Status
from feedback.domain.tracking import token_matches
from feedback.extensions import db
from feedback.jobs import ROUTE_FEEDBACK
from feedback.models import Event, Feedback
from feedback.services.open311 import revoke_key
from tests.conftest import Enqueued
from tests.open311.api_rows import DESCRIPTION, RESIDENT_EMAIL, RESIDENT_PHONE, api_world, request_form
from tests.times import TUESDAY_MORNING


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def _items() -> list[Feedback]:
    return list(db.session.scalars(sa.select(Feedback).order_by(Feedback.id)))


def test_a_post_is_saved_like_the_web_form_and_answers_the_tracking_code(client: FlaskClient,
                                                                         enqueued: Enqueued) -> None:
    """Proves: a valid POST makes one item through intake (channel api, in `received`, the village
    of attribute[village], family name first, contact, the media link stored, the address kept
    after the description, the title from its first line), records the public "received" event
    naming the key's holder, asks the worker to route it, and answers [{service_request_id: the
    code, service_notice: the private link, account_id: null}]; the link's token is the item's."""
    api = api_world()
    response = client.post("/open311/v2/requests.json", data=request_form(api.key))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/json; charset=utf-8"
    (receipt,) = response.get_json()
    (item,) = _items()
    assert receipt["service_request_id"] == item.code and receipt["account_id"] is None
    token = receipt["service_notice"].rsplit(f"/t/{item.code}/", 1)[1]
    assert token_matches(token, item.token_hash)
    assert (item.channel, item.status, item.kind) == (Channel.API, Status.RECEIVED, Kind.REPORT)
    assert item.locality.code == "06652-001" and item.topic.code == "moi-truong.rac-thai"
    assert (item.submitter_name, item.submitter_phone, item.submitter_email) == ("Nguyễn Thị Hoa", RESIDENT_PHONE,
                                                                                RESIDENT_EMAIL)
    assert item.media_url == "https://anh.example.vn/rac-ngo-12.jpg"
    assert item.title == "Rác tồn đọng ở đầu ngõ 12 ba ngày nay"
    assert item.body.startswith(DESCRIPTION) and item.body.endswith("Đầu ngõ 12, tổ 1")
    (event,) = db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id))
    assert (event.action, event.actor, event.public) == ("received", "resident", True)
    assert event.after is not None and event.after["channel"] == "api" and event.after["client"] == "ung-dung-thu"
    assert enqueued == [(ROUTE_FEEDBACK, item.id)]


def test_the_xml_answer_has_the_specifications_root(client: FlaskClient, enqueued: Enqueued) -> None:
    """Proves: POST requests.xml answers <service_requests><request><service_request_id>…"""
    api = api_world()
    response = client.post("/open311/v2/requests.xml", data=request_form(api.key))
    assert response.status_code == 200 and response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.data)
    assert root.tag == "service_requests" and [child.tag for child in root] == ["request"]
    assert root.findtext("request/service_request_id") == _items()[0].code
    assert [child.tag for child in root.find("request")] == ["service_request_id", "service_notice", "account_id"]


def _errors(response: object, format: str = "json") -> list[tuple[int, str]]:
    if format == "xml":
        root = ET.fromstring(response.data)  # type: ignore[attr-defined]
        assert root.tag == "errors"
        return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root.findall("error")]
    return [(e["code"], e["description"]) for e in json.loads(response.data)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("format", ["json", "xml"])
def test_a_missing_unknown_or_revoked_key_is_403_and_nothing_is_saved(client: FlaskClient, enqueued: Enqueued,
                                                                     format: str) -> None:
    """Proves: without api_key, with a wrong one, or with a revoked one, POST answers 403 with the
    error list (api_key named) and saves nothing."""
    api = api_world()
    for key in ("", "o311_not-a-key", api.key):
        if key == api.key:
            revoke_key("ung-dung-thu", actor=Actor.cli("tester"), now=TUESDAY_MORNING)
        response = client.post(f"/open311/v2/requests.{format}", data=request_form(key))
        assert response.status_code == 403
        ((code, description),) = _errors(response, format)
        assert code == 403 and description.startswith("api_key:")
    assert _items() == [] and enqueued == []


@pytest.mark.parametrize(("changes", "status", "fields"), [
    ({"service_code": ""}, 400, ["service_code"]),
    ({"service_code": "khong-co"}, 404, ["service_code"]),
    ({"address_id": ""}, 400, ["address_id"]),
    ({"address_id": "99999"}, 400, ["address_id"]),
    ({"attribute[village]": "06994-001"}, 400, ["attribute[village]"]),
    ({"attribute[kind]": "", "description": ""}, 400, ["attribute[kind]", "description"]),
    ({"attribute[kind]": "complaint", "first_name": "", "last_name": ""}, 400, ["first_name"]),
    ({"phone": "12", "email": "khong-phai-email"}, 400, ["phone", "email"]),
    ({"media_url": "javascript:alert(1)"}, 400, ["media_url"]),
])
def test_a_wrong_request_gets_every_problem_and_nothing_is_saved(client: FlaskClient, enqueued: Enqueued,
                                                                 changes: dict[str, str], status: int,
                                                                 fields: list[str]) -> None:
    """Proves: each wrong field is reported in the error list, naming the Open311 argument, with
    400 (404 for a service that does not exist); no item, no routing."""
    api = api_world()
    response = client.post("/open311/v2/requests.json", data=request_form(api.key, **changes))
    assert response.status_code == status
    errors = _errors(response)
    assert sorted({description.split(":", 1)[0] for _, description in errors}) == sorted(fields)
    assert {code for code, _ in errors} == {status}
    assert _items() == [] and enqueued == []


def test_a_village_code_alone_places_the_item_and_a_topic_default_kind_applies(client: FlaskClient,
                                                                               enqueued: Enqueued) -> None:
    """Proves: address_id may be a village's code; without attribute[kind] the topic's default
    kind is used."""
    api = api_world()
    api.directory.land.default_kind = Kind.PETITION
    response = client.post("/open311/v2/requests.json", data=request_form(
        api.key, service_code="dat-dai", address_id="06994-001", **{"attribute[village]": "", "attribute[kind]": ""}))
    assert response.status_code == 200, response.get_data(as_text=True)
    (item,) = _items()
    assert (item.locality.code, item.kind) == ("06994-001", Kind.PETITION)
