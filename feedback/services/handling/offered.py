"""What the item page offers a user: which handling actions they may take on the item now, and
what those forms need (the unit's officers, the current answer, the open requests, the notes).

Asks the same rules the actions check (``feedback.domain.access.may`` with HANDLE or APPROVE,
the item's status, the draft's status, ``may_publish``, ``may_keep_as_report``), so the page never
shows a button that the service would refuse. Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from feedback.domain.access import Action, Role, may
from feedback.domain.deadlines import Clock
from feedback.domain.handling import DraftStatus, may_keep_as_report, may_publish
from feedback.domain.law import may_extend_again
from feedback.domain.status import HANDLING_STATUSES, Origin, Status
from feedback.domain.text import name_key
from feedback.extensions import db
from feedback.models import Answer, ExtensionRequest, Feedback, InfoRequest, Membership, Note, User
from feedback.services.access import item_facts, viewer_for
from feedback.services.deadlines.clocks import open_deadlines
from feedback.services.handling.answers import current_answer
from feedback.services.handling.errors import ItemNotFound
from feedback.services.handling.extensions import extensions_granted, pending_extension
from feedback.services.handling.information import open_request


@dataclass(frozen=True)
class Officer:
    id: int
    name: str


@dataclass(frozen=True)
class NoteView:
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Offered:
    """The actions ``user`` may take on the item now (each True only when the service would run
    it in the current state) and what their forms show."""

    feedback_id: int
    assign: bool
    accept: bool
    reject: bool
    keep_as_report: bool
    request_information: bool
    note: bool
    save_draft: bool
    submit: bool
    return_answer: bool
    publish: bool
    request_extension: bool
    decide_extension: bool
    acceptance_notice: bool  # a tố cáo's notice of acceptance to record (Luật Tố cáo 2018 Art. 29(3))
    decision_notice: bool  # a complaint decision sent to the complainant (Luật Khiếu nại 2011 Art. 32)
    officers: tuple[Officer, ...]
    assigned_officer_id: int | None
    answer: Answer | None
    info_request: InfoRequest | None
    extension: ExtensionRequest | None
    notes: tuple[NoteView, ...]

    @property
    def any(self) -> bool:
        return any((self.assign, self.accept, self.reject, self.keep_as_report, self.request_information,
                    self.note, self.save_draft, self.submit, self.return_answer, self.publish,
                    self.request_extension, self.decide_extension, self.acceptance_notice,
                    self.decision_notice))


def offered(user: User, code: str) -> Offered:
    """The actions ``user`` may take on the item ``code`` (ItemNotFound when unknown; the caller
    has already checked the user may see it)."""
    item = db.session.scalar(select(Feedback).where(Feedback.code == code))
    if item is None:
        raise ItemNotFound(code)
    facts = item_facts(item)
    viewer = viewer_for(user)
    handle = may(viewer, Action.HANDLE, facts)
    approve = may(viewer, Action.APPROVE, facts)
    handling = item.status in HANDLING_STATUSES
    in_progress = item.status is Status.IN_PROGRESS
    waiting = open_request(item.id) if handle else None
    answer = current_answer(item) if handle else None
    draft = answer.status if answer is not None else None
    editable = draft in (None, DraftStatus.PUBLISHED, DraftStatus.DRAFT, DraftStatus.RETURNED)
    pending = pending_extension(item) if handle else None
    anonymous = not (item.submitter_name or "").strip()
    # A recommendation is only answered (handling.common.require_resident_item).
    resident = item.origin is Origin.RESIDENT
    return Offered(
        feedback_id=item.id,
        assign=approve and handling,
        accept=handle and item.status is Status.ASSIGNED and waiting is None,
        reject=handle and handling and resident,
        keep_as_report=handle and handling and resident and item.accepted_at is None
        and may_keep_as_report(item.kind, anonymous=anonymous),
        request_information=handle and handling and resident and waiting is None,
        note=handle,
        save_draft=handle and in_progress and editable,
        submit=handle and in_progress and draft in (DraftStatus.DRAFT, DraftStatus.RETURNED),
        return_answer=approve and in_progress and draft is DraftStatus.SUBMITTED,
        publish=approve and in_progress and waiting is None and answer is not None and draft is not None
        and draft is not DraftStatus.PUBLISHED and may_publish(draft, publisher_is_author=answer.author_id == user.id),
        request_extension=handle and handling and resident and pending is None
        and may_extend_again(item.kind, extensions_granted(item)),
        decide_extension=approve and handling and resident and pending is not None,
        acceptance_notice=handle and bool(open_deadlines(item, [Clock.ACCEPTANCE_NOTICE])),
        decision_notice=handle and bool(open_deadlines(item, [Clock.DECISION_NOTICE])),
        officers=_officers(item.current_unit_id) if approve else (),
        assigned_officer_id=item.assigned_officer_id,
        answer=answer,
        info_request=waiting,
        extension=pending,
        notes=_notes(item.id) if handle else (),
    )


def _officers(unit_id: int | None) -> tuple[Officer, ...]:
    """The active officers and heads of the unit, by the name shown (``name_key``; those
    ``assign_officer`` accepts)."""
    if unit_id is None:
        return ()
    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.unit_id == unit_id, Membership.role.in_([Role.OFFICER, Role.UNIT_HEAD]),
            User.active.is_(True)).distinct())
    officers = [Officer(u.id, u.full_name or u.username) for u in users]
    return tuple(sorted(officers, key=lambda o: (name_key(o.name), o.id)))


def _notes(feedback_id: int) -> tuple[NoteView, ...]:
    """The item's internal notes, oldest first, with their author's name."""
    rows = db.session.execute(select(Note, User).join(User, User.id == Note.author_id)
                              .where(Note.feedback_id == feedback_id).order_by(Note.id))
    return tuple(NoteView(note.text, user.full_name or user.username, note.created_at) for note, user in rows)
