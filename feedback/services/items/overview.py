"""Figures for the administrator's dashboard, and the directory of codes used by CSV imports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text

from feedback.domain.text import matches
from feedback.extensions import Model, db
from feedback.models import Feedback, Locality, LocalityLevel, RoutingRule, Topic, Unit
from feedback.services.database import on_postgresql


# Up to this many items the dashboard counts them exactly; beyond, PostgreSQL's own estimate
# (kept by ANALYZE and autovacuum) stands in: an exact count(*) reads every item ever received
# (366 ms at 10,000,000 items, issue #11) for one number on each visit.
EXACT_ITEM_COUNT_UP_TO = 100_000


@dataclass(frozen=True)
class DirectoryCounts:
    localities: int
    topics: int
    units: int
    rules: int
    items: int
    items_estimated: bool = False  # ``items`` is PostgreSQL's estimate, not an exact count


def count_directory() -> DirectoryCounts:
    """How many localities, topics, units, routing rules and items exist (read only).

    Items are counted exactly while there are at most EXACT_ITEM_COUNT_UP_TO of them (always on
    SQLite); past that on PostgreSQL, ``items`` is the planner's estimate of the table's rows and
    ``items_estimated`` is True.
    """

    def count(model: type[Model]) -> int:
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())

    items, estimated = _estimated_items(), True
    if items is None or items <= EXACT_ITEM_COUNT_UP_TO:
        items, estimated = count(Feedback), False
    return DirectoryCounts(
        localities=count(Locality),
        topics=count(Topic),
        units=count(Unit),
        rules=count(RoutingRule),
        items=items,
        items_estimated=estimated,
    )


def _estimated_items() -> int | None:
    """PostgreSQL's estimate of the rows of ``feedback``; None on SQLite or before any ANALYZE."""
    if not on_postgresql():
        return None
    estimate = db.session.execute(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'feedback'::regclass")).scalar()
    return int(estimate) if estimate is not None and estimate >= 0 else None


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
