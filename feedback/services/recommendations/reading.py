"""Reading recommendations: the list and one recommendation as the Front or the Board sees it
(with the unit's published answer), the facts the unit's item page shows, and the files.

Every read goes through the one access rule: a recommendation is found only when its carrying
item is visible to the viewer (``visible_items_filter``): the Front and the Board in their
territory, the unit it is addressed to, the administrator. Another unit, another territory, or
nobody logged in: not found, exactly as an unknown id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from feedback.domain.access import Viewer
from feedback.domain.deadlines import Clock
from feedback.domain.handling import DraftStatus
from feedback.domain.recommendations import RecommendationSource
from feedback.domain.status import Origin
from feedback.extensions import db
from feedback.models import Answer, Attachment, Deadline, Feedback, Recommendation, Unit, User
from feedback.services.access import visible_items_filter
from feedback.services.deadlines import deadline_is_overdue

PER_PAGE = 25


class RecommendationNotFound(LookupError):
    """No recommendation with this id that the viewer may see."""


@dataclass(frozen=True)
class SupervisionClock:
    """The SUPERVISION clock: its basis, period, due time and what became of it."""

    legal_basis: str
    period_days: int
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None
    overdue: bool

    @property
    def on_time(self) -> bool | None:
        """True/False once answered (published at or before the due time, never breached); None before."""
        if self.met_at is None:
            return None
        return self.breached_at is None and self.met_at <= self.due_at


@dataclass(frozen=True)
class RecommendationLine:
    id: int
    code: str
    title: str
    source: RecommendationSource
    unit_name: str
    issued_at: datetime
    answered_at: datetime | None
    clock: SupervisionClock | None


@dataclass(frozen=True)
class FileView:
    id: int
    original_name: str
    content_type: str
    size: int
    storage_name: str


@dataclass(frozen=True)
class AnswerView:
    text: str
    published_at: datetime
    unit_name: str
    files: tuple[FileView, ...]


@dataclass(frozen=True)
class RecommendationView:
    line: RecommendationLine
    body: str
    topic: str
    issuer: str
    issuer_body: str | None  # the Front committee (or unit) of the issuer's membership
    about_code: str | None
    files: tuple[FileView, ...]  # the issuer's files
    answer: AnswerView | None  # the unit's published answer, once there is one


@dataclass(frozen=True)
class RecommendationFacts:
    """What the unit's item page shows about the recommendation an item carries."""

    id: int
    source: RecommendationSource
    issuer: str
    issuer_body: str | None
    about_code: str | None
    issued_at: datetime


def _clock(feedback_id: int, now: datetime) -> SupervisionClock | None:
    row = db.session.scalar(select(Deadline).where(Deadline.feedback_id == feedback_id,
                                                   Deadline.clock == Clock.SUPERVISION.value)
                            .order_by(Deadline.sequence.desc()).limit(1))
    if row is None:
        return None
    return SupervisionClock(row.legal_basis, row.period_days, row.due_at, row.met_at, row.breached_at,
                  deadline_is_overdue(row, now))


def _line(recommendation: Recommendation, now: datetime) -> RecommendationLine:
    item = recommendation.item
    return RecommendationLine(recommendation.id, str(item.code), item.title, recommendation.source,
                              recommendation.unit_name, recommendation.issued_at, item.answered_at,
                              _clock(item.id, now))


def _visible(viewer: Viewer) -> Select[Recommendation]:
    return (select(Recommendation).join(Feedback, Feedback.id == Recommendation.feedback_id)
            .where(Feedback.origin == Origin.SUPERVISION, visible_items_filter(viewer))
            .options(joinedload(Recommendation.item)))


def recommendation_lines(viewer: Viewer, *, now: datetime, page: int = 1,
                         per_page: int = PER_PAGE) -> tuple[list[RecommendationLine], int]:
    """The recommendations ``viewer`` may see, newest first, one page; and the number of pages.
    Read only."""
    query = _visible(viewer).order_by(Recommendation.issued_at.desc(), Recommendation.id.desc())
    pagination = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)
    return [_line(r, now) for r in pagination.items], pagination.pages


def _files(feedback_id: int, answer_id: int | None) -> tuple[FileView, ...]:
    rows = db.session.scalars(select(Attachment).where(Attachment.feedback_id == feedback_id,
                                                       Attachment.answer_id.is_(None) if answer_id is None
                                                       else Attachment.answer_id == answer_id)
                              .order_by(Attachment.id))
    return tuple(FileView(a.id, a.original_name, a.content_type, a.size, a.storage_name) for a in rows)


def _published(feedback_id: int) -> Answer | None:
    return db.session.scalar(select(Answer).where(Answer.feedback_id == feedback_id,
                                                  Answer.status == DraftStatus.PUBLISHED)
                             .order_by(Answer.cycle.desc()).limit(1))


def recommendation_view(viewer: Viewer, recommendation_id: int, *, now: datetime) -> RecommendationView:
    """One recommendation with its clock, the issuer's files and the unit's published answer
    (never a draft). RecommendationNotFound when unknown or not visible to ``viewer``. Read only."""
    recommendation = db.session.scalar(_visible(viewer).where(Recommendation.id == recommendation_id))
    if recommendation is None:
        raise RecommendationNotFound(recommendation_id)
    item = recommendation.item
    answer = _published(item.id)
    about = recommendation.about
    issuer_body = recommendation.issuer_unit.name if recommendation.issuer_unit is not None else None
    return RecommendationView(
        line=_line(recommendation, now), body=item.body, topic=item.topic.name,
        issuer=recommendation.issuer.full_name or recommendation.issuer.username, issuer_body=issuer_body,
        about_code=about.code if about is not None else None, files=_files(item.id, None),
        answer=AnswerView(answer.text, answer.published_at, answer.unit_name, _files(item.id, answer.id))
        if answer is not None and answer.published_at is not None else None,
    )


def recommendation_file(viewer: Viewer, recommendation_id: int, attachment_id: int, *, now: datetime) -> FileView:
    """A file the issuer's side may open: one sent with the recommendation or one of the published
    answer (never a draft's). RecommendationNotFound otherwise. Read only."""
    shown = recommendation_view(viewer, recommendation_id, now=now)
    files = shown.files + (shown.answer.files if shown.answer is not None else ())
    found = next((f for f in files if f.id == attachment_id), None)
    if found is None:
        raise RecommendationNotFound(recommendation_id)
    return found


def recommendation_facts(feedback_id: int) -> RecommendationFacts | None:
    """The recommendation carried by item ``feedback_id`` (None for a resident's item); the caller
    has checked the viewer may see that item. Read only."""
    row = db.session.execute(
        select(Recommendation, User, Unit).join(User, User.id == Recommendation.issuer_id)
        .outerjoin(Unit, Unit.id == Recommendation.issuer_unit_id)
        .where(Recommendation.feedback_id == feedback_id)).first()
    if row is None:
        return None
    recommendation, issuer, body = row
    about = recommendation.about
    return RecommendationFacts(recommendation.id, recommendation.source, issuer.full_name or issuer.username,
                               body.name if body is not None else None, about.code if about is not None else None,
                               recommendation.issued_at)
