"""Figures for the administrator's dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from feedback.extensions import Model, db
from feedback.models import Feedback, Locality, RoutingRule, Topic, Unit


@dataclass(frozen=True)
class DirectoryCounts:
    localities: int
    topics: int
    units: int
    rules: int
    items: int


def count_directory() -> DirectoryCounts:
    """How many localities, topics, units, routing rules and items exist (read only)."""

    def count(model: type[Model]) -> int:
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())

    return DirectoryCounts(
        localities=count(Locality),
        topics=count(Topic),
        units=count(Unit),
        rules=count(RoutingRule),
        items=count(Feedback),
    )
