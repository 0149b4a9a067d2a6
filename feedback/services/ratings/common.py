"""Steps the resident's rating actions share: the item by code and secret token, locked; the
published answer of its current cycle; the domain's refusals as the typed errors of handling."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.satisfaction import COMMENT_MAX_CHARS, RatingRefusal, RatingRefused
from feedback.domain.status import Origin
from feedback.domain.tracking import token_matches
from feedback.extensions import db
from feedback.models import Answer, Feedback, Rating, Reopening
from feedback.services.handling import HandlingError, InvalidInput, ItemNotFound, WrongStatus, published_answer


def resident_item(code: str, token: str, *, lock: bool) -> Feedback:
    """The item with ``code`` whose secret token is ``token`` (row locked when ``lock``);
    ItemNotFound otherwise, the same for a wrong code and a wrong token."""
    query = select(Feedback).where(Feedback.code == code, Feedback.origin == Origin.RESIDENT)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    item = db.session.scalar(query)
    if item is None or not token or not token_matches(token, item.token_hash):
        raise ItemNotFound(_("Không tìm thấy ý kiến."))
    return item


def answer_to_rate(item: Feedback) -> Answer | None:
    """The published answer of the item's current cycle, or None when there is nothing to rate
    (no answer yet, or the item was reopened and the unit is answering again)."""
    answer = published_answer(item.id)
    if answer is None or item.answered_at is None:
        return None
    return None if reopening_of(item, answer.cycle) is not None else answer


def reopening_of(item: Feedback, cycle: int) -> Reopening | None:
    return db.session.scalar(select(Reopening).where(Reopening.feedback_id == item.id, Reopening.cycle == cycle))


def rating_of(item: Feedback, cycle: int) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.feedback_id == item.id, Rating.cycle == cycle))


def refusal_error(refused: RatingRefused) -> HandlingError:
    """The resident's message for a domain refusal."""
    messages = {
        RatingRefusal.BAD_SCORE: _("Hãy chọn một mức đánh giá từ 1 đến 5."),
        RatingRefusal.REASON_NEEDED: _("Với mức đánh giá dưới 3, hãy chọn lý do bạn chưa hài lòng."),
        RatingRefusal.COMMENT_TOO_LONG: _("Nhận xét dài quá %(limit)s ký tự.",
                                          limit=format_decimal(COMMENT_MAX_CHARS)),
        RatingRefusal.CHANGE_WINDOW_OVER: _("Đánh giá chỉ sửa được trong 7 ngày kể từ khi bạn đánh giá."),
        RatingRefusal.NOT_UNSATISFIED: _("Chỉ mở lại được ý kiến khi bạn đánh giá dưới mức 3 (bình thường)."),
        RatingRefusal.REOPEN_WINDOW_OVER: _("Đã quá 30 ngày kể từ khi có câu trả lời: không thể mở lại ý kiến."),
    }
    wrong_time = {RatingRefusal.CHANGE_WINDOW_OVER, RatingRefusal.REOPEN_WINDOW_OVER, RatingRefusal.NOT_UNSATISFIED}
    error_type = WrongStatus if refused.code in wrong_time else InvalidInput
    return error_type(messages[refused.code])
