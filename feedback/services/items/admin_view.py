"""The administrator's view of items: a filtered list, one item in full, and a manual nudge to routing.

Read model for staff pages (``list_items``, ``item_detail``) plus two writes: the audit event
that every view of personal data leaves (DESIGN.md §1, ``record_personal_data_view``) and the
administrator's "route this again" (``resend_for_routing``). The view decides who may call
these (administrators only today); both reads go through the one access rule
(``feedback.services.access``): only items the viewer may see are listed or found, and
``item_detail`` leaves the resident's details out for a viewer who may not see them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from feedback import jobs
from feedback.domain.access import Viewer, may_see_personal_data, visibility
from feedback.domain.assignments import EndReason
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Channel, Kind, Origin, Status
from feedback.domain.text import NameKey, name_key
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, Locality, Unit, User
from feedback.services.access import item_facts, visible_items_filter
from feedback.services.items.lines import ItemLine
from feedback.services.routing.assignments import open_assignment, returned_reason
from feedback.services.audit import record_event, verify_chain
from feedback.services.deadlines import deadline_is_overdue, late_ids, late_page
from feedback.services.routing.route import Target, give

# Answered, closed or rejected items have left the units' hands: nothing to hand over.
_HANDOVER_STATUSES = frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS})
# Two writers of one item's chain may pick the same next seq; the unique index refuses the
# second, which simply tries again on top of the first.
_CHAIN_ATTEMPTS = 3


class ItemNotFound(LookupError):
    """No item has this code."""


class RoutingRequestRefused(ValueError):
    """The item is not waiting for routing; ``str()`` is the Vietnamese message. Nothing written."""


class HandoverRefused(ValueError):
    """The hand-over is not allowed; ``str()`` is the Vietnamese message. Nothing written."""


@dataclass(frozen=True)
class ItemRow(ItemLine):
    """One line of the list; ``next_due_at`` is the earliest due time of the open clocks (paused
    ones included); ``overdue`` whether any of them is overdue."""

    overdue: bool


# The list counts its matches up to this many (issue #11): an exact count(*) over every item ever
# received cost 415 ms at 10,000,000 items for one line of text. Past it the page says "more than".
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemRow]
    page: int
    pages: int
    total: int
    # False when more than COUNT_LIMIT items match: ``total`` is then COUNT_LIMIT, and ``pages``
    # reaches one past the current page while pages are full.
    total_exact: bool = True
    # When the search was too short for the trigram indexes: how many of the newest items were
    # searched (``SHORT_SEARCH_ITEMS``); None when the whole history was.
    search_limit: int | None = None


@dataclass(frozen=True)
class AssignmentRow:
    unit: str
    rule_id: int | None
    explanation: str
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None
    returned_reason: str | None  # the unit's reason when the assignment ended with a return
    handover_reason: str | None = None  # the administrator's reason when it ended with a hand-over


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
    id: int  # for the file's link (admin.attachment)


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
    # The photo or video link the sender gave (Open311 media_url): shown as a link, never fetched.
    media_url: str | None = None

    @property
    def overdue(self) -> bool:
        return any(deadline.overdue for deadline in self.deadlines)


def list_items(*, viewer: Viewer, status: Status | None, unit_id: int | None, overdue_only: bool, page: int,
               now: datetime, per_page: int = 25, search: str = "") -> ItemPage:
    """Items ``viewer`` may see, newest first (received_at desc, then id desc), optionally only of
    ``status``, only held by ``unit_id`` now, only with a clock overdue at ``now``, only matching
    ``search`` (``search_condition``: part of the code, or a fragment of the title). Three queries
    per page whatever its size (count, items with unit/topic/locality joined, their running
    clocks); the count stops at COUNT_LIMIT (``ItemPage.total_exact``). "Overdue" reads the
    overdue items (kept ``overdue_item`` rows and the scan's window, ``late_page``), not
    the clocks' history: for a viewer who sees everything, the count and the page's ids come from
    them newest first, then the page's items by id. A page past the end is empty. Read only."""
    query = (
        select(Feedback)
        .where(visible_items_filter(viewer))
        .options(joinedload(Feedback.current_unit), joinedload(Feedback.topic, innerjoin=True),
                 joinedload(Feedback.locality, innerjoin=True))
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
    )
    if status is not None:
        query = query.where(Feedback.status == status)  # ix_feedback_status_received_at
    if unit_id is not None:
        query = query.where(Feedback.current_unit_id == unit_id)  # ix_feedback_current_unit_id
    page = max(page, 1)
    limited = bool(search.strip()) and short_search(search)
    if overdue_only and visibility(viewer).everything and not search.strip():
        # From the overdue items themselves, newest first (``late_page``): the count and
        # the page read as many rows as they return, never the history.
        ids, counted = late_page(db.session(), now, offset=(page - 1) * per_page, limit=per_page,
                                 status=status, holder=unit_id)
        found = {item.id: item for item in db.session.scalars(query.where(Feedback.id.in_(ids))).unique()} \
            if ids else {}
        items: list[Feedback] = [found[i] for i in ids if i in found]
    else:
        if overdue_only:
            query = query.where(Feedback.id.in_(late_ids(now)))
        if search.strip():
            query = query.where(search_condition(search))
            if limited:
                newest = (select(Feedback.id).order_by(Feedback.received_at.desc(), Feedback.id.desc())
                          .limit(SHORT_SEARCH_ITEMS))
                query = query.where(Feedback.id.in_(newest.scalar_subquery()))
        counted = db.session.scalar(select(func.count()).select_from(
            query.with_only_columns(Feedback.id).order_by(None).limit(COUNT_LIMIT + 1).subquery())) or 0
        items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    exact = counted <= COUNT_LIMIT
    total = min(counted, COUNT_LIMIT)
    pages = -(-total // per_page)
    if not exact and len(items) == per_page:
        pages = max(pages, page + 1)
    running: dict[int, list[Deadline]] = defaultdict(list)
    if items:
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.feedback_id.in_([item.id for item in items]), Deadline.closed_at.is_(None))):
            running[deadline.feedback_id].append(deadline)
    rows = [
        ItemRow(
            code=str(item.code),
            title=item.title,
            kind=item.kind,
            status=item.status,
            unit=item.current_unit.name if item.current_unit is not None else None,
            topic=item.topic.name,
            locality=item.locality.name,
            received_at=item.received_at,
            next_due_at=min((d.due_at for d in running[item.id]), default=None),
            overdue=any(deadline_is_overdue(d, now) for d in running[item.id]),
        )
        for item in items
    ]
    return ItemPage(items=rows, page=page, pages=pages, total=total, total_exact=exact,
                    search_limit=SHORT_SEARCH_ITEMS if limited else None)


# What separates the groups of a code as people type it: dashes of every kind and whitespace.
_CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# A fragment of fewer characters than a trigram cannot use the trigram indexes (migration 0034):
# it is looked for among the newest items only, not through the whole history.
SHORT_SEARCH = 3
SHORT_SEARCH_ITEMS = 5000


def short_search(search: str) -> bool:
    """Whether ``search`` is too short for the trigram indexes (``SHORT_SEARCH``)."""
    return len(unicodedata.normalize("NFC", search.strip())) < SHORT_SEARCH


def search_condition(search: str) -> ColumnElement[bool]:
    """Items whose code contains ``search`` (case, dashes and spaces ignored: "qn 26 0001" finds
    QN-26-000123-K) or whose title contains it, case-insensitively (NFC-normalised first, so a
    title typed with a decomposed Vietnamese keyboard still matches). A LIKE pattern's ``%`` and
    ``_`` in ``search`` are taken literally."""
    text_nfc = unicodedata.normalize("NFC", search.strip())
    compact = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text_nfc)).upper()
    conditions = [Feedback.title.ilike(f"%{_escape_like(text_nfc)}%", escape="\\")]
    if compact and compact.isascii() and compact.isalnum():
        conditions.append(func.replace(Feedback.code, "-", "").like(f"%{compact}%"))
    return or_(*conditions)


def find_unit(text: str) -> Unit | None:
    """The unit an administrator typed in a filter: its code (any case), its exact name (any
    case), or its id; None when nothing matches. Read only."""
    text = unicodedata.normalize("NFC", text.strip())
    if not text:
        return None
    unit = db.session.scalar(select(Unit).where(func.lower(Unit.code) == text.lower()))
    if unit is None:
        unit = db.session.scalars(select(Unit).where(func.lower(Unit.name) == text.lower())
                                  .order_by(Unit.id).limit(1)).first()
    if unit is None and text.isascii() and text.isdigit() and len(text) < 10:
        unit = db.session.get(Unit, int(text))
    return unit


def item_exists(code: str) -> bool:
    """Whether an item has exactly this (canonical) code. Read only."""
    return db.session.scalar(select(exists().where(Feedback.code == code))) or False


def units_for_handover() -> list[Unit]:
    """Active units by name (``name_key``): those an item may be handed to. Read only."""
    return sorted(db.session.scalars(select(Unit).where(Unit.active.is_(True))), key=_by_name)


def units_for_filter() -> list[Unit]:
    """Every unit by name (``name_key``), inactive ones too (an item may still be held by one). Read only."""
    return sorted(db.session.scalars(select(Unit)), key=_by_name)


def _by_name(unit: Unit) -> tuple[NameKey, int]:
    return name_key(unit.name), unit.id


def item_detail(code: str, *, viewer: Viewer, now: datetime) -> ItemDetail:
    """Everything about the item with ``code``: facts, routing, assignments, every clock, every event
    (public and internal) with whether the hash chain still verifies, attachments' metadata and,
    for a viewer allowed to see them (``may_see_personal_data``), the resident's details. Raises
    ItemNotFound also for an item the viewer may not see (its existence is not revealed). Read
    only: the caller logs the display of personal data with ``record_personal_data_view``."""
    item = db.session.scalar(
        select(Feedback)
        .where(Feedback.code == code, visible_items_filter(viewer))
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
    if may_see_personal_data(viewer, item_facts(item)):
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
        media_url=item.media_url,
        topic=item.topic.name,
        locality_path=_locality_path(item.locality),
        received_at=item.received_at,
        unit=item.current_unit.name if item.current_unit is not None else None,
        routing_rule_id=item.routing_rule_id,
        routing_explanation=item.routing_explanation or None,
        assignments=tuple(
            AssignmentRow(a.unit.name, a.rule_id, a.explanation, a.assigned_at, a.ended_at, a.end_reason,
                          returned_reason(a), _handover_reason(a))
            for a in item.assignments
        ),
        deadlines=tuple(
            DeadlineRow(d.clock, d.sequence, d.unit.name if d.unit is not None else None, d.legal_basis,
                        d.day_type, d.period_days, d.starts_at, d.due_at, d.paused_at, d.extensions, d.met_at,
                        d.breached_at, d.closed_at, deadline_is_overdue(d, now))
            for d in sorted(item.deadlines, key=lambda d: (d.starts_at, d.id))
        ),
        events=tuple(EventRow(e.seq, e.at, e.action, e.actor, e.actor_user_id, e.public, e.before, e.after)
                     for e in events),
        chain_intact=verify_chain(item.id),
        attachments=tuple(AttachmentRow(a.original_name, a.content_type, a.size, a.sha256, a.created_at, a.id)
                          for a in item.attachments),
        resident=resident,
    )


def _locality_path(locality: Locality) -> tuple[str, ...]:
    ids = locality.ancestor_ids() or (locality.id,)
    names = {row.id: row.name for row in db.session.execute(select(Locality.id, Locality.name)
                                                             .where(Locality.id.in_(ids)))}
    return tuple(names[i] for i in ids if i in names)


def record_personal_data_view(item: ItemDetail, viewer: User, now: datetime, *,
                              page: str = "admin.item_detail") -> Event | None:
    """Log that ``viewer`` was shown the resident's details of ``item``; commits.

    Appends one internal (never public) "personal_data_viewed" event to the item's chain, naming
    the viewer, which details were on the page and which ``page`` showed them. Call it once per display, before the page is
    sent: if it raises, show nothing. Returns None (nothing written) when ``item`` carries no
    personal data (``resident`` is None). Not idempotent: every display is one event. A clash
    with a concurrent writer of the same chain is retried (``_CHAIN_ATTEMPTS``), then raised.
    """
    if item.resident is None:
        return None
    shown = [name for name, value in (("name", item.resident.name), ("phone", item.resident.phone),
                                      ("email", item.resident.email)) if value]
    return log_personal_data_view(item.id, item.code, viewer, now, {"fields": shown, "page": page})


def record_file_view(feedback_id: int, code: str, attachment_id: int, viewer: User, now: datetime) -> Event:
    """Log that ``viewer`` opened the resident's file ``attachment_id`` of the item (a photo
    shows faces, number plates, house numbers: personal data, DESIGN.md §1); commits. One
    internal "personal_data_viewed" event per opening, with ``fields: ["attachment"]``."""
    return log_personal_data_view(feedback_id, code, viewer, now,
                                  {"fields": ["attachment"], "attachment_id": attachment_id, "page": "file"})


def log_personal_data_view(feedback_id: int, code: str, viewer: User, now: datetime,
                           after: dict[str, object]) -> Event:
    """Append the internal "personal_data_viewed" event with ``after`` and commit, retrying a
    clash with a concurrent writer of the same chain (``_CHAIN_ATTEMPTS``), then raising."""
    for attempt in range(1, _CHAIN_ATTEMPTS + 1):
        feedback = db.session.get(Feedback, feedback_id)
        if feedback is None:
            raise ItemNotFound(code)
        event = record_event(feedback, EventAction.PERSONAL_DATA_VIEWED, actor=Actor.user(viewer.id, viewer.username),
                             at=now, public=False, after=after)
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


def _handover_reason(assignment: Assignment) -> str | None:
    if assignment.ended_at is None or assignment.end_reason is not EndReason.HANDED_OVER:
        return None
    return assignment.end_reason_text or ""


def may_hand_over(status: Status) -> bool:
    """Whether an administrator may still hand an item of ``status`` to another unit."""
    return status in _HANDOVER_STATUSES


def hand_over(code: str, *, unit_id: int, reason: str, actor: Actor, now: datetime) -> Unit:
    """An administrator gives the item with ``code`` to unit ``unit_id``, with ``reason``; commits.

    Allowed at any status before the answer (received, assigned, in progress); the unit must
    exist, be active and not already hold the item, and the reason must not be blank; otherwise
    HandoverRefused (nothing written). Raises ItemNotFound. Like a transfer between units
    (``feedback.services.routing.transfer``): the open assignment ends with the reason, an internal
    "handed_over_by_admin" event records who, from which unit, to which and why, and the new
    assignment is made by ``routing.give`` (public "assigned" event, clocks handed over without
    restarting, the unit notified). The public explanation names the unit, never the reason.
    Returns the unit now holding the item. Not idempotent: the same hand-over twice is refused
    the second time (the unit already holds it).
    """
    reason = " ".join((reason or "").split())
    item = db.session.scalar(
        select(Feedback).where(Feedback.code == code).with_for_update().execution_options(populate_existing=True)
    )
    if item is None:
        raise ItemNotFound(code)
    try:
        if item.origin is not Origin.RESIDENT:
            raise HandoverRefused(_("Kiến nghị giám sát được gửi đích danh đơn vị: không chuyển cho đơn vị khác."))
        if not may_hand_over(item.status):
            raise HandoverRefused(_("Ý kiến %(code)s đã được trả lời hoặc đã đóng nên không thể chuyển đơn vị.",
                                    code=code))
        if not reason:
            raise HandoverRefused(_("Hãy nêu lý do chuyển ý kiến cho đơn vị khác."))
        unit = db.session.get(Unit, unit_id)
        if unit is None or not unit.active:
            raise HandoverRefused(_("Không tìm thấy đơn vị nhận hoặc đơn vị đã ngừng hoạt động."))
        if item.current_unit_id == unit.id:
            raise HandoverRefused(_("%(unit)s đang xử lý ý kiến này.", unit=unit.name))
    except HandoverRefused:
        db.session.rollback()  # release the row lock
        raise
    current = open_assignment(item)
    previous = current.unit if current is not None else None
    record_event(item, EventAction.HANDED_OVER_BY_ADMIN, actor=actor, at=now, public=False,
                 after={"from_unit": previous.name if previous is not None else None, "unit": unit.name,
                        "unit_id": unit.id, "reason": reason})
    if current is not None:
        current.ended_at = now
        current.end_reason = EndReason.HANDED_OVER
        current.end_reason_text = reason
        db.session.flush()
    explanation = _("Quản trị viên chuyển cho đơn vị có thẩm quyền → %(unit)s", unit=unit.name)
    give(item, Target(unit, None, explanation, dispute=False), now, actor=actor)
    db.session.commit()
    return unit
