"""What the resident is told by email when the unit acts: routed to a unit (queued by routing's
``assign``), accepted, more information needed, extended, answered, rejected, reopened (for
the ratings to queue); in the item's language, through the outbox, once per fact. The facts
are named once, in ``feedback.domain.notices``.

Like the receipt (``notifications.receipt_mail``), a message names only the tracking code, the
kind, the relevant date and the public tracking page: never the resident's text, name or
contact, never the secret link (an unverified address may be a stranger's). The resident reads
the answer, the question or the reason on the secret-link page, where the same facts show.
Written in the caller's transaction (the action commits); nothing when no email was given.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from feedback.domain.calendar import local_date
from feedback.domain.notices import Notice as Notice  # named in the domain; re-exported for the actions
from feedback.models import Feedback
from feedback.services.notifications.outbox import item_facts, queue_notification


def dedupe_key(item_id: int, notice: Notice, occurrence: str) -> str:
    """One message per item, fact and occurrence (e.g. the answer cycle, the request id)."""
    return f"resident:{item_id}:{notice.value}:{occurrence}"


def tell_resident(item: Feedback, notice: Notice, *, occurrence: str, now: datetime,
                  when: datetime | None = None, unit: str | None = None) -> bool:
    """Queue ``notice`` about ``item`` to its submitter's email (``when`` is the date it names:
    the new due date of an extension; ``unit`` the unit's name, for ROUTED). True when this call
    created the row; False without an email, or when this occurrence was told already (dedupe
    key). Does not commit."""
    row = resident_notice(item, notice, occurrence=occurrence, now=now, when=when, unit=unit)
    if row is None:
        return False
    return queue_notification(str(row.pop("dedupe_key")), str(row.pop("kind")), subject=str(row.pop("subject")),
                              body=str(row.pop("body")), now=now, feedback_id=item.id,
                              recipient_email=item.submitter_email)


def resident_notice(item: Feedback, notice: Notice, *, occurrence: str, now: datetime,
                    when: datetime | None = None, unit: str | None = None) -> dict[str, object] | None:
    """The notification row ``tell_resident`` queues (for ``outbox.queue_notifications``, so that a
    caller can queue it with others in one statement); None without an email. Writes nothing."""
    if not item.submitter_email or not item.code:
        return None
    config = current_app.config
    language = item.language if item.language in config["LANGUAGES"] else str(config["BABEL_DEFAULT_LOCALE"])
    with force_locale(language):
        subject, body = _render(item, notice, when or now, unit or "")
    return dict(dedupe_key=dedupe_key(item.id, notice, occurrence), kind=f"resident_{notice.value}",
                subject=subject[:255], body=body, feedback_id=item.id, recipient_email=item.submitter_email)


def _render(item: Feedback, notice: Notice, when: datetime, unit: str) -> tuple[str, str]:
    facts = item_facts(item)
    config = current_app.config
    with current_app.test_request_context(base_url=str(config["PUBLIC_BASE_URL"])):
        url = url_for("public.track", code=facts["code"], _external=True)
    date = local_date(when).strftime("%d/%m/%Y")
    subjects = {
        Notice.ROUTED: _("Ý kiến %(code)s đã được chuyển đến đơn vị xử lý", code=facts["code"]),
        Notice.ACCEPTED: _("Ý kiến %(code)s đã được thụ lý", code=facts["code"]),
        Notice.INFORMATION_NEEDED: _("Ý kiến %(code)s: đơn vị đề nghị bạn bổ sung thông tin", code=facts["code"]),
        Notice.EXTENDED: _("Ý kiến %(code)s: thời hạn giải quyết được gia hạn", code=facts["code"]),
        Notice.ANSWERED: _("Ý kiến %(code)s đã có câu trả lời", code=facts["code"]),
        Notice.REJECTED: _("Ý kiến %(code)s không được thụ lý", code=facts["code"]),
        Notice.REOPENED: _("Ý kiến %(code)s đã được mở lại", code=facts["code"]),
    }
    lines = {
        Notice.ROUTED: _("Ý kiến của bạn đã được chuyển đến %(unit)s để giải quyết.", unit=unit),
        Notice.ACCEPTED: _("Đơn vị xử lý đã thụ lý ý kiến của bạn (%(kind)s) ngày %(date)s.",
                           kind=facts["kind"], date=date),
        Notice.INFORMATION_NEEDED: _(
            "Đơn vị xử lý cần bạn bổ sung thông tin cho ý kiến (%(kind)s). Thời hạn giải quyết tạm dừng "
            "cho đến khi bạn trả lời. Hãy mở đường liên kết riêng bạn nhận khi gửi ý kiến để xem câu hỏi "
            "và trả lời.", kind=facts["kind"]),
        Notice.EXTENDED: _("Thời hạn giải quyết ý kiến của bạn (%(kind)s) được gia hạn đến ngày %(date)s.",
                           kind=facts["kind"], date=date),
        Notice.ANSWERED: _(
            "Đơn vị xử lý đã trả lời ý kiến của bạn (%(kind)s) ngày %(date)s. Hãy mở đường liên kết riêng "
            "bạn nhận khi gửi ý kiến để đọc câu trả lời và đánh giá.", kind=facts["kind"], date=date),
        Notice.REJECTED: _(
            "Đơn vị xử lý không thụ lý ý kiến của bạn (%(kind)s). Lý do được nêu trên trang theo dõi qua "
            "đường liên kết riêng bạn nhận khi gửi ý kiến.", kind=facts["kind"]),
        Notice.REOPENED: _("Ý kiến của bạn (%(kind)s) được mở lại ngày %(date)s và chuyển về đơn vị đã trả lời để "
                           "giải quyết tiếp.", kind=facts["kind"], date=date),
    }
    body = "\n\n".join([
        str(lines[notice]),
        _("Mã theo dõi: %(code)s\nXem tình trạng xử lý: %(url)s", code=facts["code"], url=url),
        _("Thư này được gửi tự động, vui lòng không trả lời."),
    ])
    return str(subjects[notice]), body
