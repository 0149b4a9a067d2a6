"""Friendly error pages in the visitor's language (HTML, or JSON under ``*.json`` paths).

Every HTTP error goes through here: 400 (including a missing or expired CSRF token), 403, 404,
405, 413 (a request larger than MAX_CONTENT_LENGTH, e.g. too many big photos), 429 (rate limit),
500. A 500 page must not fail itself: if rendering the template fails (the database may be what
is down), a minimal page is returned instead.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from feedback.extensions import db, limiter

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
}
TEXT_TOO_LONG = (_l("Nội dung quá dài"),
                 _l("Một ô chữ của biểu mẫu dài hơn nhiều so với giới hạn cho phép nên chưa được gửi và chưa "
                    "có gì được lưu. Hãy quay lại, rút ngắn nội dung rồi gửi lại."))
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
    if code == 413 and (request.content_length or 0) <= int(current_app.config["MAX_CONTENT_LENGTH"]):
        # Under the total limit, so not the files: one text field passed MAX_FORM_MEMORY_SIZE
        # (Werkzeug's limit on a field held in memory), far beyond any text limit of a form.
        return code, str(TEXT_TOO_LONG[0]), str(TEXT_TOO_LONG[1])
    if code == 413:
        return code, str(title), _(
            "Tổng dung lượng gửi lên vượt quá %(limit)s MB. Hãy quay lại, bớt tệp hoặc chọn ảnh nhỏ hơn "
            "(mỗi tệp tối đa %(each)s MB), rồi gửi lại.",
            limit=_megabytes(int(current_app.config["MAX_CONTENT_LENGTH"])),
            each=_megabytes(int(current_app.config["MAX_ATTACHMENT_BYTES"])),
        )
    return code, str(title), str(message)


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
    code, title, message = describe(error)
    headers = error_headers(error)
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
        try:
            # A failed statement leaves the transaction unusable; the page (current_user) needs it.
            db.session.rollback()
            return render_error(error)
        except Exception:  # the page itself failed (database down?): a page without the template
            log.exception("the 500 page could not be rendered")
            title, message = MESSAGES[500]
            try:
                title_text, message_text = str(title), str(message)
            except Exception:
                title_text, message_text = "Hệ thống đang gặp sự cố", "Vui lòng thử lại sau ít phút."
            page = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{escape(title_text)}</title>'
                    f"<h1>{escape(title_text)}</h1><p>{escape(message_text)}</p></html>")
            return page, 500
