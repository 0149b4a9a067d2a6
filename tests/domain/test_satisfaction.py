"""The satisfaction rules (DESIGN.md §6) as tables: the scale, the reasons below 3, the windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback.domain.satisfaction import (
    SCORE_LABELS, RatingRefusal, RatingRefused, Reason, Score, check_reopen, checked_rating, closes_item,
    closing_due, is_satisfied, may_change, parse_score, reminder_due,
)

ANSWERED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_the_scale_has_the_five_vietnamese_labels() -> None:
    assert [SCORE_LABELS[s] for s in Score] == [
        "rất không hài lòng", "không hài lòng", "bình thường", "hài lòng", "rất hài lòng"]
    assert [is_satisfied(s) for s in Score] == [False, False, False, True, True]
    assert [closes_item(s) for s in Score] == [False, False, True, True, True]


@pytest.mark.parametrize("value", [0, 6, "0", "6", "", " ", "x", "2.5", None, True, -3, "+3", "٣", "3_0", "03", 30])
def test_anything_but_1_to_5_is_a_bad_score(value: object) -> None:
    with pytest.raises(RatingRefused) as refused:
        parse_score(value)
    assert refused.value.code is RatingRefusal.BAD_SCORE


@pytest.mark.parametrize("value, score", [("1", Score.VERY_UNSATISFIED), (" 5 ", Score.VERY_SATISFIED), (3, Score.NEUTRAL)])
def test_1_to_5_are_scores(value: object, score: Score) -> None:
    assert parse_score(value) is score


@pytest.mark.parametrize("score, reason, expected", [
    ("2", "late", (Score.UNSATISFIED, Reason.LATE, None)),
    ("1", "attitude", (Score.VERY_UNSATISFIED, Reason.ATTITUDE, None)),
    ("3", "late", (Score.NEUTRAL, None, None)),  # from 3 up the reason is dropped
    ("5", None, (Score.VERY_SATISFIED, None, None)),
])
def test_the_reason_is_kept_below_3_only(score: str, reason: str | None, expected: tuple[object, ...]) -> None:
    assert checked_rating(score, reason, "   ") == expected


@pytest.mark.parametrize("reason", [None, "", "other"])
def test_below_3_a_known_reason_is_required(reason: str | None) -> None:
    with pytest.raises(RatingRefused) as refused:
        checked_rating("2", reason, None)
    assert refused.value.code is RatingRefusal.REASON_NEEDED


def test_a_comment_longer_than_2000_characters_is_refused() -> None:
    assert checked_rating("4", None, "x" * 2000)[2] == "x" * 2000
    with pytest.raises(RatingRefused):
        checked_rating("4", None, "x" * 2001)

def test_a_comment_loses_its_control_characters() -> None:
    """Proves: no NUL reaches the database (PostgreSQL refused it: the rating answered 500); line
    ends and tabs stay; a comment of control characters only is no comment."""
    assert checked_rating("4", None, "Tốt\x00 lắm\r\n\tcảm ơn\x1b")[2] == "Tốt lắm\r\n\tcảm ơn"
    assert checked_rating("4", None, "\x00\x07")[2] is None


@pytest.mark.parametrize("after, allowed", [(timedelta(days=7), True), (timedelta(days=7, seconds=1), False)])
def test_a_rating_changes_for_7_days(after: timedelta, allowed: bool) -> None:
    assert may_change(ANSWERED, ANSWERED + after) is allowed


@pytest.mark.parametrize("score, after, refusal", [
    (2, timedelta(days=30), None),
    (1, timedelta(days=1), None),
    (2, timedelta(days=30, seconds=1), RatingRefusal.REOPEN_WINDOW_OVER),
    (3, timedelta(days=1), RatingRefusal.NOT_UNSATISFIED),
    (None, timedelta(days=1), RatingRefusal.NOT_UNSATISFIED),
])
def test_reopening_needs_below_3_within_30_days(score: int | None, after: timedelta,
                                                refusal: RatingRefusal | None) -> None:
    if refusal is None:
        check_reopen(score, ANSWERED, ANSWERED + after)
        return
    with pytest.raises(RatingRefused) as refused:
        check_reopen(score, ANSWERED, ANSWERED + after)
    assert refused.value.code is refusal


@pytest.mark.parametrize("days, remind, close", [
    (2.99, False, False), (3, True, False), (29.99, True, False), (30, False, True),
])
def test_the_reminder_and_closing_windows(days: float, remind: bool, close: bool) -> None:
    now = ANSWERED + timedelta(days=days)
    assert (reminder_due(ANSWERED, now), closing_due(ANSWERED, now)) == (remind, close)
