"""The texts of deadline reminders and escalations, in the default locale (Vietnamese).

Rendered once, when the notification row is written; they name the item by its code, kind and
topic (``notifications.item_facts``) and never carry the resident's text (title, body), name or
contact.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.calendar import VN_TZ
from feedback.models import Deadline, Unit
from feedback.services.notifications.outbox import item_facts


def clock_name(clock: str) -> str:
    """The Vietnamese name of a clock as it reads after "hạn" (e.g. "hạn giải quyết")."""
    names = {
        "acceptance": _("thụ lý"),
        "resolution": _("giải quyết"),
        "transfer": _("chuyển đơn"),
        "supervision": _("trả lời kiến nghị"),
        "acceptance_notice": _("thông báo thụ lý tố cáo"),
        "decision_notice": _("gửi quyết định giải quyết khiếu nại"),
    }
    return str(names.get(clock, clock))


# Subject and body of each message (``render_message`` picks one and fills it in).
_TEXTS: dict[str, tuple[LazyString, LazyString]] = {
    "before": (  # some working days before the due day, to the unit holding the clock
        _l("[Nhắc hạn] Hồ sơ %(code)s sắp đến hạn %(clock)s (%(due_date)s)"),
        _l("Kính gửi %(recipient)s,\n\nHồ sơ %(code)s (%(kind)s, lĩnh vực %(topic)s) sắp đến hạn %(clock)s: "
           "hạn cuối là %(due)s (giờ Việt Nam).\nCăn cứ: %(basis)s.\n\nĐề nghị đơn vị xử lý đúng hạn. "
           "Đăng nhập hệ thống để xem hồ sơ: %(url)s\n\nThư này được gửi tự động, vui lòng không trả lời."),
    ),
    "due_day": (  # on the last day, to the unit holding the clock
        _l("[Đến hạn hôm nay] Hồ sơ %(code)s: hạn %(clock)s là %(due_date)s"),
        _l("Kính gửi %(recipient)s,\n\nHôm nay là ngày cuối của hạn %(clock)s đối với hồ sơ %(code)s "
           "(%(kind)s, lĩnh vực %(topic)s): hạn cuối là %(due)s (giờ Việt Nam).\nCăn cứ: %(basis)s.\n\n"
           "Đăng nhập hệ thống để xem hồ sơ: %(url)s\n\nThư này được gửi tự động, vui lòng không trả lời."),
    ),
    "breach": (  # once breached, to the unit holding the clock
        _l("[Quá hạn] Hồ sơ %(code)s đã quá hạn %(clock)s"),
        _l("Kính gửi %(recipient)s,\n\nHồ sơ %(code)s (%(kind)s, lĩnh vực %(topic)s) đã quá hạn %(clock)s "
           "(hạn cuối %(due)s, giờ Việt Nam).\nCăn cứ: %(basis)s.\n\nViệc quá hạn đã được ghi nhận và báo cáo "
           "cơ quan cấp trên và Ủy ban Mặt trận Tổ quốc Việt Nam cùng cấp.\n"
           "Đăng nhập hệ thống để xem hồ sơ: %(url)s\n\nThư này được gửi tự động, vui lòng không trả lời."),
    ),
    "escalation": (  # once breached, to each escalation recipient
        _l("[Quá hạn] Hồ sơ %(code)s quá hạn %(clock)s tại %(unit)s"),
        _l("Kính gửi %(recipient)s,\n\nHồ sơ %(code)s (%(kind)s, lĩnh vực %(topic)s) do %(unit)s xử lý "
           "đã quá hạn %(clock)s (hạn cuối %(due)s, giờ Việt Nam).\nCăn cứ: %(basis)s.\n\n"
           "Thư này được gửi để đơn vị theo dõi, đôn đốc và giám sát theo thẩm quyền.\n"
           "Đăng nhập hệ thống để xem hồ sơ: %(url)s\n\nThư này được gửi tự động, vui lòng không trả lời."),
    ),
}


def render_message(deadline: Deadline, level: str, role: str, recipient: Unit, unit: Unit | None) -> tuple[str, str]:
    """Subject and body for ``recipient`` at ``level`` ("before", "due_day", "breach"); ``role`` is
    "unit" for the unit that holds the clock, anything else for an escalation recipient."""
    item = deadline.feedback
    local_due = deadline.due_at.astimezone(VN_TZ)
    values = {
        **item_facts(item),
        "clock": clock_name(deadline.clock),
        "due": local_due.strftime("%H:%M %d/%m/%Y"),
        "due_date": local_due.strftime("%d/%m/%Y"),
        "basis": deadline.legal_basis,
        "recipient": recipient.name,
        "unit": unit.name if unit else _("chưa có đơn vị xử lý"),
        "url": current_app.config["PUBLIC_BASE_URL"],
    }
    key = level if level in ("before", "due_day") else "breach" if role == "unit" else "escalation"
    subject, body = (str(text) % values for text in _TEXTS[key])
    return subject[:255], body
