"""The pure rules of handling: status moves of DESIGN.md §4, the answer draft's life, who may
publish what, and the bounds of an answer text."""

from __future__ import annotations

import pytest

from feedback.domain.handling import (
    ANSWER_MAX_CHARS, DraftStatus, InvalidDraftTransition, InvalidText, TextProblem, checked_text,
    may_keep_as_report, may_publish, next_draft_status,
)
from feedback.domain.status import InvalidTransition, Kind, Status, next_status

S, D = Status, DraftStatus


@pytest.mark.parametrize("current, target", [
    (S.ASSIGNED, S.IN_PROGRESS),  # accept (thụ lý)
    (S.ASSIGNED, S.REJECTED),  # refuse before accepting
    (S.IN_PROGRESS, S.REJECTED),  # a duplicate found after accepting
    (S.IN_PROGRESS, S.ANSWERED),  # publish
    (S.ANSWERED, S.CLOSED),  # rated or the window passed
    (S.ANSWERED, S.IN_PROGRESS),  # reopened
    (S.CLOSED, S.ANSWERED),  # a rating changed below 3 within its 7 days undoes the closure
])
def test_handling_moves_are_legal(current: Status, target: Status) -> None:
    assert next_status(current, target) is target


@pytest.mark.parametrize("current, target", [
    (S.ASSIGNED, S.ANSWERED),  # an answer needs the acceptance first
    (S.RECEIVED, S.IN_PROGRESS),
    (S.REJECTED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
    (S.ANSWERED, S.REJECTED),
])
def test_other_moves_are_refused(current: Status, target: Status) -> None:
    with pytest.raises(InvalidTransition):
        next_status(current, target)


@pytest.mark.parametrize("current, target, allowed", [
    (D.DRAFT, D.DRAFT, True), (D.DRAFT, D.SUBMITTED, True), (D.DRAFT, D.RETURNED, False),
    (D.SUBMITTED, D.DRAFT, False), (D.SUBMITTED, D.RETURNED, True), (D.SUBMITTED, D.PUBLISHED, True),
    (D.RETURNED, D.DRAFT, True), (D.RETURNED, D.SUBMITTED, True),
    (D.PUBLISHED, D.DRAFT, False), (D.PUBLISHED, D.RETURNED, False), (D.PUBLISHED, D.PUBLISHED, False),
])
def test_the_life_of_a_draft(current: DraftStatus, target: DraftStatus, allowed: bool) -> None:
    if allowed:
        assert next_draft_status(current, target) is target
    else:
        with pytest.raises(InvalidDraftTransition):
            next_draft_status(current, target)


@pytest.mark.parametrize("status, own, allowed", [
    (D.SUBMITTED, False, True), (D.SUBMITTED, True, True),
    (D.DRAFT, False, False), (D.DRAFT, True, True),  # a head publishes their own draft
    (D.RETURNED, False, False), (D.PUBLISHED, True, False),
])
def test_who_may_publish(status: DraftStatus, own: bool, allowed: bool) -> None:
    assert may_publish(status, publisher_is_author=own) is allowed


@pytest.mark.parametrize("text, problem", [("", TextProblem.EMPTY), ("  \n", TextProblem.EMPTY), (None, TextProblem.EMPTY),
                                           ("x" * (ANSWER_MAX_CHARS + 1), TextProblem.TOO_LONG)])
def test_answer_text_bounds(text: str | None, problem: TextProblem) -> None:
    with pytest.raises(InvalidText) as refused:
        checked_text(text, ANSWER_MAX_CHARS)
    assert refused.value.problem is problem


def test_a_text_is_trimmed_and_may_reach_the_limit() -> None:
    assert checked_text("  trả lời \n", ANSWER_MAX_CHARS) == "trả lời"
    assert checked_text("a\x00b\x1b[31m\r\n\tc\x7f", ANSWER_MAX_CHARS) == "ab[31m\r\n\tc"  # no NUL reaches the database
    with pytest.raises(InvalidText):
        checked_text("\x00\x07", ANSWER_MAX_CHARS)
    assert len(checked_text("x" * ANSWER_MAX_CHARS, ANSWER_MAX_CHARS)) == ANSWER_MAX_CHARS


@pytest.mark.parametrize("kind, anonymous, allowed", [
    (Kind.DENUNCIATION, True, True), (Kind.DENUNCIATION, False, False),
    (Kind.COMPLAINT, True, False), (Kind.REPORT, True, False),
])
def test_only_an_anonymous_denunciation_may_be_kept_as_a_report(kind: Kind, anonymous: bool, allowed: bool) -> None:
    assert may_keep_as_report(kind, anonymous=anonymous) is allowed
