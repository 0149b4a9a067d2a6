"""An unsatisfied resident reopens the answered item (DESIGN.md §6): it goes back to the unit
that answered, with a new answer cycle and a new resolution clock, and the Front committee of
the item's commune is told, as is the unit."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from feedback.domain.assignments import EndReason
from feedback.domain.events import Actor, EventAction
from feedback.domain.satisfaction import REASON_LABELS, RatingRefused, check_reopen
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Answer, Feedback, Reopening, Unit
from feedback.services.audit import record_event
from feedback.services.deadlines.clocks import open_reopened_resolution
from feedback.services.handling import WrongStatus
from feedback.services.notifications.outbox import item_facts, queue_notification
from feedback.services.ratings.common import answer_to_rate, rating_of, refusal_error, resident_item
from feedback.services.routing.assignments import assign, open_assignment
from feedback.services.routing.route import dispute_unit


def reopen(code: str, token: str, *, now: datetime) -> Reopening:
    """Reopen the item (``code`` + secret ``token``) after a rating below 3; commits.

    Allowed while the item is answered, its current cycle rated below 3 and ``now`` within 30
    days of the answer's publication (``check_reopen``); otherwise WrongStatus with the reason
    (ItemNotFound for a wrong code or token). Writes a Reopening (one per cycle: a double
    click is refused as WrongStatus) attributed to the unit that published the answer, frozen.
    The item goes answered → in_progress with the answering unit; if another unit holds it
    now, it is given back (the open assignment ends, a new one starts: status assigned). A new
    RESOLUTION clock counts from ``now`` (``open_reopened_resolution``); the next draft starts
    the next answer cycle. Public "reopened" event; the answering unit and the Front committee
    of the item's commune (else province) are notified through the outbox, once each.
    """
    try:
        item = resident_item(code, token, lock=True)
        answer = answer_to_rate(item)
        if answer is None or answer.published_at is None or item.status is not Status.ANSWERED:
            raise WrongStatus(_("Ý kiến này không ở trạng thái có thể mở lại."))
        rating = rating_of(item, answer.cycle)
        try:
            check_reopen(rating.score if rating is not None else None, answer.published_at, now)
        except RatingRefused as refused:
            raise refusal_error(refused) from refused
        assert rating is not None  # check_reopen refuses a cycle without a rating
        actor = Actor.resident()
        reopening = Reopening(feedback_id=item.id, rating_id=rating.id, cycle=answer.cycle, reopened_at=now,
                              reason=rating.reason, unit_id=answer.unit_id, unit_code=answer.unit_code,
                              unit_name=answer.unit_name)
        db.session.add(reopening)
        db.session.flush()
        item.status = next_status(item.status, Status.IN_PROGRESS)
        item.updated_at = now
        record_event(item, EventAction.REOPENED, actor=actor, at=now,
                     after={"cycle": answer.cycle, "next_cycle": answer.cycle + 1, "score": rating.score,
                            "reason": rating.reason.value if rating.reason else None, "unit": answer.unit_name,
                            "unit_code": answer.unit_code})
        unit = db.session.get(Unit, answer.unit_id)
        assert unit is not None  # the answer's unit row is kept (foreign key)
        if item.current_unit_id != unit.id:
            _give_back(item, unit, now, actor)
        open_reopened_resolution(item, unit.id, now, actor=actor)
        _notify(item, answer, reopening, unit, now)
        db.session.commit()
        return reopening
    except BaseException:
        db.session.rollback()
        raise


def _give_back(item: Feedback, unit: Unit, now: datetime, actor: Actor) -> None:
    """Another unit holds the item now: the item goes back to the unit that answered."""
    current = open_assignment(item)
    if current is not None:
        current.ended_at = now
        current.end_reason = EndReason.HANDED_OVER
        current.end_reason_text = _("Người gửi mở lại ý kiến: trả về đơn vị đã trả lời")
        db.session.flush()
    assign(item, unit, rule_id=None, now=now, actor=actor,
           explanation=_("Người gửi mở lại ý kiến → %(unit)s, đơn vị đã trả lời", unit=unit.name))


def _notify(item: Feedback, answer: Answer, reopening: Reopening, unit: Unit, now: datetime) -> None:
    """One message to the answering unit and one to the Front committee of the item's commune."""
    recipients = [unit]
    front = dispute_unit(item)
    if front is not None and front.id != unit.id:
        recipients.append(front)
    with force_locale(str(current_app.config["BABEL_DEFAULT_LOCALE"])):
        facts = item_facts(item)
        reason = REASON_LABELS[reopening.reason] if reopening.reason is not None else "—"
        subject = _("Ý kiến %(code)s được người gửi mở lại", code=facts["code"])
        body = _(
            "Người gửi chưa hài lòng với câu trả lời của %(unit)s và đã mở lại ý kiến %(code)s.\n"
            "Loại: %(kind)s\n"
            "Lĩnh vực: %(topic)s\n"
            "Lý do: %(reason)s\n"
            "Ý kiến trở về %(unit)s để trả lời lại, với thời hạn giải quyết mới.\n"
            "Đăng nhập hệ thống để xem nội dung: %(url)s",
            unit=answer.unit_name, code=facts["code"], kind=facts["kind"], topic=facts["topic"], reason=reason,
            url=current_app.config["PUBLIC_BASE_URL"],
        )
    for recipient in recipients:
        queue_notification(f"reopened:{reopening.id}:{recipient.id}", "reopened", subject=subject, body=body,
                           now=now, feedback_id=item.id, recipient_unit_id=recipient.id,
                           recipient_email=recipient.email)
