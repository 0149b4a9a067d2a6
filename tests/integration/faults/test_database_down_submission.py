"""PostgreSQL stops while a resident sends the form (issue #10 item 3, first point).

The private server is really stopped (``pg_ctl stop -m immediate``: every connection cut, as in a
crash), once before the POST and once in the middle of it, after the attached photo was written
to disk and before the item is committed. The resident gets a "please try again" page with status
503 in the language they chose (an Open311 client: the specification's error list with 503); no item, event or attachment row is half-written; no file is
left in the upload folder; and the same form sent again once the server is back makes one item.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Attachment, Event, Feedback
from feedback.services.intake import uploads as upload_module
from tests.factories import make_directory
from tests.integration.private_postgres import PrivatePostgres
from tests.open311.api_rows import api_world, request_form
from tests.web.form_helpers import PNG, form_fields, post_form, valid_data
from tests.web.html_text import texts

pytestmark = pytest.mark.integration

TITLES = {"vi": "Hệ thống tạm thời gián đoạn", "en": "The system is temporarily unavailable"}
TRY_AGAIN = {"vi": "Vui lòng thử lại sau ít phút.", "en": "Please try again in a few minutes."}


@pytest.fixture
def directory(fault_app: Flask) -> Iterator[None]:
    make_directory()
    db.session.commit()
    yield


def client_in(app: Flask, language: str) -> FlaskClient:
    client = app.test_client()
    # The language is chosen once (?lang=en) and remembered in the session cookie.
    assert client.get(f"/?lang={language}").status_code == 200
    return client


def rows() -> dict[str, int]:
    counts = {model.__name__: int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
              for model in (Feedback, Event, Attachment)}
    db.session.rollback()
    return counts


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


def assert_try_again_page(response: TestResponse, language: str) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"].isdigit()
    html = response.get_data(as_text=True)
    assert texts(html, "h1") == [TITLES[language]]
    assert TRY_AGAIN[language] in " ".join(texts(html, "p"))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_submission_while_postgresql_is_stopped_gets_a_503_and_stores_nothing(
    fault_app: Flask, directory: None, private_pg: PrivatePostgres, fault_uploads: Path, language: str,
) -> None:
    client = client_in(fault_app, language)
    csrf, key = form_fields(client)
    db.session.remove()
    private_pg.stop()
    try:
        response = post_form(client, valid_data(), files=[(PNG, "anh-bai-rac.png")], csrf=csrf, key=key)
        assert_try_again_page(response, language)
        # The form page itself answers the same way while the database is away.
        assert_try_again_page(client.get("/submit"), language)
    finally:
        private_pg.start()

    assert files_in(fault_uploads) == []
    assert rows() == {"Feedback": 0, "Event": 0, "Attachment": 0}
    # "Please try again" is true: the same form, sent again, makes its item.
    again = post_form(client, valid_data(), files=[(PNG, "anh-bai-rac.png")], csrf=csrf, key=key)
    assert again.status_code == 303, again.get_data(as_text=True)[:500]
    assert rows() == {"Feedback": 1, "Event": 1, "Attachment": 1}
    assert len(files_in(fault_uploads)) == 1


@pytest.mark.parametrize("language", ["vi", "en"])
def test_postgresql_stopping_in_the_middle_of_a_submission_leaves_no_item_and_no_file(
    fault_app: Flask, directory: None, private_pg: PrivatePostgres, fault_uploads: Path, language: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_in(fault_app, language)
    csrf, key = form_fields(client)
    real_stage = upload_module.stage
    staged_names: list[str] = []

    def stage_then_lose_the_database(files: object, upload_dir: Path) -> list[upload_module.StagedFile]:
        staged = real_stage(files, upload_dir)  # type: ignore[arg-type]
        staged_names.extend(item.temp_path.name for item in staged)
        assert all(item.temp_path.exists() for item in staged)
        private_pg.stop()  # the photo is on disk, the item not yet committed
        return staged

    monkeypatch.setattr(upload_module, "stage", stage_then_lose_the_database)
    try:
        response = post_form(client, valid_data(), files=[(PNG, "anh-bai-rac.png")], csrf=csrf, key=key)
    finally:
        monkeypatch.setattr(upload_module, "stage", real_stage)
        if not private_pg.running():
            private_pg.start()

    assert staged_names, "the fault was not injected: no file was staged"
    assert_try_again_page(response, language)
    assert files_in(fault_uploads) == []
    assert rows() == {"Feedback": 0, "Event": 0, "Attachment": 0}
    again = post_form(client, valid_data(), files=[(PNG, "anh-bai-rac.png")], csrf=csrf, key=key)
    assert again.status_code == 303
    assert rows() == {"Feedback": 1, "Event": 1, "Attachment": 1}


@pytest.mark.parametrize("format", ["json", "xml"])
def test_an_open311_post_while_postgresql_is_stopped_answers_503_with_the_error_list(
    fault_app: Flask, private_pg: PrivatePostgres, format: str,
) -> None:
    api = api_world()
    db.session.commit()
    db.session.remove()
    client = fault_app.test_client()
    private_pg.stop()
    try:
        response = client.post(f"/open311/v2/requests.{format}", data=request_form(api.key))
    finally:
        private_pg.start()

    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"].isdigit()
    if format == "json":
        assert response.content_type == "application/json; charset=utf-8"
        (error,) = response.get_json()
        code, description = error["code"], error["description"]
    else:
        root = ET.fromstring(response.get_data())
        assert root.tag == "errors"
        (element,) = root.findall("error")
        code, description = int(element.findtext("code") or 0), element.findtext("description") or ""
    assert code == 503
    assert description.startswith(TITLES["vi"]) and TRY_AGAIN["vi"] in description
    assert rows() == {"Feedback": 0, "Event": 0, "Attachment": 0}
    again = client.post(f"/open311/v2/requests.{format}", data=request_form(api.key))
    assert again.status_code == 200, again.get_data(as_text=True)[:500]
    assert rows()["Feedback"] == 1
