"""What an HTTP error is called and what it means, in the visitor's language (``describe``), and
which area renders errors under a path of its own (``path_renderer``): the error pages of
``feedback.public.errors`` and the error lists of an API share the words.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from feedback.web.args import ExplainedBadRequest

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
    # The database cannot be reached (feedback.public.errors): nothing was stored, try again.
    503: (_l("Hệ thống tạm thời gián đoạn"),
          _l("Hệ thống đang tạm thời gián đoạn nên chưa thực hiện được yêu cầu của bạn. Vui lòng thử lại sau ít "
             "phút. Nếu bạn vừa gửi ý kiến mà chưa nhận được mã tra cứu, hãy gửi lại biểu mẫu.")),
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
    if isinstance(error, ExplainedBadRequest):
        return code, str(title), error.explanation
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



def path_renderer() -> Callable[[HTTPException], ResponseReturnValue] | None:
    """The error renderer an area registered for the current path's prefix
    (``app.extensions["error_renderers"]``, e.g. "/open311/" for the API's error lists), if any."""
    renderers: dict[str, Callable[[HTTPException], ResponseReturnValue]] = current_app.extensions.get(
        "error_renderers", {})
    return next((renderer for prefix, renderer in renderers.items() if request.path.startswith(prefix)), None)
