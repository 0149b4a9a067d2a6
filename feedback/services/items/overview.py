"""Figures for the administrator's dashboard, and the directory of codes used by CSV imports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from feedback.domain.text import matches
from feedback.extensions import Model, db
from feedback.models import Feedback, Locality, LocalityLevel, RoutingRule, Topic, Unit


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


@dataclass(frozen=True)
class CodeEntry:
    """One row of the code directory: the code to type in a CSV file, the name, and context
    (a locality's parent, a topic's parent, a unit's kind) and whether it is in use."""

    code: str
    name: str
    context: str
    active: bool = True


@dataclass(frozen=True)
class CodeDirectory:
    units: list[CodeEntry]
    topics: list[CodeEntry]
    localities: list[CodeEntry]
    villages_hidden: int  # villages left out because no search narrows the list


def code_directory(query: str = "") -> CodeDirectory:
    """Unit, topic and locality codes for the CSV import, each list sorted by code, filtered by
    ``query`` (every word in the code, name or parent name, accent-insensitive: ``matches``).

    Without a query, villages (about 1,500 in Quảng Ninh) are left out and only counted; the
    search finds them. Read only; loads the three tables (a few thousand rows at most).
    """
    query = query.strip()
    names = {locality.id: locality.name for locality in db.session.scalars(
        select(Locality).where(Locality.level != LocalityLevel.VILLAGE))}
    localities: list[CodeEntry] = []
    hidden = 0
    for locality in db.session.scalars(select(Locality).order_by(Locality.code)):
        parent = names.get(locality.parent_id or 0, "")
        if not query and locality.level is LocalityLevel.VILLAGE:
            hidden += 1
            continue
        if not query or matches(query, f"{locality.code} {locality.name} {parent}"):
            localities.append(CodeEntry(locality.code, locality.name, parent))
    topic_names = {topic.id: topic.name for topic in db.session.scalars(select(Topic))}
    topics = [CodeEntry(topic.code, topic.name, topic_names.get(topic.parent_id or 0, ""))
              for topic in db.session.scalars(select(Topic).order_by(Topic.code))
              if not query or matches(query, f"{topic.code} {topic.name}")]
    units = [CodeEntry(unit.code, unit.name, "", unit.active)
             for unit in db.session.scalars(select(Unit).order_by(Unit.code))
             if not query or matches(query, f"{unit.code} {unit.name}")]
    return CodeDirectory(units=units, topics=topics, localities=localities, villages_hidden=hidden)
