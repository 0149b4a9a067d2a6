"""Overdue now: the items past a deadline at ``now``, per unit whose clock it is (never from the
rollups: it changes by the minute). The rule is the deadlines' ``overdue_clause``. Read only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, cast, literal, select
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date
from feedback.domain.status import Kind, Origin
from feedback.models import Deadline, Feedback, Locality, Topic, Unit
from feedback.services.database import on_postgresql
from feedback.services.deadlines import overdue_clause
from feedback.services.statistics.facts import Place, places
from feedback.services.statistics.grouping import GroupId, month_of
from feedback.services.statistics.values import Grouping, OverdueRow, Scope


@dataclass(frozen=True)
class Late:
    """One item overdue for one unit: its earliest overdue clock."""

    feedback_id: int
    unit_id: int
    locality_id: int
    topic_id: int
    kind: Kind
    due_at: datetime


BATCH = 500  # item ids per query of the second step on SQLite (one array on PostgreSQL)


def item_clauses(session: Session, scope: Scope) -> list[ColumnElement[bool]]:
    """``scope`` as conditions on a query of Feedback joined to its Locality and Topic: the
    item's kind, and its locality and topic inside the chosen subtrees (a constant prefix of
    their paths, which the planner can estimate)."""
    clauses: list[ColumnElement[bool]] = [Feedback.origin == Origin.RESIDENT]  # not the Front's recommendations
    if scope.kind is not None:
        clauses.append(Feedback.kind == scope.kind)
    for node_id in (scope.territory_id, scope.locality_id):
        if node_id is not None:
            path = session.scalar(select(Locality.path).where(Locality.id == node_id))
            clauses.append(Locality.path.startswith(path, autoescape=True) if path else Locality.id == node_id)
    if scope.topic_id is not None:
        topic_path = session.scalar(select(Topic.path).where(Topic.id == scope.topic_id))
        clauses.append(Topic.path.startswith(topic_path, autoescape=True) if topic_path
                       else Topic.id == scope.topic_id)
    return clauses


@dataclass(frozen=True)
class _Clock:
    unit_id: int
    clock: str
    due_at: datetime


def _late_clocks(session: Session, scope: Scope, now: datetime) -> dict[int, dict[int, _Clock]]:
    """Item → unit → its earliest clock past due now (the rule: ``overdue_clause``)."""
    query = (select(Deadline.feedback_id, Deadline.unit_id, Deadline.clock, Deadline.due_at)
             .where(overdue_clause(now), Deadline.unit_id.is_not(None)).order_by(Deadline.due_at, Deadline.id))
    if scope.unit_id is not None:
        query = query.where(Deadline.unit_id == scope.unit_id)
    late: dict[int, dict[int, _Clock]] = {}
    for feedback_id, unit_id, clock, due_at in session.execute(query):
        if unit_id is not None:
            late.setdefault(feedback_id, {}).setdefault(unit_id, _Clock(unit_id, clock, due_at))
    return late


def _late_rows(session: Session, scope: Scope, now: datetime) -> list[tuple[Any, _Clock]]:
    """(item row, clock) for each item and unit overdue now within ``scope``, in two steps so
    that the cost follows the number of overdue clocks, not of items: the clocks, then their
    items by id with the scope's conditions."""
    late = _late_clocks(session, scope, now)
    if not late:
        return []
    items = (select(Feedback.id, Feedback.code, Feedback.locality_id, Feedback.topic_id, Feedback.kind,
                    Locality.name.label("locality_name"), Topic.name.label("topic_name"))
             .join(Locality, Locality.id == Feedback.locality_id).join(Topic, Topic.id == Feedback.topic_id)
             .where(*item_clauses(session, scope)))
    ids = sorted(late)
    found: list[tuple[Any, _Clock]] = []
    if on_postgresql():  # one array parameter, whatever the number of overdue items
        batches = [Feedback.id == any_(cast(literal(ids, ARRAY(Integer)), ARRAY(Integer)))]
    else:
        batches = [Feedback.id.in_(ids[offset:offset + BATCH]) for offset in range(0, len(ids), BATCH)]
    for batch in batches:
        for row in session.execute(items.where(batch)):
            found += [(row, clock) for clock in late[row.id].values()]
    return found


def late_items(session: Session, scope: Scope, now: datetime) -> list[Late]:
    """Each (item, unit) with an overdue clock now, within ``scope`` (the item's locality, topic
    and kind as they are now; the unit whose clock it is)."""
    return [Late(row.id, clock.unit_id, row.locality_id, row.topic_id, row.kind, clock.due_at)
            for row, clock in _late_rows(session, scope, now)]


def group_of_late(late: Late, group: Grouping, where: dict[int, Place]) -> GroupId | None:
    place = where.get(late.locality_id, Place(late.locality_id, None))
    if group == "unit":
        return late.unit_id
    if group == "commune":
        return place.commune_id
    if group == "village":
        return place.village_id
    if group == "topic":
        return late.topic_id
    if group == "kind":
        return late.kind.value
    return month_of(local_date(late.due_at))


def overdue_counts(session: Session, scope: Scope, group: Grouping, now: datetime) -> dict[GroupId, int]:
    """How many items are overdue now per group (by the due month for "month")."""
    where = places(session) if group in ("commune", "village") else {}
    counts: dict[GroupId, int] = defaultdict(int)
    for late in late_items(session, scope, now):
        key = group_of_late(late, group, where)
        if key is not None:
            counts[key] += 1
    return dict(counts)


def overdue_now(session: Session, *, scope: Scope, now: datetime) -> list[OverdueRow]:
    """The overdue list now: one row per item and unit whose clock is past due (its earliest
    such clock), the latest first."""
    found = _late_rows(session, scope, now)
    units = {u.id: u for u in session.execute(select(Unit.id, Unit.code, Unit.name).where(
        Unit.id.in_(sorted({clock.unit_id for _, clock in found}))))}
    rows = [OverdueRow(
        feedback_id=row.id, code=row.code or str(row.id), unit_id=clock.unit_id, unit_code=units[clock.unit_id].code,
        unit_name=units[clock.unit_id].name, kind=row.kind, topic_id=row.topic_id, topic_name=row.topic_name,
        locality_id=row.locality_id, locality_name=row.locality_name, clock=clock.clock, due_at=clock.due_at,
        late=now - clock.due_at,
    ) for row, clock in found]
    return sorted(rows, key=lambda r: (-r.late.total_seconds(), r.code))
