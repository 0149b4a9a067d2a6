"""schemathesis against the Open311 OpenAPI document (issue #10 item 2): every operation of
/open311/v2/openapi.json is called with data generated from the document (and with data that
breaks it), in process through the WSGI app on the suite's database.

Checks, for every call: no 5xx; the status, the content type, the headers and the JSON body are
what the document declares for the operation. Half of the generated POSTs carry a real API key,
so that requests are also saved (and then every item saved has its tracking code), not only refused.
"""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import given
from schemathesis.generation import GenerationMode
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from feedback.domain.tracking import parse_code
from feedback.extensions import db, limiter
from feedback.models import Feedback
from tests.fuzz.budget import fuzz_settings
from tests.open311.api_rows import api_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def api_key(app: Flask, db_session: Session) -> str:
    world = api_world()
    db.session.commit()
    return world.key


def operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_every_open311_operation_keeps_to_its_document(app: Flask, api_key: str, mode: GenerationMode) -> None:
    found = operations(app)
    assert len(found) == 7, [operation.label for operation in found]
    for operation in found:

        @fuzz_settings(default=10)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            limiter.reset()  # the per-key and per-address limits are not what this test is about
            body = case.body
            if isinstance(body, dict) and "api_key" in body and zlib.crc32(repr(sorted(body.items())).encode()) % 2:
                body["api_key"] = api_key
            case.call_and_validate(checks=CHECKS)
            for code in db.session.scalars(sa.select(Feedback.code)):
                assert code and parse_code(code)
            db.session.rollback()

        call()
