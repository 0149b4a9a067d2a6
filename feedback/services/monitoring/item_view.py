"""One item as the Front or an Inspection Board member sees it: read only.

The same read model as the unit's page (``workspace.unit_item``: facts, clocks with the time
left or late, files, timeline), found only through the one access rule (an item outside the
viewer's territory is ItemNotFound, as an unknown code), plus the answers the units published
and the resident's ratings of them. The resident's name and contact are there only when
``may_see_personal_data`` allows it (a Front monitor in its territory; never an Inspection Board
member, DESIGN.md §1), and every such display is logged with the page "monitor.item".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from feedback.domain.access import Viewer
from feedback.domain.handling import DraftStatus
from feedback.domain.satisfaction import REASON_LABELS, Reason
from feedback.extensions import db
from feedback.models import Answer, Attachment, Event, Rating, User
from feedback.services.items import record_personal_data_view
from feedback.services.workspace import AttachmentFile, ItemNotFound, UnitItem, attachment_file, unit_item

__all__ = ["AttachmentFile", "ItemNotFound", "MonitorItem", "PublishedAnswer", "monitor_file", "monitor_item",
           "record_view"]

# The page name written in the personal-data log.
PAGE = "monitor.item"


@dataclass(frozen=True)
class PublishedAnswer:
    """A published answer of one cycle, the unit as it was then, and its rating if any."""

    cycle: int
    text: str
    unit_name: str
    published_at: datetime
    score: int | None
    reason: Reason | None
    rated_at: datetime | None

    @property
    def reason_text(self) -> str | None:
        """The reason in Vietnamese (the msgid the rating form uses, so pages can translate it)."""
        return REASON_LABELS.get(self.reason) if self.reason is not None else None


@dataclass(frozen=True)
class MonitorItem:
    shown: UnitItem
    answers: tuple[PublishedAnswer, ...]


def _public_file_ids(feedback_id: int) -> set[int]:
    """The files the Front may see: the resident's own and those of published answers (a draft's
    files stay the unit's until the answer is published)."""
    published = select(Answer.id).where(Answer.feedback_id == feedback_id, Answer.status == DraftStatus.PUBLISHED)
    return set(db.session.scalars(select(Attachment.id).where(
        Attachment.feedback_id == feedback_id,
        Attachment.answer_id.is_(None) | Attachment.answer_id.in_(published))))


def monitor_item(code: str, *, viewer: Viewer, now: datetime) -> MonitorItem:
    """The item ``code`` as ``viewer`` may see it, with its published answers and ratings, and
    its files but those of unpublished drafts. Raises ItemNotFound for an unknown item and for
    one outside the viewer's territory. Read only: the caller logs a display of personal data
    with ``record_view``."""
    seen = unit_item(code, viewer=viewer, now=now)
    allowed = _public_file_ids(seen.detail.id)
    shown = UnitItem(seen.detail, seen.clocks, tuple(f for f in seen.files if f.id in allowed))
    ratings = {r.cycle: r for r in db.session.scalars(select(Rating).where(Rating.feedback_id == shown.detail.id))}
    answers = tuple(
        PublishedAnswer(a.cycle, a.text, a.unit_name, a.published_at,
                        ratings[a.cycle].score if a.cycle in ratings else None,
                        ratings[a.cycle].reason if a.cycle in ratings else None,
                        ratings[a.cycle].rated_at if a.cycle in ratings else None)
        for a in db.session.scalars(select(Answer).where(Answer.feedback_id == shown.detail.id,
                                                         Answer.status == DraftStatus.PUBLISHED)
                                    .order_by(Answer.cycle))
        if a.published_at is not None
    )
    return MonitorItem(shown, answers)


def monitor_file(code: str, attachment_id: int, *, viewer: Viewer) -> AttachmentFile:
    """The file ``attachment_id`` of item ``code`` when ``viewer`` may see the item and the file is
    the resident's or a published answer's; ItemNotFound otherwise. Read only."""
    found = attachment_file(code, attachment_id, viewer=viewer)
    feedback_id = db.session.scalar(select(Attachment.feedback_id).where(Attachment.id == found.id))
    if feedback_id is None or found.id not in _public_file_ids(feedback_id):
        raise ItemNotFound(code)
    return found


def record_view(item: MonitorItem, viewer: User, now: datetime) -> Event | None:
    """Log (and commit) that ``viewer`` was shown the resident's details on the monitor's item
    page; None (nothing written) when the page shows none."""
    return record_personal_data_view(item.shown.detail, viewer, now, page=PAGE)
