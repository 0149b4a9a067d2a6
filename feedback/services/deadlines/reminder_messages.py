"""The texts of deadline reminders and escalations, in the default locale (Vietnamese).

Rendered once, when the notification row is written (the scan looks the texts up once per tick,
``MessageTexts``, and fills them in per clock and recipient); they name the item by its code, kind and
topic (``notifications.item_facts``) and never carry the resident's text (title, body), name or
contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.calendar import VN_TZ
from feedback.domain.status import Kind
from feedback.models import Deadline, Unit
from feedback.services.kinds import kind_name
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


@dataclass(frozen=True, slots=True)
class ClockFacts:
    """What a message says about one clock and its item, as plain values (no ORM objects): the
    item's code, kind and topic name (``item_facts``), the clock, its due time and legal basis, and
    the name of the unit holding it (None: no unit)."""

    code: str
    kind: Kind
    topic: str | None
    clock: str
    due_at: datetime
    legal_basis: str
    unit: str | None


class MessageTexts:
    """The message texts in the current locale, looked up once (a scan builds one per tick) and
    filled in per clock and recipient; ``render_message`` is the same thing for one ORM row."""

    def __init__(self) -> None:
        self._texts = {key: (str(subject), str(body)) for key, (subject, body) in _TEXTS.items()}
        self._url = current_app.config["PUBLIC_BASE_URL"]
        self._no_unit = _("chưa có đơn vị xử lý")
        self._clocks: dict[str, str] = {}
        self._kinds: dict[Kind, str] = {}

    def values(self, facts: ClockFacts) -> dict[str, str]:
        """The values of a clock's messages, all but ``recipient`` (shared by its recipients)."""
        clock = self._clocks.get(facts.clock)
        if clock is None:
            clock = self._clocks[facts.clock] = clock_name(facts.clock)
        kind = self._kinds.get(facts.kind)
        if kind is None:
            kind = self._kinds[facts.kind] = kind_name(facts.kind)
        local_due = facts.due_at.astimezone(VN_TZ)
        return {
            "code": facts.code,
            "kind": kind,
            "topic": facts.topic if facts.topic is not None else "—",
            "clock": clock,
            "due": local_due.strftime("%H:%M %d/%m/%Y"),
            "due_date": local_due.strftime("%d/%m/%Y"),
            "basis": facts.legal_basis,
            "unit": facts.unit if facts.unit is not None else self._no_unit,
            "url": self._url,
            "recipient": "",
        }

    def render(self, values: dict[str, str], level: str, role: str, recipient: str) -> tuple[str, str]:
        """Subject and body for ``recipient`` (a unit's name) at ``level`` ("before", "due_day",
        "breach"), with ``values`` from ``values``; ``role`` is "unit" for the unit that holds the
        clock, anything else for an escalation recipient."""
        values["recipient"] = recipient
        key = level if level in ("before", "due_day") else "breach" if role == "unit" else "escalation"
        subject, body = self._texts[key]
        return (subject % values)[:255], body % values


def render_message(deadline: Deadline, level: str, role: str, recipient: Unit, unit: Unit | None) -> tuple[str, str]:
    """Subject and body for ``recipient`` at ``level`` ("before", "due_day", "breach"); ``role`` is
    "unit" for the unit that holds the clock, anything else for an escalation recipient."""
    item = deadline.feedback
    facts = ClockFacts(code=item_facts(item)["code"], kind=item.kind,
                       topic=item.topic.name if item.topic is not None else None, clock=deadline.clock,
                       due_at=deadline.due_at, legal_basis=deadline.legal_basis, unit=unit.name if unit else None)
    texts = MessageTexts()
    return texts.render(texts.values(facts), level, role, recipient.name)
