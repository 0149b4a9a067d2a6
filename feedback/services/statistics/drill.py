"""Drill-down: which facts (and so which items) a figure of a table counts. Read only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from feedback.services.statistics.grouping import labels
from feedback.services.statistics.overdue import group_of_late, recount_late_items
from feedback.services.statistics.values import FIGURE_NAMES, Fact, FactKind, Grouping, Scope

_MEASURE = {
    "received": FactKind.RECEIVED,
    "answered": FactKind.ANSWERED,
    "answered_on_time": FactKind.ANSWERED,
    "transfers": FactKind.TRANSFER,
    "reopened": FactKind.REOPENED,
    "ratings": FactKind.RATING,
    "satisfied": FactKind.RATING,
}


def check_figure(figure: str) -> None:
    """ValueError unless ``figure`` names a figure that counts items (FIGURE_NAMES)."""
    if figure not in FIGURE_NAMES:
        raise ValueError(f"no items behind {figure!r}")


def fact_counts(fact: Fact, figure: str) -> bool:
    """Whether ``fact`` is one that ``figure`` counts."""
    if _MEASURE.get(figure) is not fact.measure:
        return False
    if figure == "answered_on_time":
        return fact.on_time
    if figure == "satisfied":
        return fact.satisfied
    return True


def behind_ids(session: Session, facts: Iterable[Fact], *, scope: Scope, figure: str, group: Grouping | None,
               key: str | None, now: datetime) -> set[int]:
    """The item ids behind ``figure`` of the group whose key is ``key`` (all groups when
    ``group`` is None)."""
    from feedback.services.statistics.recount import group_of, unit_names

    check_figure(figure)
    if figure == "overdue_open":
        late = recount_late_items(session, scope, now)
        if group is None:
            return {x.feedback_id for x in late}
        ids = {x: group_of_late(x, group) for x in late}
        keyed = labels(session, group, {g for g in ids.values() if g is not None})
        return {x.feedback_id for x, g in ids.items() if g is not None and keyed.get(g, ("",))[0] == key}
    chosen = [f for f in facts if fact_counts(f, figure)]
    if group is None:
        return {f.feedback_id for f in chosen}
    groups = {f: group_of(f, group) for f in chosen}
    keyed = labels(session, group, {g for g in groups.values() if g is not None}, unit_names(chosen))
    return {f.feedback_id for f, g in groups.items() if g is not None and keyed.get(g, ("",))[0] == key}
