"""What the body that issued a supervision recommendation is told when the unit publishes its
answer: the Front committee of the issuer's membership (by the unit's address), else the issuer's
own address; once per answer cycle, through the outbox, in the default locale. Like every
notification it names the code and the unit, never the text: the issuer reads the answer after
logging in (``/monitor/recommendations``)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Answer, Feedback, Recommendation, User
from feedback.services.notifications.outbox import queue_notification


def tell_issuer(item: Feedback, *, now: datetime) -> bool:
    """Queue "the unit answered your recommendation" for ``item`` when it carries a
    recommendation and its latest answer is published. True when this call created the row;
    False for a resident's item, with no address, or when this cycle was told already. Does not
    commit."""
    recommendation = db.session.scalar(select(Recommendation).where(Recommendation.feedback_id == item.id))
    if recommendation is None:
        return False
    cycle = db.session.scalar(select(Answer.cycle).where(Answer.feedback_id == item.id, Answer.published_at.is_not(None))
                              .order_by(Answer.cycle.desc()).limit(1))
    issuer = db.session.get(User, recommendation.issuer_id)
    email = issuer.email if issuer is not None and recommendation.issuer_unit_id is None else None
    if recommendation.issuer_unit_id is None and not email:
        return False
    code = item.code or str(item.id)
    url = f"{str(current_app.config['PUBLIC_BASE_URL']).rstrip('/')}/monitor/recommendations/{recommendation.id}"
    subject = _("Kiến nghị %(code)s đã được %(unit)s trả lời", code=code, unit=recommendation.unit_name)
    body = "\n\n".join([
        _("%(unit)s đã công bố câu trả lời kiến nghị %(code)s.", unit=recommendation.unit_name, code=code),
        _("Đăng nhập hệ thống để đọc câu trả lời: %(url)s", url=url),
        _("Thư này được gửi tự động, vui lòng không trả lời."),
    ])
    return queue_notification(
        f"recommendation:{recommendation.id}:answered:{cycle}", "recommendation_answered",
        subject=subject[:255], body=body, now=now, feedback_id=item.id,
        recipient_unit_id=recommendation.issuer_unit_id, recipient_email=email,
    )
