"""The clocks of an item as Deadline rows: start, pause, resume, extend, meet, recompute.

The domain (``feedback.domain.deadlines``) does the arithmetic; this module loads the facts,
writes rows and events, and keeps two promises of DESIGN.md §5: ``breached_at`` is a recorded
fact never rewritten, and a due date can always be recomputed from the row plus the item's
events ("clocks_resumed" and "deadline_extended" carry what was applied; ``deadline_replay``
replays them), so a calendar change moves every pause and extension onto the new calendar.

These functions write in the caller's transaction and never commit: they are steps of a use
case (routing, transfer, an officer's action) that commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, func, literal, select

from feedback.domain.deadlines import (
    CaseFacts,
    Clock,
    DayType,
    ExtensionRefused,
    Period,
    PlannedDeadline,
    RefusalCode,
    extension_period,
    plan_deadlines,
    plan_reopened_resolution,
    plan_transfer,
    reclassify_complex,
)
from feedback.domain.calendar import WorkCalendar
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, Topic, Unit
from feedback.services.audit import record_event
from feedback.services.deadlines.replay import operations_for, recompute_due_at
from feedback.services.deadlines.calendar import calendar_for, calendar_from, calendar_years, overrides_column

Complexity = Literal["complex", "especially_complex"]


class DeadlineError(ValueError):
    """A clock operation the law or the item's state does not allow; ``str()`` is Vietnamese."""


class ExtensionNotAllowed(DeadlineError):
    """An extension refused by the law (``code`` from the domain)."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _refusal_message(code: RefusalCode) -> str:
    messages: dict[RefusalCode, str] = {
        RefusalCode.REASON_REQUIRED: _("Quyết định gia hạn phải nêu lý do."),
        RefusalCode.COMPLEXITY_REQUIRED: _(
            "Tố cáo chỉ được gia hạn khi vụ việc phức tạp hoặc đặc biệt phức tạp."
        ),
        RefusalCode.LIMIT_REACHED: _("Đã gia hạn đủ số lần pháp luật cho phép."),
        RefusalCode.USE_COMPLEX_PERIOD: _(
            "Khiếu nại không được gia hạn: hãy xác định vụ việc phức tạp để áp dụng thời hạn dài hơn."
        ),
    }
    return messages[code]


def case_facts(item: Feedback) -> CaseFacts:
    """What the law needs to know about ``item``: kind, receipt, remote area, complexity, topic.

    The area is remote when the item's locality or any ancestor is flagged remote. The topic's
    resolution period is the nearest configured one up the topic tree (local quy chế).
    """
    return case_facts_and_calendar(item)[0]


def case_facts_and_calendar(item: Feedback, *instants: datetime) -> tuple[CaseFacts, WorkCalendar | None]:
    """``case_facts(item)`` and, when ``instants`` are given, ``calendar_for(*instants)``, in one
    statement (the calendar's overrides ride along the case facts' read)."""
    locality_path = item.locality.ancestor_ids() or (item.locality_id,)
    years = calendar_years(*instants) if instants else frozenset()
    topic_resolution = None
    topic_ids = item.topic.ancestor_ids() or (item.topic_id,)
    # The topic and its ancestors, each row also carrying the remote-area count (and the
    # calendar's overrides): one statement, built once per set of years.
    rows = db.session.execute(_case_facts_statement(years), {
        "locality_path": list(locality_path), "topic_path": list(topic_ids)}).all()
    topics = {row.id: row for row in rows}
    remote = bool(rows[0].remote) if rows else bool(db.session.scalar(select(_remote_places()), {
        "locality_path": list(locality_path)}))
    calendar = None
    if instants:
        calendar = calendar_from(years, rows[0].overrides) if rows else calendar_for(*instants)
    for topic_id in reversed(topic_ids):
        topic = topics.get(topic_id)
        if topic is not None and topic.resolution_working_days:
            topic_resolution = Period(
                topic.resolution_working_days,
                DayType.WORKING,
                f"Quy chế địa phương, lĩnh vực {topic.name}: {topic.resolution_working_days} ngày làm việc",
            )
            break
    return CaseFacts(
        kind=item.kind,
        received_at=item.received_at,
        remote=remote,
        complex=item.is_complex,
        complaint_round=item.complaint_round,
        several_places=item.several_places,
        topic_resolution=topic_resolution,
    ), calendar


def _remote_places() -> Any:
    """How many of the localities ``locality_path`` (a bind parameter: a list of ids) are remote."""
    return select(func.count()).select_from(Locality).where(
        Locality.id.in_(bindparam("locality_path", expanding=True, type_=Integer)), Locality.remote.is_(True)
    ).scalar_subquery()


@lru_cache(maxsize=16)
def _case_facts_statement(years: frozenset[int]) -> Any:
    """``case_facts_and_calendar``'s statement for the calendar of ``years`` (none: no calendar),
    built once per set of years: the topics ``topic_path`` (a bind parameter) with the remote count
    of ``locality_path`` and the calendar's overrides."""
    overrides = overrides_column(years) if years else literal(None)
    # The topics' columns, not ORM objects: only these are read.
    return select(Topic.id, Topic.name, Topic.resolution_working_days, _remote_places().label("remote"),
                  overrides.label("overrides")).where(Topic.id.in_(bindparam("topic_path", expanding=True, type_=Integer)))


def _describe(deadline: Deadline) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "clock": deadline.clock,
        "due_at": deadline.due_at.isoformat(),
        "legal_basis": deadline.legal_basis,
        "day_type": deadline.day_type,
        "period_days": deadline.period_days,
    }


def open_deadlines(item: Feedback, clocks: Sequence[Clock] | None = None, *, lock: bool = False) -> list[Deadline]:
    """The item's deadlines not yet closed, optionally of ``clocks`` only, oldest first."""
    query = select(Deadline).where(Deadline.feedback_id == item.id, Deadline.closed_at.is_(None))
    if clocks is not None:
        query = query.where(Deadline.clock.in_([c.value for c in clocks]))
    if lock:  # fresh values once the rows are locked, not what the session saw before
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query.order_by(Deadline.id)))


def start_clocks(item: Feedback, unit: Unit, now: datetime, *, actor: Actor = Actor.system()) -> list[Deadline]:
    """Give ``unit`` the item's ACCEPTANCE and RESOLUTION clocks.

    On the first assignment the clocks are planned from the receipt (``plan_deadlines``) and
    written with their legal basis, with a public "deadlines_set" event; the new rows are
    returned. On a later assignment (a transfer) the clocks keep running, as the law asks: open,
    unbreached clocks pass to ``unit`` (a breach stays with the unit that let it happen), an
    internal "deadlines_reassigned" event is written and ``[]`` is returned. Idempotent.
    """
    existing = db.session.scalars(select(Deadline).where(
        Deadline.feedback_id == item.id, Deadline.clock.in_([Clock.ACCEPTANCE.value, Clock.RESOLUTION.value])
    )).all()
    if existing:
        moved = [d for d in existing if d.closed_at is None and d.breached_at is None and d.unit_id != unit.id]
        for deadline in moved:
            deadline.unit_id = unit.id
        if moved:
            record_event(item, EventAction.DEADLINES_REASSIGNED, actor=actor, at=now, public=False,
                         after={"unit_id": unit.id, "deadline_ids": [d.id for d in moved]})
        return []
    rows = first_clocks(item, unit, now)
    db.session.add_all(rows)
    db.session.flush()
    record_clocks_set(item, rows, now, actor=actor)
    return rows


def first_clocks(item: Feedback, unit: Unit, now: datetime) -> list[Deadline]:
    """The ACCEPTANCE and RESOLUTION clocks of an item no unit held yet, owned by ``unit``, planned
    from its receipt (``plan_deadlines``): new rows, not added to the session. Reads the case facts
    and the calendar; writes nothing. ``start_clocks`` adds them and ``record_clocks_set`` says so."""
    facts, calendar = case_facts_and_calendar(item, item.received_at, now)
    assert calendar is not None
    planned = plan_deadlines(facts, calendar)
    return [
        Deadline(
            feedback_id=item.id,
            unit_id=unit.id,
            clock=plan.clock.value,
            sequence=1,
            legal_basis=plan.period.legal_basis,
            day_type=plan.period.day_type.value,
            period_days=plan.period.days,
            starts_at=plan.starts_at,
            due_at=plan.due_at,
            created_at=now,
        )
        for plan in planned
    ]


def record_clocks_set(item: Feedback, rows: Sequence[Deadline], now: datetime, *, actor: Actor) -> None:
    """The public "deadlines_set" event of ``rows`` (flushed: their ids are in it)."""
    record_event(item, EventAction.DEADLINES_SET, actor=actor, at=now, after=clocks_set_after(rows))


def clocks_set_after(rows: Sequence[Deadline]) -> dict[str, Any]:
    """The ``after`` of the "deadlines_set" event of ``rows`` (written: their ids are in it)."""
    return {"deadlines": [_describe(d) for d in rows]}


def add_planned(item: Feedback, plans: Sequence[PlannedDeadline], now: datetime) -> list[Deadline]:
    """Write one open Deadline row per plan for the item's current unit, each numbered one past
    the highest ``sequence`` of its clock so far; flushed, no event (the caller records what the
    new clocks mean). Writes in the caller's transaction."""
    rows: list[Deadline] = []
    for plan in plans:
        sequence = (db.session.scalar(select(func.max(Deadline.sequence)).where(
            Deadline.feedback_id == item.id, Deadline.clock == plan.clock.value)) or 0) + 1
        rows.append(Deadline(
            feedback_id=item.id, unit_id=item.current_unit_id, clock=plan.clock.value, sequence=sequence,
            legal_basis=plan.period.legal_basis, day_type=plan.period.day_type.value,
            period_days=plan.period.days, starts_at=plan.starts_at, due_at=plan.due_at, created_at=now,
        ))
        db.session.add(rows[-1])
        db.session.flush()
    return rows


def open_transfer_clock(item: Feedback, unit_id: int, held_since: datetime, now: datetime,
                        *, actor: Actor = Actor.system()) -> Deadline:
    """Open a TRANSFER clock owned by ``unit_id``: 5 working days from ``held_since``.

    Luật Tố cáo 2018 Art. 24 (and Luật Tiếp công dân): a body that receives an item outside its
    competence must pass it on within 5 working days of receiving it, so the clock counts from
    when the unit got the item, not from when it gave it back; a late return is a breach. The
    clock is met when the next assignment is made (``mark_met``). Each transfer gets the next
    ``sequence``. Writes a public "transfer_clock_set" event.
    """
    sequence = (db.session.scalar(select(func.max(Deadline.sequence)).where(
        Deadline.feedback_id == item.id, Deadline.clock == Clock.TRANSFER.value)) or 0) + 1
    plan = plan_transfer(held_since, calendar_for(held_since, now))
    row = Deadline(
        feedback_id=item.id, unit_id=unit_id, clock=Clock.TRANSFER.value, sequence=sequence,
        legal_basis=plan.period.legal_basis, day_type=plan.period.day_type.value,
        period_days=plan.period.days, starts_at=plan.starts_at, due_at=plan.due_at, created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record_event(item, EventAction.TRANSFER_CLOCK_SET, actor=actor, at=now, after=_describe(row))
    return row


def mark_met(item: Feedback, clock: Clock, now: datetime, *, actor: Actor = Actor.system()) -> list[Deadline]:
    """Stop the open clocks ``clock`` of the item at ``now`` (met_at = closed_at = now).

    A clock already breached is still closed (met late), and its ``breached_at`` stays. Writes a
    public "deadline_met" event per clock saying whether it was on time. Returns the clocks
    stopped; ``[]`` when none was open (idempotent).
    """
    stopped = open_deadlines(item, [clock], lock=True)
    for deadline in stopped:
        deadline.met_at = now
        deadline.closed_at = now
        on_time = deadline.breached_at is None and now <= deadline.due_at
        record_event(item, EventAction.DEADLINE_MET, actor=actor, at=now,
                     after={"id": deadline.id, "clock": deadline.clock, "on_time": on_time})
    return stopped


def pause_clocks(item: Feedback, now: datetime, reason: str, *, actor: Actor = Actor.system()) -> int:
    """Pause the item's open, unbreached clocks while it waits for the resident.

    Raises DeadlineError when ``reason`` is blank. Clocks already paused stay as they are, so a
    second call changes nothing. Writes an internal "clocks_paused" event (the reason may name
    the resident). Returns the number of clocks paused.
    """
    if not reason or not reason.strip():
        raise DeadlineError(_("Tạm dừng thời hạn phải nêu lý do."))
    paused = [d for d in open_deadlines(item, lock=True) if d.paused_at is None and d.breached_at is None]
    for deadline in paused:
        deadline.paused_at = now
    if paused:
        record_event(item, EventAction.CLOCKS_PAUSED, actor=actor, at=now, public=False,
                     after={"reason": reason.strip(), "paused_at": now.isoformat(),
                            "deadline_ids": [d.id for d in paused]})
    return len(paused)


def resume_clocks(item: Feedback, now: datetime, *, actor: Actor = Actor.system()) -> int:
    """Resume the item's paused clocks at ``now``; each due date moves by the days paused.

    The new due date is the clock's history replayed with this pause added (``recompute_due_at``,
    the domain's ``resume_term``): the days owed up to the unshifted last day count again from
    the day after ``now`` and are rolled once, so an earlier roll past a weekend or holiday is
    not carried through the pause; a clock paused after it was due keeps its due date (a breach
    is never undone). Writes an internal "clocks_resumed" event holding every span, which
    ``recompute_due_at`` replays. Returns the number of clocks resumed; 0 when none was paused
    (idempotent).
    """
    paused = [d for d in open_deadlines(item, lock=True) if d.paused_at is not None]
    history = operations_for([item.id]) if paused else {}
    spans: list[dict[str, Any]] = []
    for deadline in paused:
        assert deadline.paused_at is not None
        paused_at = deadline.paused_at
        span: dict[str, Any] = {"id": deadline.id, "paused_at": paused_at.isoformat(),
                                "resumed_at": now.isoformat(), "before": deadline.due_at.isoformat()}
        new_due = recompute_due_at(deadline, {deadline.id: [*history.get(deadline.id, []), ("resume", span)]})
        span["due_at"] = new_due.isoformat()
        spans.append(span)
        if deadline.breached_at is None:
            deadline.due_at = new_due
        deadline.paused_at = None
    if spans:
        record_event(item, EventAction.CLOCKS_RESUMED, actor=actor, at=now, public=False,
                     after={"resumed_at": now.isoformat(), "deadlines": spans})
    return len(spans)


def extend(item: Feedback, clock: Clock, *, complexity: Complexity | None, reason: str | None,
           decided_by: Actor, now: datetime) -> Deadline:
    """Extend the item's open ``clock`` (only RESOLUTION may be extended) by decision.

    Tố cáo: +30 days, once when complex, twice when especially complex (Luật Tố cáo 2018
    Art. 30); comment, report, petition: once, with a reason (local quy chế). A complaint is not
    extended but reclassified complex: its resolution clock is re-planned from its start with
    the complex period (Luật Khiếu nại 2011 Art. 28 / 37), pauses replayed; this needs
    ``complexity`` and a reason and happens once. Raises ExtensionNotAllowed (Vietnamese
    message, domain ``code``) when the law refuses, DeadlineError when there is no open clock
    or it is already due. Writes an internal event (the reason is free text). Returns the row.
    """
    if clock is not Clock.RESOLUTION:
        raise DeadlineError(_("Chỉ thời hạn giải quyết mới được gia hạn."))
    rows = open_deadlines(item, [clock], lock=True)
    if not rows:
        raise DeadlineError(_("Không có thời hạn đang chạy để gia hạn."))
    deadline = rows[-1]
    if deadline.breached_at is not None or now > deadline.due_at:
        raise DeadlineError(_("Thời hạn đã hết: không thể gia hạn sau khi quá hạn."))
    before = deadline.due_at
    details: dict[str, Any]
    try:
        if item.kind is Kind.COMPLAINT:
            if complexity is None:
                raise ExtensionRefused(RefusalCode.USE_COMPLEX_PERIOD)
            plan = reclassify_complex(deadline.starts_at, case_facts(item),
                                      calendar_for(deadline.starts_at, now), reason=reason)
            item.is_complex = True
            deadline.period_days = plan.period.days
            deadline.day_type = plan.period.day_type.value
            deadline.legal_basis = plan.period.legal_basis
            action, details = EventAction.DEADLINE_RECLASSIFIED, {"complexity": complexity}
        else:
            period = extension_period(item.kind, deadline.extensions, complexity=complexity, reason=reason)
            action, details = EventAction.DEADLINE_EXTENDED, {
                "extension_days": period.days, "extension_day_type": period.day_type.value,
                "extension_basis": period.legal_basis, "complexity": complexity,
            }
    except ExtensionRefused as refused:
        raise ExtensionNotAllowed(refused.code, _refusal_message(refused.code)) from refused
    deadline.extensions += 1
    db.session.flush()
    if action is EventAction.DEADLINE_EXTENDED:
        # The history replayed with this extension added: it counts from the unshifted last day
        # (pauses included) and is rolled once (the domain's extend_term), as the replay does.
        history = operations_for([item.id]).get(deadline.id, [])
        deadline.due_at = recompute_due_at(deadline, {deadline.id: [*history, ("extend", details)]})
    else:
        deadline.due_at = recompute_due_at(deadline)
    record_event(item, action, actor=decided_by, at=now, public=False,
                 before={"due_at": before.isoformat()},
                 after={"deadline_id": deadline.id, "clock": deadline.clock, "reason": (reason or "").strip(),
                        "decided_by": str(decided_by), "extensions": deadline.extensions,
                        "due_at": deadline.due_at.isoformat(), **details})
    return deadline


def open_reopened_resolution(item: Feedback, unit_id: int, now: datetime, *, actor: Actor) -> Deadline:
    """A new RESOLUTION clock for the answer cycle a reopening starts, owned by ``unit_id``.

    The resident reopened the answered item at ``now``; the resolution period of its kind counts
    again from ``now`` (``plan_reopened_resolution``). Any RESOLUTION clock still open is
    superseded (closed, neither met nor breached), and so is a DECISION_NOTICE clock of the
    reopened cycle: the new cycle's publication opens its own. Each cycle gets the next ``sequence``. Writes a
    public "deadlines_set" event with the new clock. Does not commit.
    """
    for old in open_deadlines(item, [Clock.RESOLUTION, Clock.DECISION_NOTICE], lock=True):
        old.closed_at = now
    sequence = (db.session.scalar(select(func.max(Deadline.sequence)).where(
        Deadline.feedback_id == item.id, Deadline.clock == Clock.RESOLUTION.value)) or 0) + 1
    plan = plan_reopened_resolution(now, case_facts(item), calendar_for(item.received_at, now))
    row = Deadline(
        feedback_id=item.id, unit_id=unit_id, clock=Clock.RESOLUTION.value, sequence=sequence,
        legal_basis=plan.period.legal_basis, day_type=plan.period.day_type.value,
        period_days=plan.period.days, starts_at=plan.starts_at, due_at=plan.due_at, created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record_event(item, EventAction.DEADLINES_SET, actor=actor, at=now, after={"deadlines": [_describe(row)]})
    return row
