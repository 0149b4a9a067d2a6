"""Words shown for the codes stored in the database: kinds, statuses, clocks, audit actions.

Registered as template filters of the whole application by ``feedback.web`` (``kind_label``,
``kind_help``, ``status_label``, ``clock_label``, ``event_label``, ``local_datetime``,
``local_name``, ``routing_sentence``, ``file_size``, ``actor_label``), so staff pages show the same words as the resident's
tracking page. Unknown codes are shown as they are, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.events import Actor, EventAction
from feedback.domain.files import shows_inline
from feedback.domain.status import Kind, Status
from feedback.services.kinds import KIND_LABELS as KIND_LABELS

# One line each, shown next to the radio buttons of the form (DESIGN.md §2).
KIND_HELP: dict[str, LazyString] = {
    Kind.COMMENT: _l("Ý kiến đóng góp, đề xuất để công việc chung tốt hơn."),
    Kind.REPORT: _l("Báo điều chưa đúng, chưa tốt đang xảy ra: đường hỏng, rác, tiếng ồn, dịch vụ công…"),
    Kind.PETITION: _l("Đề nghị cơ quan làm hoặc thay đổi việc gì."),
    Kind.COMPLAINT: _l("Đề nghị xem xét lại quyết định, hành vi hành chính ảnh hưởng đến quyền, lợi ích của mình."),
    Kind.DENUNCIATION: _l("Báo hành vi vi phạm pháp luật của cán bộ, công chức; phải ghi rõ họ tên."),
}

STATUS_LABELS: dict[str, LazyString] = {
    Status.RECEIVED: _l("Đã tiếp nhận, đang chuyển đến đơn vị xử lý"),
    Status.ASSIGNED: _l("Đã chuyển đến đơn vị xử lý"),
    Status.IN_PROGRESS: _l("Đang xử lý"),
    Status.ANSWERED: _l("Đã có trả lời"),
    Status.CLOSED: _l("Đã kết thúc"),
    Status.REJECTED: _l("Không thụ lý"),
}

# Deadline.clock values (feedback.domain.deadlines.Clock).
CLOCK_LABELS: dict[str, LazyString] = {
    "acceptance": _l("Hạn tiếp nhận, trả lời ban đầu"),
    "resolution": _l("Hạn giải quyết"),
    "transfer": _l("Hạn chuyển đơn"),
    "supervision": _l("Hạn trả lời kiến nghị giám sát"),
    "acceptance_notice": _l("Hạn thông báo thụ lý tố cáo"),
    "decision_notice": _l("Hạn gửi quyết định giải quyết khiếu nại"),
}

# One label per audit action (every EventAction is written by something, and only those have a
# label). The public timeline shows the public ones; the admin history shows them all.
EVENT_LABELS: dict[str, LazyString] = {
    EventAction.RECEIVED: _l("Đã tiếp nhận ý kiến"),
    EventAction.ASSIGNED: _l("Đã chuyển đến đơn vị xử lý"),
    EventAction.JURISDICTION_DISPUTE: _l("Các đơn vị chưa thống nhất thẩm quyền; đã chuyển theo quy định"),
    EventAction.RETURNED: _l("Đơn vị trả lại vì không thuộc thẩm quyền"),
    EventAction.ROUTING_FAILED: _l("Chưa xác định được đơn vị xử lý"),
    EventAction.ROUTING_REQUESTED: _l("Quản trị viên yêu cầu phân công lại"),
    EventAction.PERSONAL_DATA_VIEWED: _l("Xem thông tin cá nhân của người gửi"),
    EventAction.HANDED_OVER_BY_ADMIN: _l("Quản trị viên chuyển cho đơn vị khác"),
    EventAction.DEADLINES_SET: _l("Đã tính thời hạn xử lý"),
    EventAction.DEADLINES_REASSIGNED: _l("Chuyển thời hạn sang đơn vị mới"),
    EventAction.TRANSFER_CLOCK_SET: _l("Bắt đầu tính hạn chuyển đơn"),
    EventAction.DEADLINE_MET: _l("Đơn vị đã đáp ứng một thời hạn"),
    EventAction.DEADLINE_BREACHED: _l("Đơn vị đã để quá hạn"),
    EventAction.DEADLINE_RECOMPUTED: _l("Thời hạn được tính lại theo lịch nghỉ mới"),
    EventAction.DEADLINE_EXTENDED: _l("Gia hạn giải quyết"),
    EventAction.DEADLINE_RECLASSIFIED: _l("Xác định vụ việc phức tạp, áp dụng thời hạn dài hơn"),
    EventAction.CLOCKS_PAUSED: _l("Tạm dừng tính hạn"),
    EventAction.CLOCKS_RESUMED: _l("Tiếp tục tính hạn"),
    EventAction.OFFICER_ASSIGNED: _l("Giao cho cán bộ xử lý"),
    EventAction.ACCEPTED: _l("Đơn vị đã thụ lý"),
    EventAction.REJECTED: _l("Đơn vị từ chối xử lý, có nêu lý do"),
    EventAction.KIND_CHANGED: _l("Đổi loại ý kiến"),
    EventAction.INFORMATION_REQUESTED: _l("Đơn vị đề nghị bổ sung thông tin"),
    EventAction.INFORMATION_PROVIDED: _l("Người gửi đã bổ sung thông tin"),
    EventAction.NOTE_ADDED: _l("Ghi chú nội bộ"),
    EventAction.ANSWER_DRAFTED: _l("Soạn dự thảo trả lời"),
    EventAction.ANSWER_SUBMITTED: _l("Trình lãnh đạo duyệt trả lời"),
    EventAction.ANSWER_RETURNED: _l("Lãnh đạo trả lại dự thảo"),
    EventAction.ANSWER_PUBLISHED: _l("Đã công bố câu trả lời"),
    EventAction.EXTENSION_REQUESTED: _l("Đề nghị gia hạn"),
    EventAction.EXTENSION_REFUSED: _l("Không chấp thuận gia hạn"),
    EventAction.RATED: _l("Người gửi đã đánh giá câu trả lời"),
    EventAction.RATING_CHANGED: _l("Người gửi đã sửa đánh giá"),
    EventAction.REOPENED: _l("Người gửi chưa hài lòng: ý kiến được mở lại"),
    EventAction.CLOSED: _l("Ý kiến đã đóng"),
    EventAction.CLOSURE_UNDONE: _l("Người gửi sửa đánh giá xuống dưới 3: ý kiến chưa đóng, có thể mở lại"),
    EventAction.RECOMMENDATION_ISSUED: _l("Mặt trận hoặc Ban Thanh tra nhân dân gửi kiến nghị đến đơn vị"),
}


# feedback.services.intake.tracking.RoutingBasis values: why the unit holds the item, for residents.
# The rule number and the internal explanation are for staff (admin item page).
ROUTING_SENTENCES: dict[str, LazyString] = {
    "rule": _l("Theo phân công của chính quyền địa phương, %(unit)s là đơn vị giải quyết các ý kiến "
               "thuộc lĩnh vực này tại nơi bạn gửi."),
    "commune": _l("%(unit)s là chính quyền xã, phường nơi bạn gửi ý kiến: đơn vị này giải quyết ý kiến "
                  "hoặc chuyển đến nơi có thẩm quyền."),
    "transfer": _l("Đơn vị nhận trước đã chuyển ý kiến đến %(unit)s vì việc này không thuộc thẩm quyền "
                   "của mình."),
    "dispute": _l("Ý kiến đã được chuyển qua nhiều đơn vị, nên %(unit)s nhận để bảo đảm ý kiến được "
                  "giải quyết."),
    "assigned": _l("Ý kiến được giao cho %(unit)s, đơn vị có thẩm quyền giải quyết."),
}


# The life of an answer draft (feedback.domain.handling.DraftStatus), on the unit's item page.
DRAFT_STATUS_LABELS: dict[str, LazyString] = {
    "draft": _l("Dự thảo"),
    "submitted": _l("Đã trình, chờ lãnh đạo duyệt"),
    "returned": _l("Lãnh đạo đã trả lại"),
    "published": _l("Đã công bố"),
}


def _label(table: dict[str, LazyString], code: object) -> str:
    key = str(code.value) if hasattr(code, "value") else str(code)
    found = table.get(key)
    return str(found) if found is not None else key


def kind_label(code: object) -> str:
    return _label(KIND_LABELS, code)


def kind_help(code: object) -> str:
    return _label(KIND_HELP, code)


def status_label(code: object) -> str:
    return _label(STATUS_LABELS, code)


def clock_label(code: object) -> str:
    return _label(CLOCK_LABELS, code)


def event_label(code: object) -> str:
    return _label(EVENT_LABELS, code)


# Who did something, for the actors that are not a signed-in user (``feedback.domain.events.Actor``);
# a user is shown by the username stored in ``event.actor``.
ACTOR_LABELS: dict[str, LazyString] = {
    str(Actor.resident()): _l("Người gửi"),
    str(Actor.system()): _l("Hệ thống"),
    str(Actor.deadline_scan()): _l("Hệ thống (theo dõi thời hạn)"),
}
CLI_ACTOR_PREFIX = "cli:"  # Actor.cli(login)


def actor_label(actor: object) -> str:
    """The text stored in ``event.actor`` in the page language: "Người gửi" for the resident,
    "Hệ thống" for the application, "Quản trị qua dòng lệnh (root)" for ``cli:root``; a username
    as it is."""
    text = str(actor)
    if text.startswith(CLI_ACTOR_PREFIX):
        return str(_("Quản trị qua dòng lệnh (%(login)s)", login=text.removeprefix(CLI_ACTOR_PREFIX)))
    return _label(ACTOR_LABELS, text)


def draft_status_label(code: object) -> str:
    return _label(DRAFT_STATUS_LABELS, code)


def local_name(thing: object) -> str:
    """The name of a topic (or any ``name``/``name_en`` value) in the page language.

    English pages show ``name_en`` when the data has one, else the Vietnamese ``name``.
    """
    english = getattr(thing, "name_en", None)
    if english and get_locale() is not None and get_locale().language == "en":
        return str(english)
    return str(getattr(thing, "name", thing))


def routing_sentence(reason: object) -> str:
    """A plain sentence saying why ``reason.unit`` handles the item (``RoutingReason``)."""
    basis = getattr(reason, "basis", "assigned")
    unit = getattr(getattr(reason, "unit", None), "name", "")
    template = ROUTING_SENTENCES.get(str(getattr(basis, "value", basis)), ROUTING_SENTENCES["assigned"])
    return str(template) % {"unit": unit}


def local_datetime(moment: datetime | None) -> str:
    """``moment`` in the deployment's time zone (Asia/Ho_Chi_Minh), e.g. "03/03/2026 09:00"."""
    if moment is None:
        return ""
    zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


# Symbols, the same in every language (Jinja's filesizeformat writes English words: "69 Bytes").
FILE_SIZE_UNITS = ("B", "KB", "MB", "GB")


def file_size(size: int | None) -> str:
    """``size`` bytes in the page language's number format: "69 B", "1,5 KB" (vi), "1.5 KB" (en)."""
    if size is None:
        return ""
    value, unit = float(size), FILE_SIZE_UNITS[0]
    for unit in FILE_SIZE_UNITS:
        if value < 1024 or unit == FILE_SIZE_UNITS[-1]:
            break
        value /= 1024
    return f"{format_decimal(value, format='#,##0.#')} {unit}"


# feedback.services.intake.tracking.Notice values: what the resident's page says happened.
RESIDENT_NOTICES: dict[str, LazyString] = {
    "routed": _l("Ý kiến được chuyển đến %(unit)s để giải quyết."),
    "accepted": _l("Đơn vị xử lý đã thụ lý ý kiến của bạn."),
    "information_needed": _l("Đơn vị xử lý đề nghị bạn bổ sung thông tin; thời hạn giải quyết tạm dừng "
                             "cho đến khi bạn trả lời."),
    "extended": _l("Thời hạn giải quyết được gia hạn đến ngày %(date)s."),
    "answered": _l("Đơn vị xử lý đã trả lời ý kiến của bạn."),
    "rejected": _l("Đơn vị xử lý không thụ lý ý kiến của bạn; lý do được nêu trên trang này."),
    "reopened": _l("Ý kiến được mở lại và chuyển về đơn vị đã trả lời để giải quyết tiếp."),
}

# feedback.domain.handling.RejectReason values, as the resident reads them.
RESIDENT_REJECT_REASONS: dict[str, LazyString] = {
    "out_of_remit": _l("Việc này không thuộc thẩm quyền của đơn vị."),
    "duplicate": _l("Ý kiến trùng với một ý kiến đã gửi trước đó."),
    "invalid_kind": _l("Ý kiến không đáp ứng điều kiện của loại ý kiến đã chọn (ví dụ: tố cáo không "
                       "được gửi nặc danh)."),
    "abusive": _l("Nội dung xúc phạm, quấy rối hoặc không có gì để trả lời."),
}


def resident_notice(notice: object) -> str:
    """One line of the resident's "what happened" list (``NoticeView``): the unit of a routing,
    the new date of an extension (a date in the deployment's time zone)."""
    kind = getattr(notice, "notice", notice)
    template = RESIDENT_NOTICES.get(str(getattr(kind, "value", kind)))
    if template is None:
        return str(kind)
    due_at = getattr(notice, "due_at", None)
    return str(template) % {"unit": getattr(notice, "unit", None) or "—",
                            "date": local_datetime(due_at)[:10] if due_at else "—"}


def reject_reason_label(code: object) -> str:
    return _label(RESIDENT_REJECT_REASONS, code)


# The template filters, by name; ``feedback.web.register_web`` adds them to the application.
TEMPLATE_FILTERS: tuple[tuple[str, Callable[..., str | bool]], ...] = (
    ("kind_label", kind_label),
    ("kind_help", kind_help),
    ("status_label", status_label),
    ("clock_label", clock_label),
    ("event_label", event_label),
    ("actor_label", actor_label),
    ("draft_status_label", draft_status_label),
    ("local_datetime", local_datetime),
    ("local_name", local_name),
    ("routing_sentence", routing_sentence),
    ("file_size", file_size),
    ("resident_notice", resident_notice),
    ("reject_reason_label", reject_reason_label),
    ("shows_inline", shows_inline),
)
