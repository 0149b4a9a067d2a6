"""Beat jobs of the rating window: answered items nobody reopened close 30 days after the
answer, and a resident who gave an email is reminded once, 3 days after the answer, to rate it.

Both are safe to run twice: closing claims each row by state (``FOR UPDATE SKIP LOCKED`` on an
answered item), the reminder relies on the outbox's unique dedupe key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select

from feedback.domain.events import Actor, EventAction
from feedback.domain.satisfaction import CLOSE_AFTER, REMIND_AFTER, closing_due, reminder_due
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Feedback, Notification, Rating
from feedback.services.audit import record_event
from feedback.services.handling import published_answer
from feedback.services.notifications.outbox import item_facts, queue_notification

BATCH = 200
REMINDER_KIND = "rating_reminder"


def close_unreopened(*, now: datetime, batch: int = BATCH) -> int:
    """Close the answered items whose answer is 30 days old or more (nobody reopened them:
    a reopening moves the item out of ``answered``); commits each; returns how many this run closed.

    Each item is claimed under ``FOR UPDATE SKIP LOCKED`` while still answered, so two runs at
    once close it once; a public "closed" event by the system records why.
    """
    cutoff = now - CLOSE_AFTER
    ids = list(db.session.scalars(
        select(Feedback.id).where(Feedback.status == Status.ANSWERED, Feedback.answered_at <= cutoff)
        .order_by(Feedback.answered_at, Feedback.id).limit(batch)))
    db.session.rollback()
    closed = 0
    for feedback_id in ids:
        item = db.session.scalar(
            select(Feedback).where(Feedback.id == feedback_id, Feedback.status == Status.ANSWERED)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))
        if item is None or item.answered_at is None or not closing_due(item.answered_at, now):
            db.session.rollback()  # closed, reopened or taken by another run meanwhile
            continue
        item.status = next_status(item.status, Status.CLOSED)
        item.updated_at = now
        record_event(item, EventAction.CLOSED, actor=Actor.system(), at=now,
                     after={"why": "no_reopening", "answered_at": item.answered_at.isoformat()})
        db.session.commit()
        closed += 1
    return closed


@dataclass(frozen=True)
class Reminded:
    examined: int
    queued: int


def remind_to_rate(*, now: datetime, batch: int = BATCH) -> Reminded:
    """Queue one reminder to rate for each answered item whose answer is 3 to 30 days old, not
    yet rated in that cycle, whose resident gave an email; commits.

    Exactly once per item and answer cycle: the dedupe key ``rating_reminder:<item>:<cycle>``
    (a second run, or a concurrent one, queues nothing). The message names the code and the
    public page only, never the secret link (``resident_notices`` says why), in the item's language.
    """
    already = exists().where(Notification.feedback_id == Feedback.id, Notification.kind == REMINDER_KIND,
                             Notification.created_at >= Feedback.answered_at)
    items = list(db.session.scalars(
        select(Feedback).where(
            Feedback.status == Status.ANSWERED, Feedback.submitter_email.is_not(None),
            Feedback.answered_at <= now - REMIND_AFTER, Feedback.answered_at > now - CLOSE_AFTER, ~already)
        .order_by(Feedback.answered_at, Feedback.id).limit(batch)))
    queued = 0
    for item in items:
        answer = published_answer(item.id)
        if answer is None or answer.published_at is None or not reminder_due(answer.published_at, now):
            continue
        rated = db.session.scalar(select(Rating.id).where(Rating.feedback_id == item.id,
                                                          Rating.cycle == answer.cycle))
        if rated is not None or not item.submitter_email:
            continue
        subject, body = _render(item)
        if queue_notification(f"{REMINDER_KIND}:{item.id}:{answer.cycle}", REMINDER_KIND, subject=subject[:255],
                              body=body, now=now, feedback_id=item.id, recipient_email=item.submitter_email):
            queued += 1
    db.session.commit()
    return Reminded(len(items), queued)


def _render(item: Feedback) -> tuple[str, str]:
    config = current_app.config
    language = item.language if item.language in config["LANGUAGES"] else str(config["BABEL_DEFAULT_LOCALE"])
    with force_locale(language):
        facts = item_facts(item)
        with current_app.test_request_context(base_url=str(config["PUBLIC_BASE_URL"])):
            url = url_for("public.track", code=facts["code"], _external=True)
        subject = _("Ý kiến %(code)s: mời bạn đánh giá câu trả lời", code=facts["code"])
        body = "\n\n".join([
            _("Đơn vị xử lý đã trả lời ý kiến của bạn (%(kind)s). Hãy mở đường liên kết riêng bạn nhận khi gửi ý "
              "kiến để đánh giá mức độ hài lòng: đánh giá của bạn giúp Mặt trận Tổ quốc giám sát việc trả lời.",
              kind=facts["kind"]),
            _("Mã theo dõi: %(code)s\nXem tình trạng xử lý: %(url)s", code=facts["code"], url=url),
            _("Thư này được gửi tự động, vui lòng không trả lời."),
        ])
    return str(subject), body
