"""Driving the resident's form from web tests: the real page, its CSRF token and submission key."""

from __future__ import annotations

import re
from io import BytesIO

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')

# Smallest files whose content `filetype` recognises.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def form_fields(client: FlaskClient, url: str = "/submit") -> tuple[str, str]:
    """GET the form; return its (csrf_token, submission_key)."""
    html = client.get(url).get_data(as_text=True)
    csrf, key = _CSRF.search(html), _KEY.search(html)
    assert csrf and key, "the form has no csrf_token or submission_key"
    return csrf.group(1), key.group(1)


def valid_data(**overrides: object) -> dict[str, object]:
    """A complete report from Tổ dân phố 1 of Phường Hà Tu (tests.factories.make_directory)."""
    data: dict[str, object] = {
        "kind": "report",
        "commune": "06652",
        "village": "06652-001",
        "topic": "moi-truong.rac-thai",
        "title": "Rác tồn đọng ở đầu ngõ 12",
        "body": "Rác không được thu gom ba ngày nay, bốc mùi khó chịu.",
        "name": "",
        "phone": "",
        "email": "",
    }
    data.update(overrides)
    return data


def post_form(client: FlaskClient, data: dict[str, object], *, files: list[tuple[bytes, str]] | None = None,
              csrf: str | None = None, key: str | None = None, url: str = "/submit") -> TestResponse:
    """POST the form as a browser does (multipart), with a fresh token and key unless given."""
    if csrf is None or key is None:
        fresh_csrf, fresh_key = form_fields(client, url)
        csrf, key = csrf or fresh_csrf, key or fresh_key
    body = dict(data)
    body.setdefault("csrf_token", csrf)
    body.setdefault("submission_key", key)
    if files:
        body["attachments"] = [(BytesIO(content), name) for content, name in files]
    return client.post(url, data=body, content_type="multipart/form-data")


def code_from_location(response: TestResponse) -> str:
    """The tracking code at the end of a redirect to /submitted/<code> or /t/<code>."""
    location = response.headers["Location"]
    match = re.search(r"/(?:submitted|t)/([A-Z0-9-]+)", location)
    assert match, location
    return match.group(1)
