"""The administrator's view of items: a filtered list, one item in full, and a manual nudge to routing.

Read model for staff pages (``list_items``, ``item_detail``) plus two writes: the audit event
that every view of personal data leaves (DESIGN.md §1, ``record_personal_data_view``) and the
administrator's "route this again" (``resend_for_routing``). The view decides who may call
these (administrators only today); ``item_detail`` itself leaves the resident's details out for
a viewer who may not see them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from feedback import jobs
from feedback.domain.assignments import EndReason
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Channel, Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, Locality, Role, Unit, User
from feedback.services.routing.assignments import returned_reason
from feedback.services.audit import record_event, verify_chain

# Two writers of one item's chain may pick the same next seq; the unique index refuses the
# second, which simply tries again on top of the first.
_CHAIN_ATTEMPTS = 3


class ItemNotFound(LookupError):
    """No item has this code."""


class RoutingRequestRefused(ValueError):
    """The item is not waiting for routing; ``str()`` is the Vietnamese message. Nothing written."""


@dataclass(frozen=True)
class ItemRow:
    """One line of the list; ``next_due_at`` is the earliest due time of the running clocks."""

    code: str
    kind: Kind
    status: Status
    unit: str | None
    topic: str
    locality: str
    received_at: datetime
    next_due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class AssignmentRow:
    unit: str
    rule_id: int | None
    explanation: str
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None
    returned_reason: str | None  # the unit's reason when the assignment ended with a return


@dataclass(frozen=True)
class DeadlineRow:
    clock: str
    sequence: int
    unit: str | None
    legal_basis: str
    day_type: str
    period_days: int
    starts_at: datetime
    due_at: datetime
    paused_at: datetime | None
    extensions: int
    met_at: datetime | None
    breached_at: datetime | None
    closed_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class EventRow:
    seq: int
    at: datetime
    action: str
    actor: str
    actor_user_id: int | None
    public: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AttachmentRow:
    original_name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class Resident:
    """The sender's personal data: never public, and every display of it is logged."""

    name: str | None
    phone: str | None
    email: str | None
    consent_share_contact: bool


@dataclass(frozen=True)
class ItemDetail:
    id: int
    code: str
    kind: Kind
    status: Status
    channel: Channel
    title: str
    body: str
    topic: str
    locality_path: tuple[str, ...]  # province first, the item's own locality last
    received_at: datetime
    unit: str | None
    routing_rule_id: int | None
    routing_explanation: str | None
    assignments: tuple[AssignmentRow, ...]
    deadlines: tuple[DeadlineRow, ...]
    events: tuple[EventRow, ...]
    chain_intact: bool
    attachments: tuple[AttachmentRow, ...]
    resident: Resident | None  # None when the viewer may not see personal data

    @property
    def overdue(self) -> bool:
        return any(deadline.overdue for deadline in self.deadlines)


# "Overdue now" (DESIGN.md §4: a fact about a deadline, not a status): a running clock whose breach
# is recorded, or whose due time has passed, unless it was paused before it fell due (its due time
# moves when it resumes; a clock paused after its due time stays due: resume_clocks keeps it).
# Written twice, for SQL and for loaded rows; the two must say the same thing.
def _overdue_sql(now: datetime) -> ColumnElement[bool]:
    return and_(
        Deadline.closed_at.is_(None),
        Deadline.met_at.is_(None),
        or_(
            Deadline.breached_at.is_not(None),
            and_(Deadline.due_at < now, or_(Deadline.paused_at.is_(None), Deadline.paused_at > Deadline.due_at)),
        ),
    )


def _is_overdue(deadline: Deadline, now: datetime) -> bool:
    if deadline.closed_at is not None or deadline.met_at is not None:
        return False
    if deadline.breached_at is not None:
        return True
    return deadline.due_at < now and (deadline.paused_at is None or deadline.paused_at > deadline.due_at)


def list_items(*, status: Status | None, unit_id: int | None, overdue_only: bool, page: int, now: datetime,
               per_page: int = 25) -> ItemPage:
    """Items newest first (received_at desc, then id desc), optionally only of ``status``, only
    held by ``unit_id`` now, only with a clock overdue at ``now``. Three queries per page
    whatever its size (count, items with unit/topic/locality joined, their running clocks).
    A page past the end is empty. Read only."""
    query = (
        select(Feedback)
        .options(joinedload(Feedback.current_unit), joinedload(Feedback.topic, innerjoin=True),
                 joinedload(Feedback.locality, innerjoin=True))
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
    )
    if status is not None:
        query = query.where(Feedback.status == status)  # ix_feedback_status_received_at
    if unit_id is not None:
        query = query.where(Feedback.current_unit_id == unit_id)  # ix_feedback_current_unit_id
    if overdue_only:
        query = query.where(exists().where(Deadline.feedback_id == Feedback.id, _overdue_sql(now)))
    pagination = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)
    items: list[Feedback] = list(pagination.items)
    running: dict[int, list[Deadline]] = defaultdict(list)
    if items:
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.feedback_id.in_([item.id for item in items]), Deadline.closed_at.is_(None))):
            running[deadline.feedback_id].append(deadline)
    rows = [
        ItemRow(
            code=str(item.code),
            kind=item.kind,
            status=item.status,
            unit=item.current_unit.name if item.current_unit is not None else None,
            topic=item.topic.name,
            locality=item.locality.name,
            received_at=item.received_at,
            next_due_at=min((d.due_at for d in running[item.id]), default=None),
            overdue=any(_is_overdue(d, now) for d in running[item.id]),
        )
        for item in items
    ]
    return ItemPage(items=rows, page=pagination.page, pages=pagination.pages, total=pagination.total or 0)


def units_for_filter() -> list[Unit]:
    """Every unit by name, inactive ones too (an item may still be held by one). Read only."""
    return list(db.session.scalars(select(Unit).order_by(Unit.name, Unit.id)))


def may_see_personal_data(viewer: User) -> bool:
    """The platform operator sees the resident's details (DESIGN.md §1). The Front and, with
    consent, the handling unit get their own rule with their workspaces; until then, no one else."""
    return viewer.has_role(Role.ADMIN)


def item_detail(code: str, *, viewer: User, now: datetime) -> ItemDetail:
    """Everything about the item with ``code``: facts, routing, assignments, every clock, every event
    (public and internal) with whether the hash chain still verifies, attachments' metadata and,
    for a viewer allowed to see them, the resident's details. Raises ItemNotFound. Read only: the
    caller logs the display of personal data with ``record_personal_data_view``."""
    item = db.session.scalar(
        select(Feedback)
        .where(Feedback.code == code)
        .options(
            joinedload(Feedback.current_unit), joinedload(Feedback.topic), joinedload(Feedback.locality),
            selectinload(Feedback.assignments).joinedload(Assignment.unit),
            selectinload(Feedback.deadlines).joinedload(Deadline.unit),
            selectinload(Feedback.attachments),
        )
    )
    if item is None:
        raise ItemNotFound(code)
    events = db.session.scalars(select(Event).where(Event.feedback_id == item.id).order_by(Event.seq)).all()
    resident = None
    if may_see_personal_data(viewer):
        resident = Resident(item.submitter_name, item.submitter_phone, item.submitter_email,
                            item.consent_share_contact)
    return ItemDetail(
        id=item.id,
        code=str(item.code),
        kind=item.kind,
        status=item.status,
        channel=item.channel,
        title=item.title,
        body=item.body,
        topic=item.topic.name,
        locality_path=_locality_path(item.locality),
        received_at=item.received_at,
        unit=item.current_unit.name if item.current_unit is not None else None,
        routing_rule_id=item.routing_rule_id,
        routing_explanation=item.routing_explanation or None,
        assignments=tuple(
            AssignmentRow(a.unit.name, a.rule_id, a.explanation, a.assigned_at, a.ended_at, a.end_reason,
                          returned_reason(a))
            for a in item.assignments
        ),
        deadlines=tuple(
            DeadlineRow(d.clock, d.sequence, d.unit.name if d.unit is not None else None, d.legal_basis,
                        d.day_type, d.period_days, d.starts_at, d.due_at, d.paused_at, d.extensions, d.met_at,
                        d.breached_at, d.closed_at, _is_overdue(d, now))
            for d in sorted(item.deadlines, key=lambda d: (d.starts_at, d.id))
        ),
        events=tuple(EventRow(e.seq, e.at, e.action, e.actor, e.actor_user_id, e.public, e.before, e.after)
                     for e in events),
        chain_intact=verify_chain(item.id),
        attachments=tuple(AttachmentRow(a.original_name, a.content_type, a.size, a.sha256, a.created_at)
                          for a in item.attachments),
        resident=resident,
    )


def _locality_path(locality: Locality) -> tuple[str, ...]:
    ids = locality.ancestor_ids() or (locality.id,)
    names = {row.id: row.name for row in db.session.execute(select(Locality.id, Locality.name)
                                                             .where(Locality.id.in_(ids)))}
    return tuple(names[i] for i in ids if i in names)


def record_personal_data_view(item: ItemDetail, viewer: User, now: datetime) -> Event | None:
    """Log that ``viewer`` was shown the resident's details of ``item``; commits.

    Appends one internal (never public) "personal_data_viewed" event to the item's chain, naming
    the viewer and which details were on the page. Call it once per display, before the page is
    sent: if it raises, show nothing. Returns None (nothing written) when ``item`` carries no
    personal data (``resident`` is None). Not idempotent: every display is one event. A clash
    with a concurrent writer of the same chain is retried (``_CHAIN_ATTEMPTS``), then raised.
    """
    if item.resident is None:
        return None
    shown = [name for name, value in (("name", item.resident.name), ("phone", item.resident.phone),
                                      ("email", item.resident.email)) if value]
    for attempt in range(1, _CHAIN_ATTEMPTS + 1):
        feedback = db.session.get(Feedback, item.id)
        if feedback is None:
            raise ItemNotFound(item.code)
        event = record_event(feedback, EventAction.PERSONAL_DATA_VIEWED, actor=Actor.user(viewer.id, viewer.username),
                             at=now, public=False, after={"fields": shown, "page": "admin.item_detail"})
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == _CHAIN_ATTEMPTS:
                raise
        else:
            return event
    raise AssertionError("unreachable")  # pragma: no cover


def resend_for_routing(code: str, *, actor: Actor, now: datetime) -> bool:
    """Ask the worker to route the item with ``code`` again: only while it is still `received`.

    Locks the item, writes an internal "routing_requested" event, commits, and only then
    enqueues ROUTE_FEEDBACK (the worker must see the commit). Raises ItemNotFound, or
    RoutingRequestRefused (nothing written) for any other status. Returns whether the broker took
    the message; if not, the request is recorded and the beat sweep routes the item anyway.
    Harmless to repeat: routing claims the item by state, a second message finds it assigned.
    """
    item = db.session.scalar(
        select(Feedback).where(Feedback.code == code).with_for_update().execution_options(populate_existing=True)
    )
    if item is None:
        raise ItemNotFound(code)
    if item.status is not Status.RECEIVED:
        db.session.rollback()  # release the row lock
        raise RoutingRequestRefused(_(
            "Chỉ gửi lại phân công được cho ý kiến đang chờ chuyển đến đơn vị xử lý; ý kiến %(code)s "
            "đã qua bước này.", code=code))
    record_event(item, EventAction.ROUTING_REQUESTED, actor=actor, at=now, public=False,
                 after={"task": jobs.ROUTE_FEEDBACK})
    feedback_id = item.id
    db.session.commit()
    return jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
