"""Public answered items: the latest published answer of each item whose details are public,
newest first, as the public tracking page shows them (``feedback.services.intake.tracking``).

The tracking rules hold here too: a khiếu nại or tố cáo is never listed (its answer is read only
through the resident's secret link, ``feedback.domain.tracking.details_are_public``), and nothing
the resident wrote (title, body) nor their name or contact is shown: the item's code, kind, topic,
place, the unit as it was when it answered (frozen on the answer), the time and the answer's text.
The Front's recommendations are not residents' items and are never listed (``resident_items_only``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from feedback.domain.handling import DraftStatus
from feedback.domain.status import Kind
from feedback.domain.tracking import details_are_public
from feedback.extensions import db
from feedback.models import Answer, Feedback, Locality, LocalityLevel, Topic
from feedback.services.hotspots import resident_items_only

PUBLIC_KINDS = tuple(kind for kind in Kind if details_are_public(kind))


@dataclass(frozen=True)
class PublicAnswer:
    code: str
    kind: Kind
    topic_name: str
    topic_name_en: str | None
    place: str  # the village and commune, or the commune
    unit_code: str
    unit_name: str
    answered_at: datetime
    answer: str

    @property
    def name(self) -> str:  # for ``local_name`` on the topic
        return self.topic_name

    @property
    def name_en(self) -> str | None:
        return self.topic_name_en


# The list goes this deep and no further: the newest answers, 20 a page, are what a reader pages
# through; a unit's older ones are one filter away (``unit_code``). Each page is read by walking
# the answers newest first, so a page's cost grows with its depth: bounded here, for anyone.
MAX_PAGES = 500


@dataclass(frozen=True)
class AnswerPage:
    """One page of the list. ``more``: a later page exists. ``pages``: the number of pages, known
    on the last page only (None before it: counting every answer of the platform for the pager
    read them all, seconds at a million answers). ``capped``: the page is the last one listed
    (``MAX_PAGES``) and older answers exist."""

    answers: tuple[PublicAnswer, ...]
    page: int
    more: bool
    pages: int | None
    capped: bool = False


def _listed(unit_code: str | None) -> list[ColumnElement[bool]]:
    later = aliased(Answer)
    newest = ~exists().where(later.feedback_id == Answer.feedback_id, later.status == DraftStatus.PUBLISHED,
                             later.cycle > Answer.cycle)
    conditions = [Answer.status == DraftStatus.PUBLISHED, Answer.published_at.is_not(None), newest,
                  Feedback.kind.in_(PUBLIC_KINDS), resident_items_only()]
    if unit_code:
        conditions.append(Answer.unit_code == unit_code)
    return conditions


def answer_pages(*, per_page: int = 20, unit_code: str | None = None) -> int:
    """The number of pages of the list (at least 1, at most ``MAX_PAGES``): counts at most the
    answers of ``MAX_PAGES`` pages. For a page asked past the end only."""
    up_to = MAX_PAGES
    shown = (select(Answer.id).join(Feedback, Answer.feedback_id == Feedback.id).where(and_(*_listed(unit_code)))
             .order_by(Answer.published_at.desc(), Answer.id.desc()).limit(up_to * per_page))
    total = int(db.session.scalar(select(func.count()).select_from(shown.subquery())) or 0)
    return min(max(1, -(-total // per_page)), up_to)


def answered_items(*, page: int = 1, per_page: int = 20, unit_code: str | None = None) -> AnswerPage:
    """Page ``page`` (1 to ``MAX_PAGES``; no answer past the end) of the public answered items,
    newest answer first; only those answered by the unit with ``unit_code`` when given. Reads the
    page's answers and one more (whether a next page exists), newest first along the published
    answers' index. Read only."""
    page = max(page, 1)
    if page > MAX_PAGES:
        return AnswerPage((), page, False, None)
    place = aliased(Locality)
    parent = aliased(Locality)
    rows = db.session.execute(
        select(Feedback.code, Feedback.kind, Topic.name, Topic.name_en, place.name, place.level, parent.name,
               Answer.unit_code, Answer.unit_name, Answer.published_at, Answer.text)
        .join(Feedback, Answer.feedback_id == Feedback.id)
        .join(Topic, Feedback.topic_id == Topic.id)
        .join(place, Feedback.locality_id == place.id)
        .outerjoin(parent, place.parent_id == parent.id)
        .where(and_(*_listed(unit_code)))
        .order_by(Answer.published_at.desc(), Answer.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    truncated = len(rows) > per_page
    answers = tuple(
        PublicAnswer(str(code), kind, topic, topic_en or None,
                     f"{name}, {parent_name}" if level == LocalityLevel.VILLAGE and parent_name else name,
                     unit_code_, unit_name, cast(datetime, published), text)  # published_at IS NOT NULL
        for code, kind, topic, topic_en, name, level, parent_name, unit_code_, unit_name, published, text
        in rows[:per_page]
    )
    return AnswerPage(answers, page, truncated and page < MAX_PAGES, None if truncated or not answers else page,
                      capped=truncated and page == MAX_PAGES)
