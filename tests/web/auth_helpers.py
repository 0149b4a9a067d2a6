"""Logging in from web tests: the real login form, CSRF token included (reusable by any web test)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in ``html``; fails the test when there is none."""
    match = _TOKEN.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def log_in(client: FlaskClient, username: str, password: str = "mat-khau-dung-1", *, next_page: str | None = None,
           remember: bool = False, **request: object) -> TestResponse:
    """GET /login for a token, then POST the form; returns the POST response (not followed)."""
    url = "/login" + (f"?next={next_page}" if next_page else "")
    token = csrf_token(client.get(url, **request).get_data(as_text=True))  # type: ignore[arg-type]
    form = {"csrf_token": token, "username": username, "password": password}
    if remember:
        form["remember"] = "y"
    return client.post(url, data=form, **request)  # type: ignore[arg-type]
