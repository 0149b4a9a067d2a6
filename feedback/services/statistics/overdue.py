"""Overdue now: the items past a deadline at ``now``, per unit whose clock it is (never from the
rollups: it changes by the minute). The rule is the deadlines' ``overdue_clause``. Read only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date
from feedback.domain.status import Kind
from feedback.models import Deadline, Feedback, Locality, Topic, Unit
from feedback.services.deadlines import overdue_clause
from feedback.services.statistics.facts import Place, places
from feedback.services.statistics.grouping import Covered, GroupId, covered, month_of
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


def _late_query(scope: Scope, where: Covered, now: datetime) -> Select[int, int | None, int, int, Kind, datetime]:
    query = (
        select(Deadline.feedback_id, Deadline.unit_id, Feedback.locality_id, Feedback.topic_id, Feedback.kind,
               func.min(Deadline.due_at))
        .join(Feedback, Feedback.id == Deadline.feedback_id)
        .where(overdue_clause(now), Deadline.unit_id.is_not(None))
        .group_by(Deadline.feedback_id, Deadline.unit_id, Feedback.locality_id, Feedback.topic_id, Feedback.kind)
    )
    if scope.unit_id is not None:
        query = query.where(Deadline.unit_id == scope.unit_id)
    if scope.kind is not None:
        query = query.where(Feedback.kind == scope.kind)
    if where.localities is not None:
        query = query.where(Feedback.locality_id.in_(where.localities))
    if where.topics is not None:
        query = query.where(Feedback.topic_id.in_(where.topics))
    return query


def late_items(session: Session, scope: Scope, now: datetime) -> list[Late]:
    """Each (item, unit) with an overdue clock now, within ``scope`` (the item's locality, topic
    and kind as they are now; the unit whose clock it is)."""
    rows = session.execute(_late_query(scope, covered(session, scope), now)).all()
    return [Late(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows if r[1] is not None]


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
    such clock), latest first (the most late on top)."""
    query = (
        select(Deadline.feedback_id, Deadline.unit_id, Deadline.clock, Deadline.due_at, Feedback.code,
               Feedback.kind, Feedback.topic_id, Topic.name.label("topic_name"), Feedback.locality_id,
               Locality.name.label("locality_name"), Unit.code.label("unit_code"), Unit.name.label("unit_name"))
        .join(Feedback, Feedback.id == Deadline.feedback_id)
        .join(Topic, Topic.id == Feedback.topic_id)
        .join(Locality, Locality.id == Feedback.locality_id)
        .join(Unit, Unit.id == Deadline.unit_id)
        .where(overdue_clause(now))
        .order_by(Deadline.due_at, Deadline.id)
    )
    where = covered(session, scope)
    if scope.unit_id is not None:
        query = query.where(Deadline.unit_id == scope.unit_id)
    if scope.kind is not None:
        query = query.where(Feedback.kind == scope.kind)
    if where.localities is not None:
        query = query.where(Feedback.locality_id.in_(where.localities))
    if where.topics is not None:
        query = query.where(Feedback.topic_id.in_(where.topics))
    rows: dict[tuple[int, int], OverdueRow] = {}
    for r in session.execute(query):
        key = (r.feedback_id, r.unit_id)
        if key in rows:
            continue  # the earliest overdue clock of the item for this unit
        rows[key] = OverdueRow(
            feedback_id=r.feedback_id, code=r.code or str(r.feedback_id), unit_id=r.unit_id, unit_code=r.unit_code,
            unit_name=r.unit_name, kind=r.kind, topic_id=r.topic_id, topic_name=r.topic_name,
            locality_id=r.locality_id, locality_name=r.locality_name, clock=r.clock, due_at=r.due_at,
            late=now - r.due_at,
        )
    return sorted(rows.values(), key=lambda row: (-row.late.total_seconds(), row.code))
