"""One item as its unit sees it: the administrator's full read model, plus the time left or late
on every clock and the attachments as downloadable files.

Reads through the one access rule: ``admin_view.item_detail`` finds the item only through
``visible_items_filter(viewer)`` and shows the resident only under ``may_see_personal_data``;
``attachment_file`` finds a file only on an item the viewer may see. Another unit's item or file
is ItemNotFound, exactly as an item that does not exist (the page answers 404 for both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from feedback.domain.access import Viewer
from feedback.domain.lateness import Distance
from feedback.extensions import db
from feedback.models import Attachment, Event, Feedback, User
from feedback.services.access import visible_items_filter
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.items.admin_view import DeadlineRow, ItemDetail, ItemNotFound, item_detail
from feedback.services.items.admin_view import record_file_view
from feedback.services.items.admin_view import record_personal_data_view as _record
from feedback.services.recommendations import RecommendationFacts, recommendation_facts
from feedback.services.workspace.inbox import clock_distance

__all__ = ["AttachmentFile", "ClockView", "ItemNotFound", "UnitItem", "attachment_file", "open_attachment",
           "record_personal_data_view", "unit_item"]

# Stored file names are 32 hex digits (feedback.services.intake.uploads.stage); anything else
# is refused before a path is built from it.
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")
# The page name written in the personal-data log, as the admin page writes "admin.item_detail".
PAGE = "units.item"


@dataclass(frozen=True)
class ClockView:
    """A clock with how far it is from its due time: ``distance`` None once met or stopped (or
    for a due date the calendar does not cover)."""

    row: DeadlineRow
    distance: Distance | None


@dataclass(frozen=True)
class AttachmentFile:
    """A file of an item: what the download needs (``storage_name`` under UPLOAD_DIR)."""

    id: int
    original_name: str
    content_type: str
    size: int
    created_at: datetime
    storage_name: str
    feedback_id: int
    from_resident: bool  # sent by the resident (not a file of the unit's answer)


@dataclass(frozen=True)
class UnitItem:
    detail: ItemDetail
    clocks: tuple[ClockView, ...]
    files: tuple[AttachmentFile, ...]
    # Set when the item carries a supervision recommendation of the Front or the Inspection Board.
    recommendation: RecommendationFacts | None = None


def unit_item(code: str, *, viewer: Viewer, now: datetime) -> UnitItem:
    """Everything about the item ``code`` that ``viewer`` may see (``admin_view.item_detail``: the
    timeline of public and internal events, every clock, the resident only under the identity
    rule), each clock with the days left or late as it counts them, and the files with their ids.
    Raises ItemNotFound for an unknown item and for one the viewer may not see. Read only: the
    caller logs a display of personal data with ``record_personal_data_view``."""
    detail = item_detail(code, viewer=viewer, now=now)
    calendar = calendar_for(now, *(d.due_at for d in detail.deadlines if d.due_at < now))
    clocks = tuple(
        ClockView(row, None if (row.met_at or row.closed_at)
                  else clock_distance(row.due_at, row.day_type, now, calendar, overdue=row.overdue))
        for row in detail.deadlines
    )
    files = tuple(
        AttachmentFile(a.id, a.original_name, a.content_type, a.size, a.created_at, a.storage_name, a.feedback_id,
                       a.answer_id is None)
        for a in db.session.scalars(select(Attachment).where(Attachment.feedback_id == detail.id)
                                    .order_by(Attachment.id))
    )
    return UnitItem(detail, clocks, files, recommendation_facts(detail.id))


def open_attachment(code: str, attachment_id: int, *, viewer: Viewer, user: User, now: datetime) -> AttachmentFile:
    """``attachment_file`` for a staff member who opens it now: a file the resident sent (not
    one of the unit's answer) is logged as a view of personal data (``record_file_view``,
    commits) before it is served. Raises as ``attachment_file``."""
    found = attachment_file(code, attachment_id, viewer=viewer)
    if found.from_resident:
        record_file_view(found.feedback_id, code, found.id, user, now)
    return found


def attachment_file(code: str, attachment_id: int, *, viewer: Viewer) -> AttachmentFile:
    """The file ``attachment_id`` of item ``code``, when ``viewer`` may see that item. Raises
    ItemNotFound when the item is unknown or not visible, when the file belongs to another item,
    and when its stored name is not one the intake writes. Read only."""
    row = db.session.scalar(
        select(Attachment).join(Feedback, Attachment.feedback_id == Feedback.id)
        .where(Attachment.id == attachment_id, Feedback.code == code, visible_items_filter(viewer)))
    if row is None or not _STORAGE_NAME.fullmatch(row.storage_name):
        raise ItemNotFound(code)
    return AttachmentFile(row.id, row.original_name, row.content_type, row.size, row.created_at, row.storage_name,
                          row.feedback_id, row.answer_id is None)


def record_personal_data_view(item: UnitItem, viewer: User, now: datetime) -> Event | None:
    """Log (and commit) that ``viewer`` was shown the resident's details on the unit's item page,
    exactly as the admin page does (``admin_view.record_personal_data_view``, page "units.item").
    None when the page shows no personal data."""
    return _record(item.detail, viewer, now, page=PAGE)
