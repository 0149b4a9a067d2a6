"""The figures counted directly from the raw facts (``facts.facts_of`` over every item in
scope): slow, simple, and the oracle the rollups are tested against. Read only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period, median
from feedback.models import Feedback
from feedback.services.statistics.facts import facts_of
from feedback.services.statistics.grouping import GroupId, Covered, covered, labels, month_of, ordered
from feedback.services.statistics.overdue import recount_late_items, recount_overdue_counts
from feedback.services.statistics.values import Fact, FactKind, Figures, Grouping, Scope

SECONDS_PER_DAY = 86400


def scoped_facts(session: Session, period: Period, scope: Scope) -> list[Fact]:
    """The facts of the period (by their local day) within ``scope``."""
    where = covered(session, scope)
    query = select(Feedback.id).order_by(Feedback.id)
    if where.localities is not None:
        query = query.where(Feedback.locality_id.in_(where.localities))
    if where.topics is not None:
        query = query.where(Feedback.topic_id.in_(where.topics))
    ids = list(session.scalars(query))
    return [f for f in facts_of(session, ids) if period.contains(f.day) and _in_scope(f, scope, where)]


def _in_scope(fact: Fact, scope: Scope, where: Covered) -> bool:
    return ((scope.unit_id is None or fact.unit_id == scope.unit_id)
            and (scope.kind is None or fact.kind is scope.kind)
            and (where.localities is None or fact.locality_id in where.localities)
            and (where.topics is None or fact.topic_id in where.topics))


def group_of(fact: Fact, group: Grouping) -> GroupId | None:
    if group == "unit":
        return fact.unit_id
    if group == "commune":
        return fact.commune_id
    if group == "village":
        return fact.village_id
    if group == "topic":
        return fact.topic_id
    if group == "kind":
        return fact.kind.value
    return month_of(fact.day)


def _days(seconds: float | None) -> float | None:
    return seconds / SECONDS_PER_DAY if seconds is not None else None


def count(key: str, label: str, facts: Iterable[Fact], overdue: int) -> Figures:
    """The figures of one group's facts (and its overdue count)."""
    by: dict[FactKind, list[Fact]] = defaultdict(list)
    for fact in facts:
        by[fact.measure].append(fact)
    answered = by[FactKind.ANSWERED]
    return Figures.of(
        key, label,
        received=len(by[FactKind.RECEIVED]),
        answered=len(answered),
        answered_on_time=sum(1 for f in answered if f.on_time),
        overdue_open=overdue,
        median_days_to_answer=_days(median([f.seconds or 0 for f in answered])),
        transfers=len(by[FactKind.TRANSFER]),
        reopened=len(by[FactKind.REOPENED]),
        ratings=len(by[FactKind.RATING]),
        satisfied=sum(1 for f in by[FactKind.RATING] if f.satisfied),
    )


def unit_names(facts: Iterable[Fact]) -> dict[int, tuple[str, str]]:
    """Each unit's code and name on its latest fact (the name it last acted under)."""
    latest: dict[int, Fact] = {}
    for fact in facts:
        if fact.unit_id not in latest or (fact.at, fact.measure.value) >= (latest[fact.unit_id].at,
                                                                           latest[fact.unit_id].measure.value):
            latest[fact.unit_id] = fact
    return {unit_id: (fact.unit_code, fact.unit_name) for unit_id, fact in latest.items()}


def period_unit_names(session: Session, period: Period) -> dict[int, tuple[str, str]]:
    """Each unit's code and name on its latest fact of the period, whatever the scope."""
    ids = list(session.scalars(select(Feedback.id)))
    return unit_names(f for f in facts_of(session, ids) if period.contains(f.day))


def recount_figures(session: Session, *, period: Period, group: Grouping, scope: Scope,
                    now: datetime) -> list[Figures]:
    """One row per group with any fact in the period or anything overdue now (every month of
    the period for "month"), counted from the raw facts."""
    facts = scoped_facts(session, period, scope)
    grouped: dict[GroupId, list[Fact]] = defaultdict(list)
    for fact in facts:
        key = group_of(fact, group)
        if key is not None:
            grouped[key].append(fact)
    overdue = recount_overdue_counts(session, scope, group, now)
    if group == "month":
        overdue = {k: v for k, v in overdue.items() if k in period.months()}
        for month in period.months():
            grouped.setdefault(month, [])
    ids = set(grouped) | {k for k, v in overdue.items() if v}
    keyed = labels(session, group, ids, period_unit_names(session, period) if group == "unit" else None)
    return [count(keyed[i][0], keyed[i][1], grouped.get(i, []), overdue.get(i, 0)) for i in ordered(group, keyed)]


def recount_totals(session: Session, *, period: Period, scope: Scope, now: datetime) -> Figures:
    """Everything in scope as one row (key and label empty), counted from the raw facts."""
    facts = scoped_facts(session, period, scope)
    return count("", "", facts, len(recount_late_items(session, scope, now)))


def recount_items_behind(session: Session, *, period: Period, scope: Scope, figure: str, group: Grouping | None,
                         key: str | None, now: datetime) -> Select[Any]:
    """The items a figure of the recount counts (see ``items_behind``)."""
    from feedback.services.statistics.drill import behind_ids

    facts = scoped_facts(session, period, scope)
    ids = behind_ids(session, facts, scope=scope, figure=figure, group=group, key=key, now=now)
    return select(Feedback).where(Feedback.id.in_(sorted(ids))).order_by(Feedback.id)
