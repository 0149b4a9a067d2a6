"""Satisfaction (DESIGN.md §6): the 5-point scale, the reasons asked below 3, and the windows of
a rating: changeable for 7 days, reopening within 30 days of the answer, closing 30 days after
the answer when nobody reopened it, one reminder to rate 3 days after the answer.

Pure: values in, values out, ``now`` passed in. The labels are the Vietnamese of DESIGN.md §6;
pages translate them through ``feedback.web.labels``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from feedback.domain.text import without_controls

# The windows, counted from the fact they name (the rating, the published answer).
CHANGE_WINDOW = timedelta(days=7)  # a rating can be changed for 7 days after it was first given
REOPEN_WINDOW = timedelta(days=30)  # an unsatisfied resident may reopen within 30 days of the answer
CLOSE_AFTER = timedelta(days=30)  # an answered item nobody reopened closes 30 days after the answer
REMIND_AFTER = timedelta(days=3)  # one reminder to rate, 3 days after the answer
COMMENT_MAX_CHARS = 2000


class Score(IntEnum):
    """One rating on the 5-point scale; 4 and 5 count as satisfied (the SIPAS convention)."""

    VERY_UNSATISFIED = 1
    UNSATISFIED = 2
    NEUTRAL = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


SCORE_LABELS: dict[Score, str] = {
    Score.VERY_UNSATISFIED: "rất không hài lòng",
    Score.UNSATISFIED: "không hài lòng",
    Score.NEUTRAL: "bình thường",
    Score.SATISFIED: "hài lòng",
    Score.VERY_SATISFIED: "rất hài lòng",
}


class Reason(StrEnum):
    """Why a resident is unsatisfied (asked for scores below 3)."""

    NOT_ANSWERED = "not_answered"  # the answer does not answer what was asked
    NOT_RESOLVED = "not_resolved"  # answered, but the problem is still there
    LATE = "late"
    ATTITUDE = "attitude"


REASON_LABELS: dict[Reason, str] = {
    Reason.NOT_ANSWERED: "chưa trả lời đúng nội dung",
    Reason.NOT_RESOLVED: "đã trả lời nhưng chưa giải quyết được",
    Reason.LATE: "trả lời chậm",
    Reason.ATTITUDE: "thái độ chưa đúng mực",
}


class RatingRefusal(StrEnum):
    """Why a rating or a reopening is refused; the service words the message."""

    BAD_SCORE = "bad_score"  # not an integer from 1 to 5
    REASON_NEEDED = "reason_needed"  # below 3 without a known reason
    COMMENT_TOO_LONG = "comment_too_long"
    CHANGE_WINDOW_OVER = "change_window_over"  # a second rating more than 7 days after the first
    NOT_UNSATISFIED = "not_unsatisfied"  # reopening needs a rating below 3
    REOPEN_WINDOW_OVER = "reopen_window_over"  # more than 30 days after the answer


class RatingRefused(ValueError):
    """A rating or reopening the rules do not allow; ``code`` says which rule."""

    def __init__(self, code: RatingRefusal) -> None:
        super().__init__(code.value)
        self.code = code


def parse_score(value: object) -> Score:
    """The score of a submitted value ("1".."5" or an int); RatingRefused(BAD_SCORE) for 0, 6,
    "abc", "+3", "٣", None, booleans and anything else."""
    if isinstance(value, bool):
        raise RatingRefused(RatingRefusal.BAD_SCORE)
    text = str(value).strip()
    # One ASCII digit: int() would also take "٣" (Arabic-Indic three), " +3" or "3_0".
    if len(text) != 1 or text not in "12345":
        raise RatingRefused(RatingRefusal.BAD_SCORE)
    return Score(int(text))


def needs_reason(score: Score) -> bool:
    """Below 3 the resident says why."""
    return score < Score.NEUTRAL


def is_satisfied(score: int) -> bool:
    """4 or 5: counts in the satisfaction rate."""
    return score >= Score.SATISFIED


def closes_item(score: Score) -> bool:
    """A rating of 3 or more closes the answered item."""
    return score >= Score.NEUTRAL


def checked_rating(value: object, reason: str | None, comment: str | None) -> tuple[Score, Reason | None, str | None]:
    """Score, reason and comment of a submitted rating, or RatingRefused.

    Below 3 the reason must be one of ``Reason``; from 3 up it is dropped (None). The comment
    is trimmed, without control characters other than tab and line ends (a NUL made the rating a
    500 on PostgreSQL), None when blank, at most COMMENT_MAX_CHARS characters.
    """
    score = parse_score(value)
    chosen: Reason | None = None
    if needs_reason(score):
        try:
            chosen = Reason((reason or "").strip())
        except ValueError as error:
            raise RatingRefused(RatingRefusal.REASON_NEEDED) from error
    text = without_controls(comment or "").strip() or None
    if text is not None and len(text) > COMMENT_MAX_CHARS:
        raise RatingRefused(RatingRefusal.COMMENT_TOO_LONG)
    return score, chosen, text


def may_change(rated_at: datetime, now: datetime) -> bool:
    """A rating can be changed until 7 days after it was first given."""
    return now <= rated_at + CHANGE_WINDOW


def reopen_open_until(answered_at: datetime) -> datetime:
    """The last moment the resident may reopen the answer published at ``answered_at``."""
    return answered_at + REOPEN_WINDOW


def check_reopen(score: int | None, answered_at: datetime, now: datetime) -> None:
    """RatingRefused unless the cycle's rating is below 3 and ``now`` is within 30 days of the answer."""
    if score is None or score >= Score.NEUTRAL:
        raise RatingRefused(RatingRefusal.NOT_UNSATISFIED)
    if now > reopen_open_until(answered_at):
        raise RatingRefused(RatingRefusal.REOPEN_WINDOW_OVER)


def may_offer_reopen(score: int | None, answered_at: datetime, now: datetime) -> bool:
    """Whether the page offers the reopen button (the same rule as ``check_reopen``)."""
    try:
        check_reopen(score, answered_at, now)
    except RatingRefused:
        return False
    return True


def closing_due(answered_at: datetime, now: datetime) -> bool:
    """An answered item nobody reopened closes 30 days after the answer."""
    return now >= answered_at + CLOSE_AFTER


def reminder_due(answered_at: datetime, now: datetime) -> bool:
    """The one reminder to rate is due from 3 days after the answer until the item closes."""
    return answered_at + REMIND_AFTER <= now < answered_at + CLOSE_AFTER
