"""How facts fall into the groups of a table (unit, commune, village, topic, kind, month), what
each group is called, and which localities and topics a scope covers. Read only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Select, any_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from feedback.domain.status import Kind
from feedback.domain.text import name_key
from feedback.models import Locality, LocalityLevel, Topic, Unit
from feedback.services.database import (
    int_array,
    int_array_param,
    on_postgresql,
    read_rows,
)
from feedback.services.kinds import kind_name
from feedback.services.statistics.shared import SharedReads, once
from feedback.services.statistics.values import Grouping, Scope

GroupId = int | str


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


@dataclass(frozen=True)
class Covered:
    """The localities and topics a scope covers (None: all)."""

    localities: frozenset[int] | None
    topics: frozenset[int] | None


@dataclass(frozen=True)
class Node:
    """A locality a scope names (its territory, its locality filter)."""

    id: int
    path: str
    level: LocalityLevel
    parent_id: int | None
    whole: bool  # the only root of the tree: every row is in its subtree


def scope_nodes(session: Session, scope: Scope, shared: SharedReads | None = None) -> dict[int, Node]:
    """The localities ``scope`` names, by id (one missing: no such locality), in one statement;
    once per ``shared`` (the figures' filters and the overdue counts of a page both need them)."""
    return once(shared, ("scope nodes", scope), lambda: _scope_nodes(session, scope))


@cache
def _nodes_statement() -> Select[*tuple[Any, ...]]:
    """``_scope_nodes``'s statement (the ids: the bound parameter ``ids``), built once per process:
    its alias and subquery cost more to build than the database took to answer it."""
    root = aliased(Locality)
    roots = select(func.count()).select_from(root).where(root.parent_id.is_(None)).scalar_subquery()
    return select(Locality.id, Locality.path, Locality.level, Locality.parent_id,
                  roots.label("roots")).where(Locality.id.in_(bindparam("ids", expanding=True)))


def _scope_nodes(session: Session, scope: Scope) -> dict[int, Node]:
    node_ids = [i for i in (scope.territory_id, scope.locality_id) if i is not None]
    if not node_ids:
        return {}
    rows = session.execute(_nodes_statement(), {"ids": node_ids})
    return {row.id: Node(row.id, row.path, row.level, row.parent_id,
                         row.parent_id is None and row.roots == 1 and bool(row.path)) for row in rows}


def topic_path(session: Session, topic_id: int, shared: SharedReads | None = None) -> str | None:
    """The path of the topic ``topic_id`` (None: no such topic); once per ``shared``."""
    return once(shared, ("topic path", topic_id),
                lambda: session.scalar(select(Topic.path).where(Topic.id == topic_id)))


def _subtree(session: Session, model: type[Locality] | type[Topic], node_id: int) -> set[int]:
    path = session.scalar(select(model.path).where(model.id == node_id))
    if not path:
        return {node_id}
    return set(session.scalars(select(model.id).where(model.path.startswith(path, autoescape=True)))) | {node_id}


def covered(session: Session, scope: Scope) -> Covered:
    """The locality ids inside both the territory and the chosen locality, and the topic ids
    of the chosen topic's subtree (None where the scope does not limit them)."""
    localities: set[int] | None = None
    for node in (scope.territory_id, scope.locality_id):
        if node is not None:
            subtree = _subtree(session, Locality, node)
            localities = subtree if localities is None else localities & subtree
    topics = _subtree(session, Topic, scope.topic_id) if scope.topic_id is not None else None
    return Covered(frozenset(localities) if localities is not None else None,
                   frozenset(topics) if topics is not None else None)


def labels(session: Session, group: Grouping, ids: Iterable[GroupId],
           unit_names: dict[int, tuple[str, str]] | None = None) -> dict[GroupId, tuple[str, str]]:
    """(key, label) of each group id: for units their code and name as given in ``unit_names``
    (the names they acted under), else as they are now; communes and topics by code and name,
    villages by code and "name, commune"; kinds by value and name; months as "YYYY-MM" and "MM/YYYY".
    The ids are one parameter (``among``): a province's 1,452 villages were as many, compiled and
    sent at each view."""
    wanted = list(ids)
    found: dict[GroupId, tuple[str, str]] = {}
    postgres = on_postgresql()
    if group == "unit":
        names = dict(unit_names or {})
        missing = [i for i in wanted if i not in names]
        if missing:
            for unit_id, code, name in read_rows(session, _labels_statement("unit", postgres),
                                                 {"ids": _ids(missing, postgres)}):
                names[unit_id] = (code, name)
        found = {i: names[int(i)] for i in wanted if int(i) in names}
    elif group in ("commune", "topic"):
        for group_id, code, name in read_rows(session, _labels_statement(group, postgres),
                                              {"ids": _ids(wanted, postgres)}):
            found[group_id] = (code, name)
    elif group == "village":
        # Village names repeat from commune to commune ("Khu phố 1" in four wards of one
        # province): each is named with its commune, as the unit inbox's filter names them.
        for place_id, code, name, commune in read_rows(session, _labels_statement(group, postgres),
                                                       {"ids": _ids(wanted, postgres)}):
            found[place_id] = (code, f"{name}, {commune}" if commune else name)
    elif group == "kind":
        found = {i: (str(i), kind_name(Kind(str(i)))) for i in wanted}
    else:
        found = {i: (str(i), month_label(str(i))) for i in wanted}
    return found


def _ids(ids: list[GroupId], postgres: bool) -> object:
    """The value of the ``ids`` parameter of ``_labels_statement``."""
    return int_array(ids) if postgres else ids


@cache
def _labels_statement(group: Grouping, postgres: bool) -> Select[*tuple[Any, ...]]:
    """``labels``' statement of ``group`` (the ids: the bound parameter ``ids``, on PostgreSQL one
    array given as its text: ``_ids``), built once per process: building it cost about as much
    CPU as the database spent answering it."""
    model: Any = Unit if group == "unit" else Topic if group == "topic" else Locality
    ids = (model.id == any_(int_array_param("ids")) if postgres
           else model.id.in_(bindparam("ids", expanding=True)))
    if group == "village":
        parent = aliased(Locality)
        return (select(Locality.id, Locality.code, Locality.name, parent.name.label("commune"))
                .outerjoin(parent, parent.id == Locality.parent_id).where(ids))
    return select(model.id, model.code, model.name).where(ids)


def ordered(group: Grouping, keyed: dict[GroupId, tuple[str, str]]) -> list[GroupId]:
    """Months in time order; every other grouping by label (``name_key``: "Đông Triều" among the
    D's, not after Z), then key."""
    if group == "month":
        return sorted(keyed, key=str)
    return sorted(keyed, key=lambda i: (name_key(keyed[i][1]), keyed[i][0]))
