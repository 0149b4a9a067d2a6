"""Friendly error pages in the visitor's language (HTML, or JSON under ``*.json`` paths).

Every HTTP error goes through here: 400 (including a missing or expired CSRF token), 403, 404,
405, 413 (a request larger than MAX_CONTENT_LENGTH, e.g. too many big photos), 429 (rate limit),
500, and 503 when the database cannot be reached (stopped, restarting, connection lost): the
visitor is asked to try again in a moment, never shown a 500. Neither the 500 nor the 503 page
may fail itself: if rendering the template fails (the database may be what is down), a minimal
page is returned instead.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from feedback.services.database import DATABASE_UNAVAILABLE

from feedback.extensions import db

log = logging.getLogger(__name__)

# code → (title, explanation). Codes not listed use the generic pair.
MESSAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (_l("Yêu cầu không hợp lệ"),
          _l("Trình duyệt đã gửi một yêu cầu mà hệ thống không hiểu được. Hãy quay lại và thử lại.")),
    403: (_l("Không có quyền truy cập"),
          _l("Bạn không có quyền xem trang này.")),
    404: (_l("Không tìm thấy trang"),
          _l("Trang bạn tìm không có hoặc đã được chuyển đi. Hãy kiểm tra lại địa chỉ.")),
    405: (_l("Không thực hiện được thao tác này"),
          _l("Trang này không nhận kiểu yêu cầu vừa gửi. Hãy quay lại và thử lại.")),
    # The explanation of 413 names the limits: built in describe().
    413: (_l("Tệp gửi kèm quá lớn"), _l("Dữ liệu gửi lên quá lớn.")),
    429: (_l("Quá nhiều yêu cầu"),
          _l("Bạn đã thao tác quá nhiều lần trong thời gian ngắn. Vui lòng chờ ít phút rồi thử lại.")),
    500: (_l("Hệ thống đang gặp sự cố"),
          _l("Đã có lỗi xảy ra phía máy chủ. Ý kiến chưa gửi được thì chưa được lưu; vui lòng thử lại sau ít phút.")),
    503: (_l("Hệ thống tạm thời gián đoạn"),
          _l("Hệ thống đang tạm thời gián đoạn nên chưa thực hiện được yêu cầu của bạn. Vui lòng thử lại sau ít "
             "phút. Nếu bạn vừa gửi ý kiến mà chưa nhận được mã tra cứu, hãy gửi lại biểu mẫu.")),
}
# Seconds a client is told to wait after a 503 (the database usually restarts within a minute).
RETRY_AFTER_S = 30
GENERIC = (_l("Đã có lỗi xảy ra"), _l("Yêu cầu không thực hiện được. Hãy quay lại và thử lại."))
CSRF_MESSAGE = _l("Biểu mẫu đã hết hạn hoặc không hợp lệ nên chưa được gửi. Hãy tải lại trang biểu mẫu, điền lại và gửi lại.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def describe(error: HTTPException) -> tuple[int, str, str]:
    """(status, title, explanation) for ``error``, in the current language."""
    code = error.code or 500
    title, message = MESSAGES.get(code, GENERIC)
    if isinstance(error, CSRFError):
        return code, str(title), str(CSRF_MESSAGE)
    if code == 413:
        return code, str(title), _(
            "Tổng dung lượng gửi lên vượt quá %(limit)s MB. Hãy quay lại, bớt tệp hoặc chọn ảnh nhỏ hơn "
            "(mỗi tệp tối đa %(each)s MB), rồi gửi lại.",
            limit=_megabytes(int(current_app.config["MAX_CONTENT_LENGTH"])),
            each=_megabytes(int(current_app.config["MAX_ATTACHMENT_BYTES"])),
        )
    return code, str(title), str(message)


def render_error(error: HTTPException) -> ResponseReturnValue:
    code, title, message = describe(error)
    # Keep what the error says about itself (Allow for 405, Retry-After for 429), not its body type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")]
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error={"code": code, "title": title, "message": message}), code, headers
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
        unavailable = ServiceUnavailable(retry_after=RETRY_AFTER_S)
        return _render_failure(unavailable)

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
