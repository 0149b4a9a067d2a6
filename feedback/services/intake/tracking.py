"""The tracking read model: what anyone with a code may see, and what the resident's link adds.

``public_view`` carries no personal data and no free text from the resident (title and body
often hold names and addresses): kind, topic, place, status, unit, why that unit, deadlines and
the public timeline; for a complaint or a denunciation only the status and the unit
(``RestrictedItem``, see ``feedback.domain.tracking.details_are_public``). Once the unit
publishes its answer, the public view carries it (``answer``, ``answered_at``,
``answered_by_unit``), except for a complaint or a denunciation, whose answer is read only
through the secret link (``private_view``). ``private_view`` adds the resident's own details and is only returned for the right secret token (compared in
constant time on its digest), with what the resident has been told (``notices``: routed to a
unit, accepted, more information needed, extended, answered, rejected, reopened). The files of
the item and of its published answer are read through the same token (``resident_file``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.domain.deadlines import Clock
from feedback.domain.files import shows_inline
from feedback.domain.handling import DraftStatus
from feedback.domain.notices import NOTICE_ACTIONS, Notice
from feedback.domain.repeats import ResidentText
from feedback.domain.status import Kind, Origin, Status
from feedback.domain.tracking import InvalidCode, details_are_public, normalise_code, token_matches
from feedback.extensions import db
from feedback.models import (
    Answer, Assignment, Attachment, Deadline, Event, Feedback, InfoRequest, LocalityLevel, Unit, UnitKind,
)
from feedback.services.database import among
from feedback.services.deadlines import deadline_is_overdue


@dataclass(frozen=True)
class NamedRef:
    """A coded thing and its name; ``name_en`` is the English name where the data has one."""

    code: str
    name: str
    name_en: str | None = None


class RoutingBasis(StrEnum):
    """Why the current unit holds the item, in words a resident understands (the rule number and
    the internal explanation stay on the staff pages)."""

    RULE = "rule"  # the locality's assignment of this topic (a routing rule)
    COMMUNE = "commune"  # no unit assigned for the case: the commune's People's Committee
    TRANSFER = "transfer"  # handed on by a unit that found it outside its competence
    DISPUTE = "dispute"  # returned too often: the Front committee makes sure someone answers
    ASSIGNED = "assigned"  # given to this unit by a decision (administrator or officer)


@dataclass(frozen=True)
class RoutingReason:
    basis: RoutingBasis
    unit: NamedRef


@dataclass(frozen=True)
class DeadlineView:
    """The latest clock of one kind; ``overdue`` as ``feedback.domain.deadlines.is_overdue`` says."""

    clock: str
    due_at: datetime
    legal_basis: str
    met: bool
    overdue: bool


@dataclass(frozen=True)
class EventView:
    action: str
    at: datetime


@dataclass(frozen=True)
class PublicItem:
    code: str
    kind: Kind
    status: Status
    topic: NamedRef
    commune: NamedRef
    village: NamedRef | None
    unit: NamedRef | None
    routing: RoutingReason | None
    received_at: datetime
    deadlines: tuple[DeadlineView, ...]
    events: tuple[EventView, ...]
    # The latest published answer (feedback.services.handling), its time and the unit that
    # published it as it was then (frozen); None until an answer is published.
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by_unit: NamedRef | None = None

    @property
    def locality(self) -> NamedRef:
        """The item's own place: the village when given, else the commune."""
        return self.village or self.commune


@dataclass(frozen=True)
class RestrictedItem:
    """What anyone with the code of a complaint or denunciation may see: status and unit only."""

    code: str
    status: Status
    unit: NamedRef | None


@dataclass(frozen=True)
class AttachmentView:
    """A file the resident may open through the secret link (``resident_file``)."""

    id: int
    original_name: str
    content_type: str
    size: int

    @property
    def inline(self) -> bool:
        """An image shown as a thumbnail (``feedback.domain.files.shows_inline``), else a download."""
        return shows_inline(self.content_type)


@dataclass(frozen=True)
class ResidentFile:
    """What the file response needs: ``storage_name`` under UPLOAD_DIR."""

    original_name: str
    content_type: str
    storage_name: str


@dataclass(frozen=True)
class RejectionView:
    """Why the unit refused the item (``feedback.domain.handling.RejectReason`` value), in the
    unit's words, and the code of the item it duplicates."""

    reason: str
    explanation: str
    duplicate_of: str | None


@dataclass(frozen=True)
class InfoRequestView:
    """What the unit asked the resident, and the resident's reply once given."""

    id: int
    question: str
    asked_at: datetime
    reply: str | None
    answered_at: datetime | None

    @property
    def open(self) -> bool:
        """Still waiting for the resident's reply (the page offers the reply form)."""
        return self.answered_at is None


@dataclass(frozen=True)
class NoticeView:
    """One "what happened" line: ``unit`` for a routing, ``due_at`` for an extension."""

    notice: Notice
    at: datetime
    unit: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class PrivateItem(ResidentText):
    """The public view plus what only the resident (and authorised staff) may see: their own
    text and contact, their files, the unit's questions, why it refused the item, and the files
    of the published answer (the answer itself is ``public.answer``)."""

    public: PublicItem
    attachments: tuple[AttachmentView, ...]
    rejection: RejectionView | None = None
    information_requests: tuple[InfoRequestView, ...] = ()
    answer_attachments: tuple[AttachmentView, ...] = ()
    notices: tuple[NoticeView, ...] = ()

    @property
    def open_request(self) -> InfoRequestView | None:
        """The unit's question still waiting for a reply, if any."""
        return next((r for r in self.information_requests if r.open), None)


def canonical_code(text: str) -> str:
    """The canonical form of a typed code; raises ``InvalidCode`` (reason MALFORMED or BAD_CHECK)."""
    return normalise_code(text)


def public_view(code: str, *, now: datetime) -> PublicItem | RestrictedItem | None:
    """The public facts of the item with canonical ``code``, or None when there is none.

    A complaint or denunciation gives a ``RestrictedItem`` (status and unit only): its kind,
    topic, place, times and timeline could point at the person who sent it.
    """
    item = _load(code)
    if item is None:
        return None
    if not details_are_public(item.kind):
        unit = _current_unit(item)
        return RestrictedItem(code=str(item.code), status=item.status, unit=_unit_ref(unit))
    return _public(item, now)


def private_view(code: str, token: str, *, now: datetime) -> PrivateItem | None:
    """The resident's view of the item, or None when the code is unknown or the token wrong.

    The two failures are indistinguishable on purpose.
    """
    item = _load(code)
    if item is None or not token_matches(token, item.token_hash):
        return None
    public = _public(item, now)
    answer_id = _published_answer_id(item)
    requests = db.session.scalars(select(InfoRequest).where(InfoRequest.feedback_id == item.id)
                                  .order_by(InfoRequest.id))
    return PrivateItem(
        public=public,
        title=item.title,
        body=item.body,
        name=item.submitter_name,
        phone=item.submitter_phone,
        email=item.submitter_email,
        consent_share_contact=item.consent_share_contact,
        attachments=tuple(_attachment_view(a) for a in item.attachments if a.answer_id is None),
        rejection=_rejection(item),
        information_requests=tuple(InfoRequestView(r.id, r.question, r.asked_at, r.reply, r.answered_at)
                                   for r in requests),
        answer_attachments=tuple(_attachment_view(a) for a in item.attachments
                                 if answer_id is not None and a.answer_id == answer_id),
        notices=_notices(item),
    )


def resident_file(code: str, token: str, attachment_id: int) -> ResidentFile | None:
    """The file ``attachment_id`` as the resident may open it: one they sent (with the item or a
    reply) or one of a published answer. None for an unknown code, a wrong token, another
    item's file, a draft's file, or a stored name the intake never writes (all alike). Read only.
    """
    item = db.session.scalar(select(Feedback).where(Feedback.code == code, Feedback.origin == Origin.RESIDENT))
    if item is None or not token_matches(token, item.token_hash):
        return None
    row = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                     Attachment.feedback_id == item.id))
    if row is None or not _STORAGE_NAME.fullmatch(row.storage_name):
        return None
    if row.answer_id is not None and db.session.scalar(
            select(Answer.status).where(Answer.id == row.answer_id)) is not DraftStatus.PUBLISHED:
        return None  # a draft's file is the unit's until the answer is published
    return ResidentFile(row.original_name, row.content_type, row.storage_name)


# The names ``intake.uploads`` gives stored files (secrets.token_hex(16)).
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


def _attachment_view(row: Attachment) -> AttachmentView:
    return AttachmentView(row.id, row.original_name, row.content_type, row.size)


def _published_answer_id(item: Feedback) -> int | None:
    return db.session.scalar(
        select(Answer.id).where(Answer.feedback_id == item.id, Answer.status == DraftStatus.PUBLISHED)
        .order_by(Answer.cycle.desc()).limit(1)
    )


def _notices(item: Feedback) -> tuple[NoticeView, ...]:
    """The resident-visible events of the item in order (``NOTICE_ACTIONS``); an extension of
    another clock than the resolution is not the resident's news."""
    events = db.session.scalars(
        select(Event).where(Event.feedback_id == item.id, Event.action.in_(list(NOTICE_ACTIONS)))
        .order_by(Event.seq)
    )
    views = []
    for event in events:
        after = event.after or {}
        notice = NOTICE_ACTIONS[event.action]
        if notice is Notice.EXTENDED:
            if after.get("clock") != Clock.RESOLUTION.value or not after.get("due_at"):
                continue
            views.append(NoticeView(notice, event.at, due_at=datetime.fromisoformat(str(after["due_at"]))))
        elif notice is Notice.ROUTED:
            views.append(NoticeView(notice, event.at, unit=str(after["unit"]) if after.get("unit") else None))
        else:
            views.append(NoticeView(notice, event.at))
    return tuple(views)


def _rejection(item: Feedback) -> RejectionView | None:
    """The reason of the item's refusal, from its public "rejected" event (None unless rejected)."""
    if item.status is not Status.REJECTED:
        return None
    event = db.session.scalar(select(Event).where(Event.feedback_id == item.id, Event.action == "rejected")
                              .order_by(Event.seq.desc()).limit(1))
    if event is None or not event.after:
        return None
    return RejectionView(str(event.after.get("reason", "")), str(event.after.get("explanation", "")),
                         event.after.get("duplicate_of"))


def _load(code: str) -> Feedback | None:
    """The resident's item with ``code``; a supervision recommendation has no public page (None)."""
    return db.session.scalar(
        select(Feedback)
        .where(Feedback.code == code, Feedback.origin == Origin.RESIDENT)
        .options(selectinload(Feedback.deadlines), selectinload(Feedback.assignments),
                 selectinload(Feedback.attachments))
    )


def public_views(items: Sequence[Feedback], *, now: datetime) -> list[PublicItem | RestrictedItem]:
    """``public_view`` of each of ``items`` (rows already loaded, e.g. by a search), in the same
    order and by the same rules, with the events and answers of all of them read in two queries
    (a list of a thousand items must not cost thousands of queries). Read only."""
    ids = [item.id for item in items]
    events: dict[int, list[Event]] = {}
    answers: dict[int, Answer] = {}
    if ids:
        for event in db.session.scalars(select(Event).where(among(Event.feedback_id, ids), Event.public.is_(True))
                                        .order_by(Event.feedback_id, Event.seq)):
            events.setdefault(int(event.feedback_id or 0), []).append(event)
        for answer in db.session.scalars(select(Answer).where(among(Answer.feedback_id, ids),
                                                              Answer.status == DraftStatus.PUBLISHED)
                                         .order_by(Answer.feedback_id, Answer.cycle)):
            answers[answer.feedback_id] = answer  # the last cycle wins
    views: list[PublicItem | RestrictedItem] = []
    for item in items:
        if not details_are_public(item.kind):
            views.append(RestrictedItem(code=str(item.code), status=item.status, unit=_unit_ref(_current_unit(item))))
        else:
            views.append(_public(item, now, events.get(item.id, []), answers.get(item.id)))
    return views


def _public(item: Feedback, now: datetime, events: list[Event] | None = None,
            answer: Answer | None = None) -> PublicItem:
    """The public view of ``item``; ``events`` (its public events in order) and ``answer`` (its
    latest published answer) are read here unless the caller read them already."""
    place = item.locality
    if place.level == LocalityLevel.VILLAGE and place.parent is not None:
        commune, village = NamedRef(place.parent.code, place.parent.name), NamedRef(place.code, place.name)
    else:
        commune, village = NamedRef(place.code, place.name), None
    unit = _current_unit(item)
    if events is None:
        events = list(db.session.scalars(
            select(Event).where(Event.feedback_id == item.id, Event.public.is_(True)).order_by(Event.seq)
        ))
        answer = db.session.scalar(
            select(Answer).where(Answer.feedback_id == item.id, Answer.status == DraftStatus.PUBLISHED)
            .order_by(Answer.cycle.desc()).limit(1)
        )
    actions = frozenset(e.action for e in events)
    return PublicItem(
        code=str(item.code),
        kind=item.kind,
        status=item.status,
        topic=NamedRef(item.topic.code, item.topic.name, item.topic.name_en or None),
        commune=commune,
        village=village,
        unit=_unit_ref(unit),
        routing=_routing_reason(item, unit, actions),
        received_at=item.received_at,
        deadlines=_deadlines(item.deadlines, now),
        events=tuple(EventView(e.action, e.at) for e in events),
        answer=answer.text if answer is not None else None,
        answered_at=answer.published_at if answer is not None else None,
        answered_by_unit=NamedRef(answer.unit_code, answer.unit_name) if answer is not None else None,
    )


def _current_unit(item: Feedback) -> Unit | None:
    if item.current_unit is not None:
        return item.current_unit
    open_assignment = _open_assignment(item)
    return open_assignment.unit if open_assignment is not None else None


def _open_assignment(item: Feedback) -> Assignment | None:
    return next((a for a in item.assignments if a.ended_at is None), None)


def _unit_ref(unit: Unit | None) -> NamedRef | None:
    return NamedRef(unit.code, unit.name) if unit is not None else None


def _routing_reason(item: Feedback, unit: Unit | None, actions: frozenset[str]) -> RoutingReason | None:
    """Why ``unit`` holds the item, from the assignments (never from the stored explanation)."""
    current = _open_assignment(item)
    if unit is None or current is None:
        return None
    handed_on = any(a.ended_at is not None for a in item.assignments)
    if current.rule_id is not None:
        basis = RoutingBasis.RULE
    elif "jurisdiction_dispute" in actions and unit.kind == UnitKind.FRONT_COMMITTEE:
        basis = RoutingBasis.DISPUTE
    elif handed_on:
        basis = RoutingBasis.TRANSFER
    elif unit.kind == UnitKind.COMMUNE_COMMITTEE:
        basis = RoutingBasis.COMMUNE
    else:
        basis = RoutingBasis.ASSIGNED
    return RoutingReason(basis, NamedRef(unit.code, unit.name))


def _deadlines(rows: list[Deadline], now: datetime) -> tuple[DeadlineView, ...]:
    # A restarted or extended clock gets a new sequence number: show only the latest of each.
    latest: dict[str, Deadline] = {}
    for row in rows:
        if row.clock not in latest or row.sequence > latest[row.clock].sequence:
            latest[row.clock] = row
    views = [
        DeadlineView(
            clock=row.clock,
            due_at=row.due_at,
            legal_basis=row.legal_basis,
            met=row.met_at is not None,
            overdue=deadline_is_overdue(row, now),
        )
        for row in latest.values()
    ]
    return tuple(sorted(views, key=lambda view: view.due_at))


__all__ = [
    "NOTICE_ACTIONS", "AttachmentView", "DeadlineView", "EventView", "InfoRequestView", "InvalidCode", "NamedRef",
    "Notice", "NoticeView", "PrivateItem", "PublicItem", "RejectionView", "ResidentFile", "RestrictedItem",
    "RoutingBasis", "RoutingReason", "canonical_code", "private_view", "public_view", "public_views", "resident_file",
]
