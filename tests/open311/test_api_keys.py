"""API keys: issued and revoked by administrators (pages and ``flask api-key``), only their digest
stored, each key with its own rate limit counted in Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from config import TestConfig
from feedback.domain.events import Actor
from feedback.domain.open311 import hash_api_key
from feedback.extensions import db, limiter
from feedback.models import ApiKey, Role
from feedback.services.open311 import ApiKeyError, find_key, issue_key
from tests.conftest import TEST_REDIS_URL, Enqueued
from tests.factories import make_user
from tests.open311.api_rows import api_world, request_form
from tests.web.auth_helpers import csrf_token, log_in
from tests.web.html_text import texts

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def _stored() -> list[ApiKey]:
    return list(db.session.scalars(sa.select(ApiKey).order_by(ApiKey.id)))


def test_the_cli_prints_the_key_on_its_last_line_and_stores_only_its_digest(app: Flask, db_session: Session) -> None:
    """Proves: `flask api-key create NAME` prints the key as the last line of its output; the row
    holds its SHA-256 digest and never the key; the key is recognised; `revoke NAME` makes it
    unknown at once; a second revoke and a duplicate name are refused with a message."""
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-key", "create", "ung-dung-ha-noi", "--rate-limit", "10 per minute"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("o311_") and len(key) > 40
    (row,) = _stored()
    assert (row.name, row.key_hash, row.rate_limit) == ("ung-dung-ha-noi", hash_api_key(key), "10 per minute")
    assert key not in {str(value) for value in row.__dict__.values()}
    holder = find_key(key)
    assert holder is not None and holder.name == "ung-dung-ha-noi"
    duplicate = runner.invoke(args=["api-key", "create", "ung-dung-ha-noi"])
    assert duplicate.exit_code != 0 and "Đã có khóa đang dùng tên ung-dung-ha-noi" in duplicate.output
    revoked = runner.invoke(args=["api-key", "revoke", "ung-dung-ha-noi"])
    assert revoked.exit_code == 0 and "Đã thu hồi khóa ung-dung-ha-noi" in revoked.output
    assert find_key(key) is None and row.revoked_at is not None and row.revoked_by is not None
    again = runner.invoke(args=["api-key", "revoke", "ung-dung-ha-noi"])
    assert again.exit_code != 0 and "Không có khóa đang dùng nào tên ung-dung-ha-noi" in again.output
    listing = runner.invoke(args=["api-key", "list"])
    assert "ung-dung-ha-noi" in listing.output and key not in listing.output


@pytest.mark.parametrize(("name", "limit", "field"), [("", None, "name"), ("x" * 65, None, "name"),
                                                      ("ung\x00dung", None, "name"),  # was a 500 on PostgreSQL
                                                      ("ung-dung", "nhiều lắm", "rate_limit")])
def test_a_wrong_name_or_limit_is_refused_and_nothing_stored(db_session: Session, name: str, limit: str | None,
                                                             field: str) -> None:
    with pytest.raises(ApiKeyError) as refused:
        issue_key(name, actor=Actor.cli("tester"), now=NOW, rate_limit=limit)
    assert refused.value.field == field
    assert _stored() == []


def test_an_administrator_issues_a_key_shown_once_and_revokes_it(client: FlaskClient, db_session: Session,
                                                                  enqueued: Enqueued) -> None:
    """Proves: the page issues a key, shows it once (not cached, not on the list page afterwards),
    stores its digest with the administrator as issuer; the key works on POST requests; revoking
    it from the list makes the next POST a 403."""
    api = api_world()
    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    page = client.get("/admin/api-keys")
    assert page.status_code == 200
    answer = client.post("/admin/api-keys", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                  "name": "Cổng dịch vụ công tỉnh", "rate_limit": ""})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    (key,) = texts(answer.get_data(as_text=True), "code", **{"class": "api-key"})
    row = _stored()[-1]
    assert (row.name, row.key_hash, row.created_by) == ("Cổng dịch vụ công tỉnh", hash_api_key(key), "quantri")
    assert key not in client.get("/admin/api-keys").get_data(as_text=True)
    assert client.post("/open311/v2/requests.json", data=request_form(key)).status_code == 200
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    revoked = client.post(f"/admin/api-keys/{row.id}/revoke", data={"csrf_token": csrf_token(listing)})
    assert revoked.status_code == 302
    assert row.revoked_at is not None and row.revoked_by == "quantri"
    assert client.post("/open311/v2/requests.json", data=request_form(key)).status_code == 403
    assert api.key != key


def test_revoking_an_id_past_the_integer_range_is_a_404(client: FlaskClient, db_session: Session) -> None:
    """Proves: /admin/api-keys/<id>/revoke with an id beyond the database's integer answers 404
    before any query (it answered 500: SQLite's OverflowError, PostgreSQL's NumericValueOutOfRange)."""
    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    token = csrf_token(client.get("/admin/api-keys").get_data(as_text=True))
    for key_id in ("99999999999999999999", "2147483648"):
        assert client.post(f"/admin/api-keys/{key_id}/revoke", data={"csrf_token": token}).status_code == 404


def test_the_form_refuses_a_blank_name_and_a_wrong_limit_with_messages(client: FlaskClient,
                                                                        db_session: Session) -> None:
    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    token = csrf_token(client.get("/admin/api-keys").get_data(as_text=True))
    blank = client.post("/admin/api-keys", data={"csrf_token": token, "name": " "})
    wrong = client.post("/admin/api-keys", data={"csrf_token": token, "name": "ung-dung", "rate_limit": "nhiều"})
    assert (blank.status_code, wrong.status_code) == (400, 400)
    assert texts(blank.get_data(as_text=True), "span", **{"class": "field-error"}) == [
        "Hãy nhập tên của khóa (tên ứng dụng hoặc đơn vị dùng khóa)."]
    assert texts(wrong.get_data(as_text=True), "span", **{"class": "field-error"}) == [
        "Giới hạn tần suất chưa đúng. Ví dụ: 60 per minute, 1000/day."]
    assert _stored() == []


@pytest.fixture
def redis_limited_app(app: Flask, db_session: Session, tmp_path: Path) -> Iterator[Flask]:
    """An application whose rate-limit counters are in Redis (the suite's Redis database), with a
    per-key default of 3 a minute; the shared limiter is restored afterwards."""
    import redis

    from feedback import create_app

    saved = dict(limiter.__dict__)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    other = create_app(TestConfig, RATELIMIT_STORAGE_URI=TEST_REDIS_URL, OPEN311_KEY_RATE_LIMIT="3 per minute",
                       UPLOAD_DIR=tmp_path)
    try:
        yield other
    finally:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)
        app.extensions["celery"].set_default()


def test_each_key_has_its_own_rate_limit_counted_in_redis(redis_limited_app: Flask, enqueued: Enqueued) -> None:
    """Proves: with Redis as the limiter's storage, a key past its limit (3 a minute) gets 429 with
    the error list while another key still gets through, a key with its own limit (5 a minute)
    gets that many, and the counters are in Redis (keys appear in its database)."""
    import redis

    api = api_world()
    second = issue_key("ung-dung-hai", actor=Actor.cli("tester"), now=NOW).key
    generous = issue_key("ung-dung-ba", actor=Actor.cli("tester"), now=NOW, rate_limit="5 per minute").key
    client = redis_limited_app.test_client()

    def post(key: str) -> int:
        return client.post("/open311/v2/requests.json", data=request_form(key)).status_code

    assert [post(api.key) for _ in range(4)] == [200, 200, 200, 429]
    refused = client.post("/open311/v2/requests.json", data=request_form(api.key))
    assert refused.status_code == 429 and refused.get_json()[0]["code"] == 429
    assert post(second) == 200
    assert [post(generous) for _ in range(6)] == [200] * 5 + [429]
    assert redis.Redis.from_url(TEST_REDIS_URL).keys("LIMITS:*")
