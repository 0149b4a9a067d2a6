"""Internal notes of the unit on an item: never shown to the resident or the public."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action
from feedback.domain.events import EventAction
from feedback.domain.handling import NOTE_MAX_CHARS
from feedback.extensions import db
from feedback.models import Note, User
from feedback.services.audit import record_event
from feedback.services.handling.common import locked_item, require, text_or_refuse


def add_note(user: User, feedback_id: int, text: str, *, now: datetime) -> Note:
    """Add an internal note to the item (HANDLE: the holding unit's staff); commits.

    Any status: a unit may note things on an answered item too. The text lives in ``note``
    only; the internal "note_added" event (public=False) holds its id, never the text.
    InvalidInput for an empty or too long note; NotAllowed outside the holding unit.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        note = Note(feedback_id=item.id, author_id=user.id,
                    text=text_or_refuse(text, NOTE_MAX_CHARS, what=_("ghi chú")), created_at=now)
        db.session.add(note)
        db.session.flush()
        record_event(item, EventAction.NOTE_ADDED, actor=actor, at=now, public=False, after={"note_id": note.id})
        db.session.commit()
        return note
    except BaseException:
        db.session.rollback()
        raise


def notes_of(feedback_id: int) -> list[Note]:
    """The item's notes, oldest first (the caller has checked the viewer may see the item)."""
    return list(db.session.scalars(select(Note).where(Note.feedback_id == feedback_id).order_by(Note.id)))
