"""Bad input to the admin pages answers 400 or 404, never 500; HEAD /submit behaves like GET;
item codes are read as the public tracking reads them (issue #6, item 11)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.tracking import make_code
from feedback.extensions import db
from tests.factories import Directory, make_directory, make_feedback

HUGE = "99999999999999999999"  # beyond 64 bits, let alone PostgreSQL's integer


@pytest.mark.parametrize("url, expected", [
    (f"/admin/items?page={HUGE}", 404),
    ("/admin/items?page=0", 404),
    ("/admin/items?page=-3", 404),  # it showed the first page while page=0 answered 404
    ("/admin/rules?page=-1", 404),
    (f"/admin/rules?page={HUGE}", 404),
    (f"/admin/rules?unit={HUGE}", 400),
    (f"/admin/rules?locality={HUGE}", 400),
    (f"/admin/rules?topic={HUGE}", 400),
    (f"/admin/rules/{HUGE}/edit", 404),
    (f"/admin/rules/{HUGE}/delete", 404),
    ("/admin/rules/2147483648/edit", 404),
    (f"/admin/calendar?year={HUGE}", 404),
    (f"/admin/items?unit={HUGE}", 400),  # a unit typed in the text filter: "no such unit" (400), not a crash
])
def test_out_of_range_numbers_are_refused_not_crashed(client: FlaskClient, d: Directory, url: str,
                                                      expected: int) -> None:
    """Proves: ids and pages past PostgreSQL's integer answer 400/404 before any query runs (they
    answered 500: NumericValueOutOfRange)."""
    assert client.get(url).status_code == expected


def test_a_page_number_that_is_not_a_number_shows_the_first_page(client: FlaskClient, d: Directory) -> None:
    assert client.get("/admin/items?page=abc").status_code == 200
    assert client.get("/admin/rules?page=").status_code == 200
    assert client.get("/admin/rules?page=-").status_code == 200
    assert client.get("/admin/items?page=%2B1").status_code == 200


def test_head_of_the_form_answers_like_get(client: FlaskClient, db_session: Session) -> None:
    """Proves: HEAD /submit is the form page's head (it answered 400: it was treated as a POST)."""
    make_directory()
    get = client.get("/submit")
    head = client.head("/submit")
    assert get.status_code == 200 and head.status_code == 200
    assert head.headers["Content-Type"] == get.headers["Content-Type"] and head.get_data() == b""


def test_an_item_opens_with_its_code_typed_in_lower_case(client: FlaskClient, d: Directory) -> None:
    """Proves: /admin/items/<code> accepts what the public tracking accepts (lower case, spaces,
    no dashes) and redirects to the canonical code; a code that is no code is a 404."""
    item = make_feedback(d)
    item.code = make_code("QN", 2026, item.id)
    db.session.commit()
    lower = item.code.lower()

    response = client.get(f"/admin/items/{lower}")
    compact = client.get(f"/admin/items/{item.code.replace('-', '').lower()}")

    assert response.status_code == 301 and response.headers["Location"].endswith(f"/admin/items/{item.code}")
    assert compact.status_code == 301 and compact.headers["Location"].endswith(f"/admin/items/{item.code}")
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get("/admin/items/qn-26-999999-z", follow_redirects=True).status_code == 404
