"""Friendly error pages in the visitor's language (HTML, or JSON under ``*.json`` paths).

Every HTTP error goes through here: 400 (including a missing or expired CSRF token), 403, 404,
405, 413 (a request larger than MAX_CONTENT_LENGTH, e.g. too many big photos), 429 (rate limit),
500, and 503 when the database cannot be reached (stopped, restarting, connection lost): the
visitor is asked to try again in a moment, never shown a 500. Neither the 500 nor the 503 page
may fail itself: if rendering the template fails (the database may be what is down), a minimal
page is returned instead. Under a path whose area renders its own errors (Open311's error list),
that area's renderer answers, with the same status.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import get_locale
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from feedback.extensions import db, limiter
from feedback.services.database import DATABASE_UNAVAILABLE
from feedback.web.errors import MESSAGES, describe, path_renderer

log = logging.getLogger(__name__)

# Seconds a client is told to wait after a 503 (the database usually restarts within a minute).
RETRY_AFTER_S = 30
# Paths whose JSON answers, errors included, keep their Vietnamese letters as they are (UTF-8)
# rather than the ``\u`` escapes of ``jsonify``: the open data, read by people as much as programs.
READABLE_JSON_PATHS = ("/open-data/",)


def readable_json(payload: object) -> Response:
    """``payload`` as JSON in UTF-8 with its letters as they are ("Ngày", not "Ng\\u00e0y"), the
    keys in their given order."""
    return current_app.response_class(json.dumps(payload, ensure_ascii=False), mimetype="application/json")


def error_headers(error: HTTPException) -> list[tuple[str, str]]:
    """What the error says about itself (Allow for 405), not its body type; for a 429 of the
    rate limiter, ``Retry-After``: the seconds until the limit that was hit resets (RFC 9110
    §10.2.3), so that a client, or a resident's browser extension, knows when to come back."""
    headers = [(k, v) for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")]
    if error.code == 429 and not any(k.lower() == "retry-after" for k, _v in headers):
        current = limiter.current_limit
        if current is not None:
            headers.append(("Retry-After", str(max(1, int(current.reset_at - time.time())))))
    return headers


def render_error(error: HTTPException) -> ResponseReturnValue:
    renderer = path_renderer()
    if renderer is not None:  # an API with an error format of its own (Open311's error list)
        return renderer(error)
    code, title, message = describe(error)
    headers = error_headers(error)
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        payload = {"error": {"code": code, "title": title, "message": message}}
        if request.path.startswith(READABLE_JSON_PATHS):
            return readable_json(payload), code, headers
        return jsonify(payload), code, headers
    if request.path.startswith(READABLE_JSON_PATHS) and request.path.endswith(".csv"):
        # The open data's CSV answers its errors as it answers a bad period: the reason as plain
        # text, which a program reading the file shows as it is (a NUL in the URL gave a page).
        return f"{message}\n", code, [*headers, ("Content-Type", "text/plain; charset=utf-8")]
    return render_template("error.html", code=code, title=title, message=message), code, headers


def register_error_pages(app: Flask) -> None:
    """Route every HTTP error, and every unhandled exception, to a friendly page."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        return render_error(error)

    @app.errorhandler(InternalServerError)
    def server_error(error: HTTPException) -> ResponseReturnValue:
        return _render_failure(error)

    def database_unavailable(error: Exception) -> ResponseReturnValue:
        # Not a defect of the request: the resident's input was fine and nothing was stored (a
        # service rolls back and discards staged files on any error), so "try again" is true.
        log.error("database unavailable: %s", type(error).__name__, exc_info=True)
        return _render_failure(ServiceUnavailable(retry_after=RETRY_AFTER_S))

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)


def _language() -> str:
    try:
        return str(get_locale() or "vi")
    except Exception:
        return "vi"


def _render_failure(error: HTTPException) -> ResponseReturnValue:
    """The 500 or 503 page; a minimal page in the same language when the page itself fails."""
    code = error.code or 500
    try:
        # A failed statement leaves the transaction unusable; the page (current_user) needs it.
        db.session.rollback()
        return render_error(error)
    except Exception:  # the page itself failed (database down?): a page without the template
        log.exception("the %s page could not be rendered", code)
        title, message = MESSAGES[code]
        try:
            title_text, message_text = str(title), str(message)
        except Exception:
            title_text, message_text = "Hệ thống đang gặp sự cố", "Vui lòng thử lại sau ít phút."
        page = (f'<!doctype html><html lang="{escape(_language())}"><meta charset="utf-8">'
                f"<title>{escape(title_text)}</title><h1>{escape(title_text)}</h1><p>{escape(message_text)}</p></html>")
        headers = [(k, v) for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")]
        return page, code, headers
