"""Pure rules of a unit's handling of an item (DESIGN.md §4): why an item may be refused, the
life of an answer draft, and what a valid answer text is.

Values in, values out; no Flask, no SQLAlchemy. The services in ``feedback.services.handling``
load rows, ask these rules and ``feedback.domain.status`` / ``feedback.domain.access``, write
and commit.
"""

from __future__ import annotations

from enum import StrEnum

from feedback.domain.status import Kind
from feedback.domain.text import without_controls

ANSWER_MAX_CHARS = 20_000
NOTE_MAX_CHARS = 5_000
REASON_MAX_CHARS = 2_000


class RejectReason(StrEnum):
    """Why a unit refuses an item (the resident is told which)."""

    OUT_OF_REMIT = "out_of_remit"  # not the unit's competence: the existing return/transfer
    DUPLICATE = "duplicate"  # the same matter as another item (linked by its code)
    INVALID_KIND = "invalid_kind"  # e.g. an anonymous tố cáo, which the law does not accept as one
    ABUSIVE = "abusive"  # insults, spam, nothing to answer


class DraftStatus(StrEnum):
    """The life of one answer (one per answer cycle)."""

    DRAFT = "draft"  # being written by an officer
    SUBMITTED = "submitted"  # waiting for the unit head's approval; nobody edits it
    RETURNED = "returned"  # the head sent it back with a comment; editable again
    PUBLISHED = "published"  # approved and shown to the resident; final


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


class InvalidText(ValueError):
    """A text outside 1..``limit`` characters once trimmed (``problem`` says which)."""

    def __init__(self, problem: TextProblem, limit: int) -> None:
        super().__init__(f"{problem.value} (limit {limit})")
        self.problem = problem
        self.limit = limit


class InvalidDraftTransition(Exception):
    """The draft cannot go from ``current`` to ``target``."""

    def __init__(self, current: DraftStatus, target: DraftStatus) -> None:
        super().__init__(f"cannot go from {current} to {target}")
        self.current = current
        self.target = target


_DRAFT_TRANSITIONS: dict[DraftStatus, frozenset[DraftStatus]] = {
    DraftStatus.DRAFT: frozenset({DraftStatus.DRAFT, DraftStatus.SUBMITTED, DraftStatus.PUBLISHED}),
    DraftStatus.SUBMITTED: frozenset({DraftStatus.RETURNED, DraftStatus.PUBLISHED}),
    DraftStatus.RETURNED: frozenset({DraftStatus.DRAFT, DraftStatus.SUBMITTED, DraftStatus.PUBLISHED}),
    DraftStatus.PUBLISHED: frozenset(),
}


def next_draft_status(current: DraftStatus, target: DraftStatus) -> DraftStatus:
    """``target`` when the draft may move there from ``current``, else InvalidDraftTransition.

    Editing keeps or makes it a DRAFT; only a submitted draft may be returned; a published answer
    is final. Publishing a draft that was never submitted is allowed by this table: whether the
    publisher may skip the approval (a head publishing their own draft) is ``may_publish``'s call.
    """
    if target not in _DRAFT_TRANSITIONS[current]:
        raise InvalidDraftTransition(current, target)
    return target


def may_publish(status: DraftStatus, *, publisher_is_author: bool) -> bool:
    """Whether a head (APPROVE already checked) may publish a draft in ``status``: a submitted one,
    or their own draft without submitting it to themselves. Pure."""
    if status is DraftStatus.SUBMITTED:
        return True
    return publisher_is_author and status in (DraftStatus.DRAFT, DraftStatus.RETURNED)


def checked_text(text: str | None, limit: int) -> str:
    """``text`` without control characters other than tab and line ends (a NUL, which PostgreSQL
    cannot store, made the note, the question to the resident, the answer... a 500), trimmed,
    when it holds 1..``limit`` characters; else InvalidText. Pure."""
    cleaned = without_controls(text or "").strip()
    if not cleaned:
        raise InvalidText(TextProblem.EMPTY, limit)
    if len(cleaned) > limit:
        raise InvalidText(TextProblem.TOO_LONG, limit)
    return cleaned


def may_keep_as_report(kind: Kind, *, anonymous: bool) -> bool:
    """An anonymous tố cáo is not a tố cáo in law (Luật Tố cáo 2018 Art. 23, 25): the unit may
    keep it as a phản ánh instead of refusing it. Pure."""
    return kind is Kind.DENUNCIATION and anonymous
