"""The resident rates the published answer through the secret link: one rating per answer
cycle, changeable for 7 days, attributed to the unit that published the answer as it was then.
A rating of 3 or more closes the answered item. Also what the secret-link page shows about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from feedback.domain.events import Actor, EventAction
from feedback.domain.satisfaction import (
    RatingRefusal, RatingRefused, Reason, checked_rating, closes_item, may_change, may_offer_reopen,
    reopen_open_until,
)
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Rating
from feedback.services.audit import record_event
from feedback.services.handling import ItemNotFound, WrongStatus, published_answer
from feedback.services.ratings.common import (
    answer_to_rate, rating_of, refusal_error, reopening_of, resident_item,
)


@dataclass(frozen=True)
class Rated:
    rating_id: int
    score: int
    changed: bool  # True when this call changed an earlier rating of the same cycle
    closed: bool  # True when this call closed the item


def rate(code: str, token: str, score: object, *, reason: str | None = None, comment: str | None = None,
         now: datetime) -> Rated:
    """Rate the published answer of the item's current cycle (``code`` + secret ``token``); commits.

    ``score`` as submitted ("1".."5"); below 3 ``reason`` must be a ``Reason`` value (dropped
    from 3 up); ``comment`` optional. The first rating of a cycle is inserted (unique per item
    and cycle) with the answer's frozen unit and a public "rated" event; a second one within 7
    days of the first changes it in place (``changed_at``, "rating_changed"), later WrongStatus.
    A score of 3 or more closes an answered item (public "closed" event); a change below 3 of
    the rating that closed it, within 30 days of the answer, puts it back to answered (public
    "closure_undone" event) so that the resident may still reopen it. Errors, nothing
    written: ItemNotFound (wrong code or token), WrongStatus (no published answer to rate, the
    item reopened, change window over), InvalidInput (score not 1..5, reason missing below 3,
    comment too long).
    """
    try:
        item = resident_item(code, token, lock=True)
        answer = answer_to_rate(item)
        if answer is None or item.status not in (Status.ANSWERED, Status.CLOSED):
            raise WrongStatus(_("Chưa có câu trả lời để đánh giá."))
        try:
            checked_score, checked_reason, text = checked_rating(score, reason, comment)
            existing = rating_of(item, answer.cycle)
            if existing is not None and not may_change(existing.rated_at, now):
                raise RatingRefused(RatingRefusal.CHANGE_WINDOW_OVER)
        except RatingRefused as refused:
            raise refusal_error(refused) from refused
        values = {"score": int(checked_score), "reason": checked_reason.value if checked_reason else None,
                  "cycle": answer.cycle, "unit_code": answer.unit_code}
        if existing is None:
            rating = Rating(feedback_id=item.id, answer_id=answer.id, cycle=answer.cycle, score=int(checked_score),
                            reason=checked_reason, comment=text, rated_at=now, unit_id=answer.unit_id,
                            unit_code=answer.unit_code, unit_name=answer.unit_name)
            db.session.add(rating)
            db.session.flush()
            record_event(item, EventAction.RATED, actor=Actor.resident(), at=now, after=values)
        else:
            rating = existing
            before = {"score": rating.score, "reason": rating.reason.value if rating.reason else None}
            rating.score, rating.reason, rating.comment, rating.changed_at = (
                int(checked_score), checked_reason, text, now)
            record_event(item, EventAction.RATING_CHANGED, actor=Actor.resident(), at=now, before=before,
                         after=values)
        if item.status is Status.CLOSED and not closes_item(checked_score) \
                and answer.published_at is not None and may_offer_reopen(int(checked_score), answer.published_at, now):
            # closed by this cycle's earlier rating of 3 or more (the 30-day closing comes only
            # after the reopen window): the change below 3 must keep the offer to reopen
            item.status = next_status(item.status, Status.ANSWERED)
            item.updated_at = now
            record_event(item, EventAction.CLOSURE_UNDONE, actor=Actor.resident(), at=now,
                         after={"score": int(checked_score), "cycle": answer.cycle})
        closed = item.status is Status.ANSWERED and closes_item(checked_score)
        if closed:
            item.status = next_status(item.status, Status.CLOSED)
            item.updated_at = now
            record_event(item, EventAction.CLOSED, actor=Actor.resident(), at=now,
                         after={"why": "rated", "score": int(checked_score), "cycle": answer.cycle})
        db.session.commit()
        return Rated(rating.id, rating.score, changed=existing is not None, closed=closed)
    except IntegrityError as conflict:  # a concurrent first rating of the same cycle won
        db.session.rollback()
        raise WrongStatus(_("Đánh giá của bạn vừa được ghi nhận: hãy tải lại trang.")) from conflict
    except BaseException:
        db.session.rollback()
        raise


@dataclass(frozen=True)
class RatingPanel:
    """What the secret-link page shows about rating the current answer."""

    cycle: int
    answered_at: datetime
    unit_name: str
    score: int | None  # the resident's rating of this cycle, if any
    reason: Reason | None
    comment: str | None
    rated_at: datetime | None
    may_rate: bool  # not rated yet, or still within the 7 days to change it
    may_reopen: bool  # rated below 3, item answered, within 30 days of the answer
    reopen_until: datetime
    reopened_at: datetime | None  # the resident reopened this cycle


def rating_panel(code: str, token: str, *, now: datetime) -> RatingPanel | None:
    """The rating state of the item's latest published answer, for its resident; None when there
    is no published answer or the code/token do not match. Reads only."""
    try:
        item = resident_item(code, token, lock=False)
    except ItemNotFound:
        return None
    answer = published_answer(item.id)
    if answer is None or answer.published_at is None:
        return None
    rating = rating_of(item, answer.cycle)
    reopening = reopening_of(item, answer.cycle)
    score = rating.score if rating is not None else None
    open_status = item.status in (Status.ANSWERED, Status.CLOSED) and reopening is None
    return RatingPanel(
        cycle=answer.cycle, answered_at=answer.published_at, unit_name=answer.unit_name, score=score,
        reason=rating.reason if rating is not None else None, comment=rating.comment if rating is not None else None,
        rated_at=rating.rated_at if rating is not None else None,
        may_rate=open_status and (rating is None or may_change(rating.rated_at, now)),
        may_reopen=item.status is Status.ANSWERED and reopening is None
        and may_offer_reopen(score, answer.published_at, now),
        reopen_until=reopen_open_until(answer.published_at),
        reopened_at=reopening.reopened_at if reopening is not None else None,
    )

