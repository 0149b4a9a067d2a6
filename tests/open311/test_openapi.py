"""The OpenAPI 3.1 document describes the implementation: it is a valid OpenAPI 3.1 document, its
paths and methods are exactly the application's routes under /open311/v2/, and real answers of
every endpoint (successes and errors, JSON) are valid against its schemas, with the content type
it declares."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from feedback.domain.status import Kind, Status
from feedback.domain.tracking import make_code
from feedback.extensions import db
from feedback.models import Feedback
from feedback.open311.openapi import document
from feedback.services.routing.route import route_item
from tests.conftest import Enqueued
from tests.factories import make_feedback
from tests.open311.api_rows import api_world, request_form

PREFIX = "/open311/v2"


def _app_routes(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every rule under /open311/v2/, written as OpenAPI writes paths."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    return routes


def test_the_document_is_valid_openapi_3_1_and_served(client: FlaskClient, db_session: Session) -> None:
    """Proves: the served document is the module's document and passes the OpenAPI 3.1 validator."""
    served = client.get(f"{PREFIX}/openapi.json")
    assert served.status_code == 200 and served.content_type == "application/json; charset=utf-8"
    assert served.get_json() == document()
    assert document()["openapi"] == "3.1.0"
    validate(document())


def test_the_documents_paths_are_the_applications_routes(app: Flask) -> None:
    """Proves: every route under /open311/v2/ (path and method) is in the document and every
    operation of the document is a route: a route added without its description fails here."""
    documented = {(path, method) for path, operations in document()["paths"].items() for method in operations}
    assert documented == _app_routes(app)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document()["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _check(response: TestResponse, path: str, method: str) -> None:
    """``response`` has a status and a content type the document declares for the operation, and
    its JSON body is valid against the declared schema."""
    operation = document()["paths"][path][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method} {path} answered {response.status_code}, not documented"
    media = response.content_type.split(";")[0]
    assert media in declared["content"], (path, media)
    if media == "application/json":
        errors = sorted(_validator(declared["content"][media]["schema"]).iter_errors(response.get_json()), key=str)
        assert errors == [], (path, response.status_code, [e.message for e in errors])


def test_every_endpoint_answers_what_the_document_says(client: FlaskClient, db_session: Session,
                                                       enqueued: Enqueued) -> None:
    """Proves: a real answer of each operation, in JSON (200 and its errors: 400, 403, 404, 429
    where they occur) is valid against the document: every field the implementation writes is
    declared with its type, and no declared required field is missing (additionalProperties is
    false everywhere)."""
    api = api_world()
    now = datetime.now(UTC)
    answered = make_feedback(api.directory, status=Status.ANSWERED, received_at=now - timedelta(days=2))
    answered.code = make_code("QN", 2026, answered.id)
    make_feedback(api.directory, kind=Kind.COMPLAINT, received_at=now - timedelta(days=1))
    posted = client.post(f"{PREFIX}/requests.json", data=request_form(api.key))
    _check(posted, f"{PREFIX}/requests.{{format}}", "post")
    code = posted.get_json()[0]["service_request_id"]
    token = posted.get_json()[0]["service_notice"].rsplit("/", 1)[1]
    route_item(db.session.scalar(db.select(Feedback.id).where(Feedback.code == code)), now=now)
    complaint = make_feedback(api.directory, kind=Kind.COMPLAINT, received_at=now)
    complaint.code = make_code("QN", 2026, complaint.id)
    for body, status in ((request_form(""), 403), (request_form(api.key, service_code="khong-co"), 404),
                         (request_form(api.key, address_id=""), 400)):
        response = client.post(f"{PREFIX}/requests.json", data=body)
        assert response.status_code == status
        _check(response, f"{PREFIX}/requests.{{format}}", "post")
    gets = [
        ("discovery.{format}", "discovery.json", 200),
        ("services.{format}", "services.json", 200),
        ("services/{service_code}.{format}", "services/moi-truong.rac-thai.json", 200),
        ("services/{service_code}.{format}", "services/khong-co.json", 404),
        ("requests.{format}", "requests.json", 200),
        ("requests.{format}", "requests.json?status=open,closed&service_code=moi-truong.rac-thai", 200),
        ("requests.{format}", f"requests.json?service_request_id={code},{answered.code}", 200),
        ("requests.{format}", "requests.json?start_date=2026-01-01&end_date=2026-12-31", 400),
        ("requests.{format}", "requests.json?status=pending", 400),
        ("requests/{service_request_id}.{format}", f"requests/{code}.json", 200),
        ("requests/{service_request_id}.{format}", f"requests/{complaint.code}.json", 200),
        ("requests/{service_request_id}.{format}", "requests/QN-26-999999-2.json", 404),
        ("tokens/{token}.{format}", f"tokens/{token}.json", 200),
        ("tokens/{token}.{format}", "tokens/khong-co.json", 404),
        ("openapi.json", "openapi.json", 200),
    ]
    for path, url, status in gets:
        response = client.get(f"{PREFIX}/{url}")
        assert response.status_code == status, (url, response.get_data(as_text=True))
        _check(response, f"{PREFIX}/{path}", "get")
    listed = client.get(f"{PREFIX}/requests.json").get_json()
    assert {r["service_request_id"] for r in listed} == {code, answered.code}  # the complaints are never listed


@pytest.mark.parametrize("url", ["discovery.xml", "services.xml", "requests.xml", "openapi.json"])
def test_xml_and_json_are_declared_for_each_format(client: FlaskClient, db_session: Session, url: str) -> None:
    """Proves: the .xml endpoints answer text/xml and openapi.json answers JSON, as declared."""
    api_world()
    response = client.get(f"{PREFIX}/{url}")
    path = f"{PREFIX}/{url.rsplit('.', 1)[0]}.{{format}}" if url.endswith(".xml") else f"{PREFIX}/{url}"
    _check(response, path, "get")
