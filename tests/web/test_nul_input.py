"""A NUL character typed into a URL answers 400 with the reason, never 500 (PostgreSQL refuses a
NUL in any text it is sent, even in a comparison: psycopg raises DataError)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.models import Role
from tests.factories import make_directory, make_user
from tests.web.admin_html import parse
from tests.web.auth_helpers import log_in

MESSAGE = "Địa chỉ trang có ký tự không hợp lệ (NUL). Hãy kiểm tra lại đường dẫn."

# Each of these answered 500 on PostgreSQL (found by probing): the typed value reached a query.
ANSWERED_500 = {
    None: ["/localities/search.json?q=%00", "/answers?unit=%00", "/open311/v2/services/%00.json",
           "/open-data/units.csv?from=%00&to=2026-03-01", "/open-data/units.json?to=%00"],
    Role.ADMIN: ["/admin/items?q=%00", "/admin/items?unit=%00", "/admin/items/%00"],
    Role.OFFICER: ["/unit/items/%00"],
    Role.FRONT_MONITOR: ["/monitor/items?figure=received&by=commune&key=%00",
                         "/monitor/items?figure=received&by=topic&key=%00", "/monitor/items/%00",
                         "/monitor/export/items.csv?figure=received&by=unit&key=%00"],
}


@pytest.mark.parametrize("role", list(ANSWERED_500))
def test_a_nul_in_the_url_is_a_400_with_the_reason(client: FlaskClient, db_session: Session,
                                                   role: Role | None) -> None:
    """Proves: in a query-string value or in the path, a NUL is refused before any view reads it:
    a 400 whose page (or Open311 error, or JSON error) says why."""
    d = make_directory()
    if role is not None:
        make_user("nguoi-dung", role, unit=d.front_province if role is Role.FRONT_MONITOR else
                  (d.ubnd_ha_tu if role is Role.OFFICER else None),
                  territory=d.province if role is Role.FRONT_MONITOR else None)
        assert log_in(client, "nguoi-dung").status_code == 302
    for url in ANSWERED_500[role]:
        response = client.get(url)
        assert response.status_code == 400, url
        if url.startswith("/open311/"):
            assert response.get_json()[0]["description"].endswith(MESSAGE), url
        elif ".json" in url:
            assert response.get_json()["error"]["message"] == MESSAGE, url
        elif url.startswith("/open-data/"):  # as a bad period: the reason as plain text, not a page
            assert response.mimetype == "text/plain", url
            assert response.get_data(as_text=True) == MESSAGE + "\n", url
        else:
            assert parse(response.get_data(as_text=True)).find("p", class_="lead").text == MESSAGE, url


def test_a_nul_in_a_query_string_name_is_refused_too(client: FlaskClient, db_session: Session) -> None:
    make_directory()
    assert client.get("/units?a%00=1").status_code == 400
    assert client.get("/units?unit=UBND").status_code == 200
