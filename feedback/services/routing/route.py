"""Routing an item to the unit that must answer it, and re-sending items stranded in `received`.

``route_item`` is what the worker's ``route_feedback`` task runs. It is safe to run twice or
concurrently: the item is claimed with ``UPDATE feedback SET status='assigned' WHERE id=:id AND
status='received'`` and only the run that won the claim writes; the partial unique index on open
assignments refuses a second one anyway (STYLE.md "Tasks that can run twice").

Khiếu nại and tố cáo are never captured by a rule that does not name their kind
(``HEAD_ONLY_KINDS``): a rule "Thủ tục hành chính → Trung tâm Phục vụ hành chính công" written
for requests must not hand a denunciation of a ward officer to a service centre that has no
power to settle it. The law gives both to the head of the body concerned (Luật Khiếu nại 2011
Art. 17 ff.: the head of the body whose decision or act is contested; Luật Tố cáo 2018 Art. 12:
the head of the body that manages the accused official), so without a rule naming the kind
they fall to the People's Committee of the item's commune (the fallback), which settles them or
transfers them to the competent body with a reason (``transfer.return_item``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Table, and_, bindparam, exists, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from feedback import jobs
from feedback.domain.calendar import local_date
from feedback.domain.events import Actor, EventAction
from feedback.domain.routing import AmbiguousRules, NoUnit, Place, Rule, choose_unit
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Event, Feedback, Locality, LocalityLevel, RoutingRule, Topic, Unit, UnitKind
from feedback.services.routing.assignments import assign, returned_reason, returns_of
from feedback.services.audit import chain_end_columns, record_event, remember_chain_end
from feedback.services.database import execute_kept
from feedback.services.health import beat
from feedback.services.notifications.outbox import queue_notifications
from feedback.services.notifications.receipt_mail import confirm_receipt, receipt_notice

log = logging.getLogger(__name__)

# After this many returns as "not our competence" the item is a jurisdiction dispute and goes to
# the Front committee of its locality, which arbitrates instead of a fourth bounce.
MAX_TRANSFERS = 3
# An item that could not be routed (a configuration error) is tried again by the sweep only after
# this long, so that a few broken items never crowd the sweep's batch every minute.
FAILED_RETRY_AFTER = timedelta(hours=1)
SWEEP_BATCH = 500
SWEEP_HEARTBEAT = "sweep_received"
# Kinds that only a rule naming them may route (module docstring); others take "any kind" rules too.
HEAD_ONLY_KINDS = frozenset({Kind.COMPLAINT, Kind.DENUNCIATION})


class RouteOutcome(StrEnum):
    ASSIGNED = "assigned"  # this run assigned the item
    DISPUTE = "jurisdiction_dispute"  # this run gave the item to the Front after 3 transfers
    SKIPPED = "skipped"  # not `received` (already routed, maybe by a concurrent run): nothing done
    MISSING = "missing"  # no such item
    AMBIGUOUS = "ambiguous_rules"  # equally specific rules: left `received`, event written
    NO_UNIT = "no_unit"  # no rule, no fallback left: left `received`, event written


@dataclass(frozen=True)
class RouteResult:
    outcome: RouteOutcome
    unit_id: int | None = None
    assignment_id: int | None = None


@dataclass(frozen=True)
class Target:
    """Where an item goes: the unit, the rule that chose it (None for a fallback) and why."""

    unit: Unit
    rule_id: int | None
    explanation: str
    dispute: bool
    # No unit ever held the item: it has no clocks yet, so none need looking up (``assign``).
    first: bool = False


def route_item(feedback_id: int, *, now: datetime, confirm: bool = False) -> RouteResult:
    """Assign a `received` item to its unit, start its clocks, notify the unit; commit.

    The unit is chosen by the most specific routing rule valid on the local date of ``now``,
    skipping units that already returned the item, else the People's Committee of its commune;
    after MAX_TRANSFERS returns, the Front committee (``dispute_unit``). Equally specific rules
    or no unit at all are configuration errors: the item stays `received`, an internal
    "routing_failed" event is written and an error is logged for administrators; no unit is
    picked at random. Idempotent: a second run finds the item claimed and returns SKIPPED.

    ``confirm`` (the ``route_feedback`` task) also queues the resident's confirmation email
    (``receipt_mail``), once per item whatever happens to routing: in the routing's own
    transaction (first in the notices' INSERT) when it assigns or records a failure, else apart.
    """
    # The item with its place and topic, whether any unit ever held it and the end of its audit
    # chain, in one statement.
    row = db.session.execute(_item_statement(), {"item_id": feedback_id}).first()
    if row is None:
        return RouteResult(RouteOutcome.MISSING)
    item, held_before, last_seq, last_hash = row
    remember_chain_end(item.id, last_seq, last_hash)
    if item.status is not Status.RECEIVED:
        if confirm:
            confirm_receipt(item.id, now=now)
        return RouteResult(RouteOutcome.SKIPPED, item.current_unit_id)
    receipt = receipt_notice(item) if confirm else None
    try:
        target = choose_target(item, now, held_before=bool(held_before))
    except (AmbiguousRules, NoUnit) as error:
        return _record_failure(item, error, now, receipt)
    if not _claim(item, target, now):
        db.session.rollback()
        if confirm:
            confirm_receipt(feedback_id, now=now)
        return RouteResult(RouteOutcome.SKIPPED)
    try:
        assignment = give(item, target, now, notices=[receipt] if receipt else [])
        unit_id, assignment_id = target.unit.id, assignment.id  # read before the commit expires them
        db.session.commit()
    except IntegrityError as refused:  # an open assignment exists although the item was `received`
        db.session.rollback()
        # Named by the constraint that refused (ids only in the row, but the name is enough): the
        # open assignment's index, or stored facts of an item no unit ever held (uq_stat_fact).
        log.error("item %s was received but could not be given: %s refused the write", feedback_id,
                  _constraint(refused))
        if confirm:
            confirm_receipt(feedback_id, now=now)
        return RouteResult(RouteOutcome.SKIPPED)
    outcome = RouteOutcome.DISPUTE if target.dispute else RouteOutcome.ASSIGNED
    return RouteResult(outcome, unit_id, assignment_id)


# What the claim writes on the item: what ``assign`` would write on it too (one UPDATE, not two).
_CLAIMED = ("status", "updated_at", "current_unit_id", "routing_rule_id", "routing_explanation")


def _claim(item: Feedback, target: Target, now: datetime) -> bool:
    """Claim ``item`` for ``target``: ``UPDATE feedback … WHERE id = :id AND status = 'received'``,
    storing the unit, rule and explanation as ``assign`` would; True when this run won it. The
    statement is kept compiled (``database.execute_kept``), and the loaded item takes the values
    written as its committed state, so that ``assign`` finds nothing left to write on it."""
    values: dict[str, Any] = {"status": Status.ASSIGNED, "updated_at": now, "current_unit_id": target.unit.id,
                              "routing_rule_id": target.rule_id, "routing_explanation": target.explanation}
    claim = execute_kept(_claim_statement(), {"item_id": item.id, **values})
    if int(getattr(claim, "rowcount", 0)) != 1:
        return False
    for name in _CLAIMED:
        set_committed_value(item, name, values[name])
    return True


@lru_cache(maxsize=1)
def _claim_statement() -> Any:
    table = Feedback.__table__
    assert isinstance(table, Table)
    return (update(table)
            .where(table.c.id == bindparam("item_id", type_=Integer),
                   table.c.status == literal(Status.RECEIVED, table.c.status.type))
            .values({name: bindparam(name, type_=table.c[name].type) for name in _CLAIMED}))


@lru_cache(maxsize=1)
def _item_statement() -> Any:
    """``route_item``'s read, built once per process: the item ``item_id`` with its place and
    topic, whether any unit ever held it, and the end of its audit chain."""
    return (
        select(Feedback, exists().where(Assignment.feedback_id == Feedback.id), *chain_end_columns(Feedback.id))
        .where(Feedback.id == bindparam("item_id", type_=Integer))
        .options(joinedload(Feedback.locality), joinedload(Feedback.topic))
        .execution_options(populate_existing=True)
    )


def _constraint(refused: IntegrityError) -> str:
    """The name of the constraint behind ``refused`` (PostgreSQL's diagnostics), else "a unique
    constraint" (SQLite names none)."""
    diagnostics = getattr(refused.orig, "diag", None)
    return getattr(diagnostics, "constraint_name", None) or "a unique constraint"


def give(item: Feedback, target: Target, now: datetime, *, actor: Actor = Actor.system(),
         notices: Sequence[dict[str, object]] = ()) -> Assignment:
    """Assign ``item`` to ``target`` (with the public "jurisdiction_dispute" event first when it
    is one); ``notices`` as ``assign`` takes them. Does not commit."""
    if target.dispute:
        record_event(item, EventAction.JURISDICTION_DISPUTE, actor=actor, at=now,
                     after={"unit": target.unit.name, "transfers": len(returns_of(item))})
    return assign(item, target.unit, rule_id=target.rule_id, explanation=target.explanation, now=now,
                  actor=actor, first=target.first, notices=notices)


def choose_target(item: Feedback, now: datetime, *, held_before: bool = True) -> Target:
    """The unit ``item`` should go to now, with the rule and the explanation.

    ``held_before=False`` (the caller knows no unit ever held the item) skips reading its
    assignments. Raises AmbiguousRules or NoUnit (configuration errors) as ``choose_unit`` does.
    """
    history = list(db.session.scalars(
        select(Assignment).where(Assignment.feedback_id == item.id).order_by(Assignment.id))) if held_before else []
    returned = [a for a in history if returned_reason(a) is not None]
    excluding = frozenset(a.unit_id for a in returned)
    if len(returned) >= MAX_TRANSFERS:
        target = dispute_target(item, excluding, len(returned))
        if target is None:
            raise NoUnit(_place(item, now))
        return target
    # The units the query loads are kept here: the chosen one is then not read again.
    units: dict[int, Unit] = {}
    place, (rules, fallback) = _place(item, now), load_rules(item, now, units)
    decision = choose_unit(place, rules, fallback, excluding)
    unit = units.get(decision.unit_id) or db.session.get(Unit, decision.unit_id)
    if unit is None:  # pragma: no cover - foreign keys forbid it
        raise NoUnit(_place(item, now))
    return Target(unit, decision.rule_id, decision.explanation, dispute=False, first=not history)


def _place(item: Feedback, now: datetime) -> Place:
    return Place(
        locality_path=item.locality.ancestor_ids() or (item.locality_id,),
        topic_path=item.topic.ancestor_ids() or (item.topic_id,),
        kind=item.kind,
        on=local_date(now),
    )


# The levels at which the fallback, the People's Committee of the item's commune, is looked
# for up the item's locality path (the deepest found wins).
FALLBACK_LEVELS = (LocalityLevel.COMMUNE, LocalityLevel.VILLAGE)


def load_rules(item: Feedback, now: datetime,
               units: dict[int, Unit] | None = None) -> tuple[list[Rule], tuple[int, str] | None]:
    """The routing rules that could apply to ``item`` on the local date of ``now``, as domain
    Rules, and the fallback ``choose_unit`` takes (the id and name of the People's Committee of
    the item's commune, the deepest when there are several; None when there is none), in one
    statement: the candidates (the rules' units and the committees) in one ``UNION ALL``, each
    with its unit and the rule's locality and topic. ``units`` receives every unit loaded.

    Rules whose unit is inactive are left out, and so are rules for any kind when the item is a
    khiếu nại or tố cáo (``HEAD_ONLY_KINDS``, see the module docstring). Locality depth comes
    from the locality's level, topic depth from the topic's depth; names are only for the
    explanation.
    """
    place = _place(item, now)
    rows = db.session.execute(_rules_statement(item.kind in HEAD_ONLY_KINDS), {
        "locality_path": list(place.locality_path), "topic_path": list(place.topic_path), "kind": item.kind,
        "on": place.on}).all()
    if units is not None:
        units.update((row.Unit.id, row.Unit) for row in rows)
    fallback = _deepest([row.Unit for row in rows if row.rule_id is None], place.locality_path)
    return [
        Rule(
            id=row.rule_id,
            unit_id=row.Unit.id,
            unit_name=row.Unit.name,
            locality_id=row.locality_id,
            locality_depth=row.locality_level.depth if row.locality_level is not None else 0,
            locality_name=row.locality_name,
            topic_id=row.topic_id,
            topic_depth=row.topic_depth if row.topic_depth is not None else 0,
            topic_name=row.topic_name,
            kind=row.kind,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
        for row in rows if row.rule_id is not None
    ], ((fallback[0].id, fallback[0].name) if fallback else None)


@lru_cache(maxsize=2)
def _rules_statement(head_only: bool) -> Any:
    """``load_rules``'s statement, built once per process for each of the two kind conditions
    (``head_only``: only rules naming the item's kind): the item's values are bind parameters
    (``locality_path``, ``topic_path``: lists; ``kind``; ``on``: the local date)."""
    locality_path = bindparam("locality_path", expanding=True, type_=Integer)
    topic_path = bindparam("topic_path", expanding=True, type_=Integer)
    kind = bindparam("kind", type_=RoutingRule.kind.type)
    on = bindparam("on", type_=RoutingRule.valid_from.type)
    kind_matches = RoutingRule.kind == kind if head_only else or_(RoutingRule.kind.is_(None), RoutingRule.kind == kind)
    rules = (
        select(RoutingRule.id.label("rule_id"), RoutingRule.unit_id.label("unit_id"))
        .join(Unit, Unit.id == RoutingRule.unit_id)
        .where(
            Unit.active.is_(True),
            or_(RoutingRule.locality_id.is_(None), RoutingRule.locality_id.in_(locality_path)),
            or_(RoutingRule.topic_id.is_(None), RoutingRule.topic_id.in_(topic_path)),
            kind_matches,
            or_(RoutingRule.valid_from.is_(None), RoutingRule.valid_from <= on),
            or_(RoutingRule.valid_to.is_(None), RoutingRule.valid_to >= on),
        )
    )
    committees = select(literal(None, Integer).label("rule_id"), Unit.id.label("unit_id")).join(
        Locality, Locality.id == Unit.locality_id).where(
        Unit.kind == UnitKind.COMMUNE_COMMITTEE, Unit.active.is_(True), Unit.locality_id.in_(locality_path),
        Locality.level.in_(FALLBACK_LEVELS))
    candidates = union_all(rules, committees).subquery()
    # The rule, its locality and its topic as columns (only these are read), the unit as the
    # object routing gives the item to.
    return (
        select(RoutingRule.id.label("rule_id"), RoutingRule.locality_id, RoutingRule.topic_id, RoutingRule.kind,
               RoutingRule.valid_from, RoutingRule.valid_to, Locality.level.label("locality_level"),
               Locality.name.label("locality_name"), Topic.depth.label("topic_depth"),
               Topic.name.label("topic_name"), Unit)
        .select_from(candidates)
        .join(Unit, Unit.id == candidates.c.unit_id)
        .outerjoin(RoutingRule, RoutingRule.id == candidates.c.rule_id)
        .outerjoin(Locality, Locality.id == RoutingRule.locality_id)
        .outerjoin(Topic, Topic.id == RoutingRule.topic_id)
    )


def _up_the_tree(path: tuple[int, ...], kind: UnitKind, levels: tuple[LocalityLevel, ...]) -> tuple[Any, ...]:
    """The conditions on Unit (joined to its Locality) of an active unit of ``kind`` based on
    ``path`` (a locality and its ancestors) at one of ``levels``."""
    return Unit.kind == kind, Unit.active.is_(True), Unit.locality_id.in_(path), Locality.level.in_(levels)


def _deepest(units: Sequence[Unit], path: tuple[int, ...]) -> list[Unit]:
    """``units`` (based on ``path``) deepest first, then by id."""
    return sorted(units, key=lambda unit: (-path.index(unit.locality_id), unit.id))


def _units_up_the_tree(item: Feedback, kind: UnitKind, levels: tuple[LocalityLevel, ...]) -> list[Unit]:
    """Active units of ``kind`` based in the item's locality or an ancestor at ``levels``, deepest first."""
    path = item.locality.ancestor_ids() or (item.locality_id,)
    units = db.session.scalars(select(Unit).join(Locality, Locality.id == Unit.locality_id)
                               .where(*_up_the_tree(path, kind, levels)))
    return _deepest(list(units), path)


def dispute_target(item: Feedback, excluding: frozenset[int], transfers: int) -> Target | None:
    """Where ``item`` goes as a jurisdiction dispute after ``transfers`` returns: the Front
    committee of ``dispute_unit`` with the public explanation; None when no committee is left."""
    front = dispute_unit(item, excluding)
    if front is None:
        return None
    explanation = _("Tranh chấp thẩm quyền: đã chuyển %(count)d lần → %(unit)s", count=transfers, unit=front.name)
    return Target(front, None, explanation, dispute=True)


def dispute_unit(item: Feedback, excluding: frozenset[int] = frozenset()) -> Unit | None:
    """The Front committee that arbitrates a jurisdiction dispute over ``item``: the commune's,
    else the province's, leaving out Front committees that returned the item themselves."""
    fronts = _units_up_the_tree(item, UnitKind.FRONT_COMMITTEE, (LocalityLevel.COMMUNE, LocalityLevel.PROVINCE))
    return next((unit for unit in fronts if unit.id not in excluding), None)


def _record_failure(item: Feedback, error: AmbiguousRules | NoUnit, now: datetime,
                    receipt: dict[str, object] | None = None) -> RouteResult:
    if isinstance(error, AmbiguousRules):
        outcome, after = RouteOutcome.AMBIGUOUS, {"reason": "ambiguous_rules", "rule_ids": list(error.rule_ids)}
    else:
        outcome, after = RouteOutcome.NO_UNIT, {"reason": "no_unit"}
    # For administrators: the rules must be fixed; nothing is chosen at random.
    log.error("routing item %s (%s) failed: %s", item.id, item.code, error)
    record_event(item, EventAction.ROUTING_FAILED, actor=Actor.system(), at=now, public=False,
                 after={**after, "message": str(error)})
    if receipt is not None:
        queue_notifications([receipt], now=now)
    db.session.commit()
    return RouteResult(outcome)


def stranded_ids(*, now: datetime, older_than: timedelta, limit: int = SWEEP_BATCH) -> list[int]:
    """Ids of items still `received` since before ``now - older_than``, oldest first, at most ``limit``.

    Items whose routing failed within FAILED_RETRY_AFTER are left for later.
    """
    recent_failure = exists().where(
        and_(Event.feedback_id == Feedback.id, Event.action == EventAction.ROUTING_FAILED,
             Event.at > now - FAILED_RETRY_AFTER)
    )
    return list(db.session.scalars(
        select(Feedback.id)
        .where(Feedback.status == Status.RECEIVED, Feedback.received_at < now - older_than, ~recent_failure)
        .order_by(Feedback.received_at, Feedback.id)
        .limit(limit)
    ))


def sweep_received(*, now: datetime, older_than: timedelta, limit: int = SWEEP_BATCH) -> tuple[int, int]:
    """Send ROUTE_FEEDBACK again for items stranded in `received` (``stranded_ids``).

    Records the "sweep_received" heartbeat (commits), then enqueues. Sending an item twice is
    harmless: routing claims by state. Returns (items found, messages the broker took).
    """
    ids = stranded_ids(now=now, older_than=older_than, limit=limit)
    beat(SWEEP_HEARTBEAT, now)
    sent = 0
    for feedback_id in ids:
        if not jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id):
            break  # the broker is down: the next sweep tries again
        sent += 1
    if ids:
        log.info("sweep: %d items stranded in received, %d sent to routing", len(ids), sent)
    return len(ids), sent
