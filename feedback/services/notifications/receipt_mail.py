"""The confirmation a resident who gave an email address receives: "we have your item, here is
its tracking code", in the language they used, through the notification outbox, exactly once.

What it carries, and why not more: the tracking code, the kind, the date of receipt and the
public tracking page. Not the secret link, nor the title, the body or the name: the address was
typed by the resident and never verified, so a typo sends this message to a stranger, and the
secret link opens the item with the resident's name and contact (for a tố cáo, the identity the
law protects). The secret link was shown once on the receipt page; the code alone lets the
resident follow the status.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from feedback.domain.calendar import local_date
from feedback.extensions import db
from feedback.models import Feedback
from feedback.services.notifications.outbox import item_facts, queue_notification

RECEIPT_KIND = "receipt"


def dedupe_key(feedback_id: int) -> str:
    """The unique key of an item's confirmation: one per item, ever."""
    return f"receipt:{feedback_id}"


def confirm_receipt(feedback_id: int, *, now: datetime) -> bool:
    """Queue the confirmation email of item ``feedback_id`` to its submitter's address; commit.

    Returns True when this call created the notification row; False when the item does not
    exist, has no email address or no code yet, or was confirmed already (dedupe key
    ``receipt:<id>``, refused by the unique constraint even for a concurrent call). Written in
    the item's ``language`` when it is one of LANGUAGES, else in the default locale.
    Idempotent. The mailer sends the row (at least once, see ``mailer``). Routing writes the
    same row in its own transaction instead (``receipt_notice``, ``route_item(confirm=True)``).
    """
    item = db.session.get(Feedback, feedback_id, options=[joinedload(Feedback.topic)])
    notice = receipt_notice(item) if item is not None else None
    if notice is None:
        return False
    created = queue_notification(str(notice.pop("dedupe_key")), str(notice.pop("kind")), now=now,
                                 **notice)  # type: ignore[arg-type]
    db.session.commit()
    return created


def receipt_notice(item: Feedback) -> dict[str, object] | None:
    """The confirmation of ``item`` as a notification row (``outbox.queue_notifications``), or
    None when it has no email address or no code yet. Writes nothing."""
    if not item.submitter_email or not item.code:
        return None
    config = current_app.config
    language = item.language if item.language in config["LANGUAGES"] else str(config["BABEL_DEFAULT_LOCALE"])
    with force_locale(language):
        subject, body = _render(item)
    return dict(dedupe_key=dedupe_key(item.id), kind=RECEIPT_KIND, subject=subject[:255], body=body,
                feedback_id=item.id, recipient_email=item.submitter_email)


def _render(item: Feedback) -> tuple[str, str]:
    """Subject and body in the current (forced) locale."""
    facts = item_facts(item)
    config = current_app.config
    with current_app.test_request_context(base_url=str(config["PUBLIC_BASE_URL"])):
        # url_for outside a request: the public address comes from PUBLIC_BASE_URL; the page
        # opens in the resident's language (the site's url_defaults add ?lang= when needed).
        tracking_url = url_for("public.track", code=facts["code"], _external=True)
    subject = _("Đã tiếp nhận ý kiến của bạn: mã %(code)s", code=facts["code"])
    body = _(
        "Chúng tôi đã tiếp nhận ý kiến của bạn (%(kind)s) ngày %(date)s.\n\n"
        "Mã theo dõi: %(code)s\n"
        "Xem tình trạng xử lý: %(url)s\n\n"
        "Để xem toàn bộ nội dung và đánh giá câu trả lời, hãy dùng đường liên kết riêng hiện ra khi "
        "bạn gửi ý kiến. Để bảo vệ bạn, thư này không chứa đường liên kết đó, cũng không chứa nội dung "
        "hay thông tin cá nhân của bạn.\n\n"
        "Nếu bạn không gửi ý kiến nào, xin bỏ qua thư này.\n"
        "Thư này được gửi tự động, vui lòng không trả lời.",
        kind=facts["kind"],
        date=local_date(item.received_at).strftime("%d/%m/%Y"),
        code=facts["code"],
        url=tracking_url,
    )
    return subject, body


__all__ = ["RECEIPT_KIND", "confirm_receipt", "dedupe_key"]
