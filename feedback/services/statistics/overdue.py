"""Overdue now: the items past a deadline at ``now``, per unit whose clock it is (never from the
rollups: it changes by the minute). Read only.

Two ways to the same answer:

- ``overdue_counts``, ``overdue_total``, ``late_items``, ``overdue_now``: from the kept state
  (``overdue_item``, one row per item and unit with a breached open clock, trigger-maintained,
  with the item's commune and village) united with the window of open clocks past due but not
  yet breached (``feedback.services.deadlines.overdue_state``): their cost follows the overdue
  items in scope (one range of a covering index), counted in SQL, never the clocks' history;
  over the whole tree the counts are summed from ``overdue_tally`` instead. What the dashboard,
  exports and briefing read.
- ``recount_late_items``, ``recount_overdue_counts``: the rule ``overdue_clause`` over the
  clocks themselves, item by item: the oracle the kept state is tested against (``recount``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY, ColumnElement, CompoundSelect, Integer, Select, and_, any_, bindparam, case, cast, false, func, literal,
    null, select, tuple_,
)
from sqlalchemy.orm import Session, aliased

from feedback.domain.calendar import local_date
from feedback.domain.status import Kind, Origin
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, OverdueItem, OverdueTally, Topic, Unit
from feedback.services.database import among, on_postgresql, read_rows
from feedback.services.deadlines import TALLIED, overdue_clause, window_clause, window_rows
from feedback.services.statistics.facts import Place, places
from feedback.services.statistics.grouping import GroupId, Node, month_of, scope_nodes, topic_path
from feedback.services.statistics.shared import SharedReads, once
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
    commune_id: int | None  # where the locality sits (``facts.places``)
    village_id: int | None


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


def _recount_late_clocks(session: Session, scope: Scope, now: datetime) -> dict[int, dict[int, _Clock]]:
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


def _place_name() -> tuple[ColumnElement[str], Any]:
    """The item's place as the overdue list names it, and the alias of its parent to join: a
    village with its commune ("Khu phố 1, Phường Hà Tu": village names repeat from commune to
    commune), anything else by its own name."""
    commune = aliased(Locality)
    name = case((and_(Locality.level == LocalityLevel.VILLAGE, commune.name.is_not(None)),
                 Locality.name + ", " + commune.name), else_=Locality.name)
    return name.label("locality_name"), commune


def _recount_late_rows(session: Session, scope: Scope, now: datetime) -> list[tuple[Any, _Clock]]:
    """(item row, clock) for each item and unit overdue now within ``scope``, in two steps so
    that the cost follows the number of overdue clocks, not of items: the clocks, then their
    items by id with the scope's conditions."""
    late = _recount_late_clocks(session, scope, now)
    if not late:
        return []
    name, commune = _place_name()
    items = (select(Feedback.id, Feedback.code, Feedback.locality_id, Feedback.topic_id, Feedback.kind,
                    name, Topic.name.label("topic_name"))
             .join(Locality, Locality.id == Feedback.locality_id).outerjoin(commune, commune.id == Locality.parent_id)
             .join(Topic, Topic.id == Feedback.topic_id)
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


def recount_late_items(session: Session, scope: Scope, now: datetime) -> list[Late]:
    """Each (item, unit) with an overdue clock now, within ``scope`` (the item's locality, topic
    and kind as they are now; the unit whose clock it is), from the clocks; their communes and
    villages from the localities' paths (``places``)."""
    rows = _recount_late_rows(session, scope, now)
    where = places(session, {row.locality_id for row, _ in rows}) if rows else {}
    late = []
    for row, clock in rows:
        place = where.get(row.locality_id, Place(row.locality_id, None))
        late.append(Late(row.id, clock.unit_id, row.locality_id, row.topic_id, row.kind, clock.due_at,
                         place.commune_id, place.village_id))
    return late


def group_of_late(late: Late, group: Grouping) -> GroupId | None:
    if group == "unit":
        return late.unit_id
    if group == "commune":
        return late.commune_id
    if group == "village":
        return late.village_id
    if group == "topic":
        return late.topic_id
    if group == "kind":
        return late.kind.value
    return month_of(local_date(late.due_at))


def recount_overdue_counts(session: Session, scope: Scope, group: Grouping, now: datetime) -> dict[GroupId, int]:
    """How many items are overdue now per group (by the due month for "month"), from the clocks."""
    counts: dict[GroupId, int] = defaultdict(int)
    for late in recount_late_items(session, scope, now):
        key = group_of_late(late, group)
        if key is not None:
            counts[key] += 1
    return dict(counts)



# ---------------------------------------------------------------- from the kept state

@dataclass(frozen=True)
class _Cols:
    """The columns of one source of overdue clocks (kept rows, or the window's clocks and items)."""

    feedback_id: Any
    unit_id: Any
    clock: Any
    due_at: Any
    locality_id: Any
    topic_id: Any
    kind: Any
    origin: Any
    commune_id: Any
    village_id: Any


_KEPT = _Cols(OverdueItem.feedback_id, OverdueItem.unit_id, OverdueItem.clock, OverdueItem.due_at,
              OverdueItem.locality_id, OverdueItem.topic_id, OverdueItem.kind, OverdueItem.origin,
              OverdueItem.commune_id, OverdueItem.village_id)
# The window's items' communes and villages, derived in SQL as the triggers derive the kept rows'
# (migration 0024): a village's commune is its parent; any other locality is its own commune.
_IS_VILLAGE = Locality.level == LocalityLevel.VILLAGE
_WINDOW = _Cols(Deadline.feedback_id, Deadline.unit_id, Deadline.clock, Deadline.due_at, Feedback.locality_id,
                Feedback.topic_id, Feedback.kind, Feedback.origin,
                case((and_(_IS_VILLAGE, Locality.parent_id.is_not(None)), Locality.parent_id), else_=Locality.id),
                case((_IS_VILLAGE, Locality.id), else_=null()))


@dataclass(frozen=True)
class _InScope:
    """``scope`` with its localities and topic read once per call (one statement each)."""

    scope: Scope
    nodes: dict[int, Node]
    topic_path: str | None


def _in_scope(session: Session, scope: Scope, shared: SharedReads | None = None) -> _InScope:
    """``scope``'s localities and topic path (``grouping.scope_nodes``, ``grouping.topic_path``:
    read once per ``shared``, with the figures' filters)."""
    topic = topic_path(session, scope.topic_id, shared) if scope.topic_id is not None else None
    return _InScope(scope, scope_nodes(session, scope, shared), topic)


def _scope_clauses(where: _InScope, c: _Cols) -> list[ColumnElement[bool]]:
    """``scope`` as conditions on a source (the same as ``item_clauses`` and the unit filter of
    the recount): resident items with a unit's clock, the kind, the locality and topic subtrees."""
    scope = where.scope
    clauses: list[ColumnElement[bool]] = [c.origin == Origin.RESIDENT, c.unit_id.is_not(None)]
    if scope.unit_id is not None:
        clauses.append(c.unit_id == scope.unit_id)
    if scope.kind is not None:
        clauses.append(c.kind == scope.kind)
    for node_id in (scope.territory_id, scope.locality_id):
        if node_id is not None:
            node = where.nodes.get(node_id)
            clauses += _place_clauses(node, node_id, c) if c is _KEPT else _window_place_clauses(node, node_id)
    if scope.topic_id is not None:
        clauses.append(c.topic_id.in_(select(Topic.id).where(Topic.path.startswith(where.topic_path, autoescape=True)))
                       if where.topic_path else c.topic_id == scope.topic_id)
    return clauses


def _window_place_clauses(node: Node | None, node_id: int) -> list[ColumnElement[bool]]:
    """The same subtree on the window's items, by their locality (its id for a village, a leaf;
    else its path): conditions the planner reads as what they are. On the derived commune or
    village it took a village's for likely and read the window from the village's items, not
    from the few past-due clocks (10 ms instead of 0.05)."""
    if node is None or not node.path:
        return [Feedback.locality_id == node_id]
    if node.level is LocalityLevel.VILLAGE:
        return [Feedback.locality_id == node_id]
    if node.whole:
        return []
    return [Feedback.locality_id.in_(select(Locality.id).where(Locality.path.startswith(node.path, autoescape=True)))]


def _place_clauses(node: Node | None, node_id: int, c: _Cols) -> list[ColumnElement[bool]]:
    """The rows of ``c`` whose locality is ``node_id`` or under it, by their commune and village
    (the tree is province > commune > village): a village's rows are its own, a commune's those
    whose commune it is (each one range of ``ix_overdue_item_counts``), a province's those whose
    commune is in its subtree: all of them when it is the tree's only root (no condition to
    check on every row)."""
    if node is None or not node.path:
        return [c.locality_id == node_id]
    if node.level is LocalityLevel.VILLAGE:
        return [c.commune_id == (node.parent_id if node.parent_id is not None else node_id), c.village_id == node_id]
    if node.level is LocalityLevel.COMMUNE:
        return [c.commune_id == node_id]
    if node.whole:
        return []
    return [c.commune_id.in_(select(Locality.id).where(Locality.path.startswith(node.path, autoescape=True)))]


def _select(c: _Cols, *extra: Any) -> Any:
    return select(c.feedback_id.label("feedback_id"), c.unit_id.label("unit_id"), c.clock.label("clock"),
                  c.due_at.label("due_at"), c.locality_id.label("locality_id"), c.topic_id.label("topic_id"),
                  c.kind.label("kind"), c.commune_id.label("commune_id"), c.village_id.label("village_id"), *extra)


def _late(row: Any) -> Late:
    return Late(row.feedback_id, row.unit_id, row.locality_id, row.topic_id, row.kind, row.due_at, row.commune_id,
                row.village_id)


def _window_rows(session: Session, where: _InScope, now: datetime, shared: SharedReads | None = None) -> list[Any]:
    """The window's clocks in scope (``_read_window``), once per ``shared``."""
    return once(shared, ("overdue window", where.scope, now), lambda: _read_window(session, where, now))


def _read_window(session: Session, where: _InScope, now: datetime) -> list[Any]:
    """The window's clocks in scope (open, unbreached, past due: a few minutes of the scan's lag),
    in two steps: the window's clocks alone (a few, from ``ix_deadline_open_due``), then those of
    them in scope, by id. In one statement the planner misjudged the window (its statistics take
    most open clocks for past due) and walked every item of the scope's localities to join them to
    it: 185,949 items and 685 ms for one commune at 10,000,000 items, for no clock at all."""
    ids = [row.id for row in window_rows(session, _window_ids(), {"now": now})]
    if not ids:
        return []
    return list(session.execute(_select(_WINDOW).join(Feedback, Feedback.id == Deadline.feedback_id)
                                .join(Locality, Locality.id == Feedback.locality_id)
                                .where(among(Deadline.id, ids), *_scope_clauses(where, _WINDOW))
                                .order_by(Deadline.due_at)))


@cache
def _window_ids() -> Select[*tuple[Any, ...]]:
    """The window's clock ids, ``now`` a bound parameter: built once per process, not at every page."""
    return select(Deadline.id).where(window_clause(bindparam("now", type_=Deadline.due_at.type)))


def _merged(session: Session, where: _InScope, now: datetime,
            shared: SharedReads | None = None) -> tuple[dict[tuple[int, int], Late], dict[tuple[int, int], Late]]:
    """For the pairs the window touches: (their kept rows in scope, the pairs as they are now:
    the earliest clock of kept row and window); once per ``shared``."""
    return once(shared, ("overdue window merged", where.scope, now), lambda: _merge(session, where, now, shared))


def _merge(session: Session, where: _InScope, now: datetime,
           shared: SharedReads | None) -> tuple[dict[tuple[int, int], Late], dict[tuple[int, int], Late]]:
    window = _window_rows(session, where, now, shared)
    if not window:
        return {}, {}
    ids = sorted({row.feedback_id for row in window})
    kept = {(row.feedback_id, row.unit_id): _late(row)
            for row in session.execute(_select(_KEPT).where(OverdueItem.feedback_id.in_(ids),
                                                            *_scope_clauses(where, _KEPT)))}
    merged = dict(kept)
    for row in window:
        key = (row.feedback_id, row.unit_id)
        if key not in merged or row.due_at < merged[key].due_at:
            merged[key] = _late(row)
    return kept, merged


def _month_key(due_at: Any) -> Any:
    """The local month of ``due_at`` in SQL (Việt Nam's time is UTC+7 all year, no daylight
    saving): on PostgreSQL the first instant of the month as a local timestamp (``_month_of``
    names it; a ``date_trunc`` of a fixed shift costs per row half of ``to_char`` of
    ``timezone``), on SQLite "YYYY-MM"."""
    if on_postgresql():
        return func.date_trunc("month", func.timezone("UTC", due_at) + _VN_OFFSET)
    return func.strftime("%Y-%m", due_at, "+7 hours")


_VN_OFFSET = literal(timedelta(hours=7))


def _month_of(key: Any) -> GroupId:
    return f"{key.year:04d}-{key.month:02d}" if isinstance(key, datetime) else key


def _whole(where: _InScope) -> bool:
    """Whether the scope is the whole tree and nothing else (no unit, kind or topic): what the
    tally counts."""
    scope = where.scope
    if scope.unit_id is not None or scope.kind is not None or scope.topic_id is not None:
        return False
    return all(node_id in where.nodes and where.nodes[node_id].whole
               for node_id in (scope.territory_id, scope.locality_id) if node_id is not None)


def _tallied(session: Session, dimension: str) -> dict[GroupId, int]:
    """The kept rows per group of ``dimension``, summed from ``overdue_tally`` (once compacted,
    a row per group of each dimension) instead of counted."""
    key = getattr(OverdueTally, TALLIED[dimension])
    return {k: int(n) for k, n in session.execute(
        select(key, func.sum(OverdueTally.n)).where(key.is_not(None)).group_by(key)) if n}


def _kept_counts(session: Session, where: _InScope, group: Grouping) -> dict[GroupId, int]:
    """The kept rows in scope per group: from the tally for the whole tree, else one GROUP BY
    (for a commune or a village a range of ``ix_overdue_item_counts``)."""
    if _whole(where) and group in TALLIED:
        return _tallied(session, group)
    key: Any = {"unit": OverdueItem.unit_id, "commune": OverdueItem.commune_id, "village": OverdueItem.village_id,
                "topic": OverdueItem.topic_id, "kind": OverdueItem.kind}.get(group)
    if key is None:
        key = _month_key(OverdueItem.due_at)
    counts: dict[GroupId, int] = {}
    for row in session.execute(select(key.label("key"), func.count()).where(*_scope_clauses(where, _KEPT))
                               .group_by(key)):
        if row[0] is not None:
            counts[row[0].value if isinstance(row[0], Kind) else _month_of(row[0])] = row[1]
    return counts


def _kept_total(session: Session, where: _InScope) -> int:
    """The kept rows in scope: summed from the tally for the whole tree, else one count."""
    if _whole(where):
        return sum(_tallied(session, "kind").values())  # every counted row has one kind
    return session.scalar(select(func.count()).select_from(OverdueItem).where(*_scope_clauses(where, _KEPT))) or 0


_TOTAL = ""  # the one key of the total among the kept counts (the grouping None)
# The kept rows' columns by grouping, as ``_kept_sets`` reads them (months by their local month).
_KEPT_COLUMNS = {"unit": "unit_id", "commune": "commune_id", "village": "village_id", "topic": "topic_id",
                 "kind": "kind", "month": "month"}


def _kept(session: Session, where: _InScope, group: Grouping | None,
          shared: SharedReads | None) -> dict[GroupId, int]:
    """``_kept_counts`` of ``group``, or the total (``_kept_total``, under the key ``_TOTAL``) for
    None. With ``shared`` on PostgreSQL, those of every grouping its page asks (``asked``), in
    one statement (``_kept_sets``) once for all of them."""
    if shared is not None and on_postgresql():
        asked = tuple(sorted({g for _, g in shared.asked}, key=lambda g: g or ""))
        if group in asked and len(asked) > 1:
            return once(shared, ("overdue kept", where.scope, asked), lambda: _kept_sets(session, where, asked))[group]
    if group is None:
        return {_TOTAL: _kept_total(session, where)}
    return _kept_counts(session, where, group)


def _kept_sets(session: Session, where: _InScope,
               groups: tuple[Grouping | None, ...]) -> dict[Grouping | None, dict[GroupId, int]]:
    """``_kept`` of each of ``groups`` by ``GROUPING SETS`` (PostgreSQL): over the tally for the
    whole tree (the total summed from its kinds, as ``_kept_total``), else over the kept rows in
    scope (the total as the empty set)."""
    whole = _whole(where)
    if whole:
        names = sorted({TALLIED[g if g is not None else "kind"] for g in groups})
        statement = _tally_sets(tuple(names))
        width = len(names)
    else:
        kept = select(OverdueItem.unit_id, OverdueItem.commune_id, OverdueItem.village_id, OverdueItem.topic_id,
                      OverdueItem.kind, _month_key(OverdueItem.due_at).label("month")).where(
            *_scope_clauses(where, _KEPT)).subquery("kept")
        names = sorted({_KEPT_COLUMNS[g] for g in groups if g is not None})
        columns = [kept.c[name] for name in names]
        sets = [tuple_(c) for c in columns] + ([tuple_()] if None in groups else [])
        statement = (select(*columns, *(func.grouping(c) for c in columns), func.count())
                     .group_by(func.grouping_sets(*sets)))
        width = len(columns)
    by_column: dict[str, dict[GroupId, int]] = {name: {} for name in names}
    total = 0
    for row in read_rows(session, statement):
        grouped = [i for i in range(width) if row[width + i] == 0]  # the column this row is grouped by, if any
        if not grouped:
            total = int(row[-1] or 0)
        elif row[grouped[0]] is not None and row[-1]:
            key = row[grouped[0]]
            by_column[names[grouped[0]]][key.value if isinstance(key, Kind) else _month_of(key)] = int(row[-1])
    result: dict[Grouping | None, dict[GroupId, int]] = {}
    for group in groups:
        if group is None:
            result[None] = {_TOTAL: sum(by_column["kind"].values()) if whole else total}
        else:
            result[group] = by_column[TALLIED[group] if whole else _KEPT_COLUMNS[group]]
    return result


@lru_cache(maxsize=64)
def _tally_sets(names: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    """``_kept_sets``'s statement over the tally (the whole tree: no value to bind), built once
    per process and set of columns: building it cost more CPU than the database spent on it."""
    columns = [getattr(OverdueTally, name) for name in names]
    return (select(*columns, *(func.grouping(c) for c in columns), func.sum(OverdueTally.n))
            .group_by(func.grouping_sets(*(tuple_(c) for c in columns))))


def _shared_scope(session: Session, scope: Scope, shared: SharedReads | None) -> _InScope:
    return once(shared, ("overdue scope", scope), lambda: _in_scope(session, scope, shared))


def overdue_counts(session: Session, scope: Scope, group: Grouping, now: datetime,
                   shared: SharedReads | None = None) -> dict[GroupId, int]:
    """How many items are overdue now per group (by the due month of the earliest overdue clock
    for "month"): the kept rows in scope per group, corrected by the window's pairs. ``shared``:
    the scope and the window already read for this page (``SharedReads``)."""
    where = _shared_scope(session, scope, shared)
    counts: dict[GroupId, int] = defaultdict(int, _kept(session, where, group, shared))
    kept, merged = _merged(session, where, now, shared)
    for late in kept.values():
        counts[group_of_late(late, group)] -= 1  # type: ignore[index]
    for late in merged.values():
        counts[group_of_late(late, group)] += 1  # type: ignore[index]
    return {k: v for k, v in counts.items() if k is not None and v}


def overdue_total(session: Session, scope: Scope, now: datetime, shared: SharedReads | None = None) -> int:
    """How many (item, unit) pairs are overdue now in ``scope``: one count over the kept rows
    (``shared`` as for ``overdue_counts``)."""
    where = _shared_scope(session, scope, shared)
    kept = _kept(session, where, None, shared)[_TOTAL]
    old, merged = _merged(session, where, now, shared)
    return kept - len(old) + len(merged)


# The kept rows' column of each grouping but months (``group_of_late`` of a kept row is its value).
_KEPT_GROUP: dict[str, Any] = {"unit": OverdueItem.unit_id, "commune": OverdueItem.commune_id,
                               "village": OverdueItem.village_id, "topic": OverdueItem.topic_id,
                               "kind": OverdueItem.kind}


def late_items(session: Session, scope: Scope, now: datetime, group: Grouping | None = None,
               groups: Collection[GroupId] | None = None) -> list[Late]:
    """Each (item, unit) with an overdue clock now, within ``scope`` (the item's locality, topic
    and kind as they are now; the unit whose clock it is): the kept rows and the window. With
    ``group`` and ``groups``, only those whose group (``group_of_late``) is one of ``groups``:
    the kept rows filtered in SQL on their column (one commune's out of a province's: not
    every late item of the province read to be grouped here), months by their due month."""
    where = _in_scope(session, scope)
    kept, merged = _merged(session, where, now)
    query = _select(_KEPT).where(*_scope_clauses(where, _KEPT))
    wanted: set[GroupId] | None = None
    if group is not None and groups is not None:
        wanted = set(groups)
        if not wanted:
            return []
        column = _KEPT_GROUP.get(group)
        if column is not None:
            query = query.where(column.in_(sorted(Kind(str(k)) for k in wanted) if group == "kind"
                                           else sorted(int(k) for k in wanted)))
    found = {(row.feedback_id, row.unit_id): _late(row) for row in session.execute(query)}
    found.update(merged)
    if wanted is None or group is None:
        return list(found.values())
    return [late for late in found.values() if group_of_late(late, group) in wanted]


def late_ids(session: Session, scope: Scope, now: datetime, group: Grouping | None = None,
             groups: Collection[GroupId] | None = None) -> Select[Any] | CompoundSelect[Any]:
    """The items of ``late_items`` (same arguments) as a query of their distinct ids (column
    ``feedback_id``), for a caller to page in id order: the kept rows in scope (by their group's
    column), but the pairs the window touches, whose earliest clock is taken from the window
    (``_merged``, a few). No late item is read here but the window's; by months (no column)
    the items of ``late_items``."""
    if group is not None and groups is not None and not groups:
        return select(Feedback.id.label("feedback_id")).where(false())
    column = _KEPT_GROUP.get(group) if group is not None else None
    if group is not None and groups is not None and column is None:  # months: by the due month in Python
        return select(Feedback.id.label("feedback_id")).where(Feedback.id.in_(sorted({x.feedback_id for x in late_items(
            session, scope, now, group, groups)})))
    where = _in_scope(session, scope)
    _, merged = _merged(session, where, now)
    kept = select(OverdueItem.feedback_id).where(*_scope_clauses(where, _KEPT))
    wanted: set[GroupId] | None = set(groups) if group is not None and groups is not None else None
    if column is not None and wanted is not None:
        kept = kept.where(column.in_(sorted(Kind(str(k)) for k in wanted) if group == "kind"
                                     else sorted(int(k) for k in wanted)))
    if merged:
        kept = kept.where(tuple_(OverdueItem.feedback_id, OverdueItem.unit_id).not_in(sorted(merged)))
    window = sorted({late.feedback_id for late in merged.values()
                     if wanted is None or group is None or group_of_late(late, group) in wanted})
    if window:  # UNION: distinct
        return kept.union(select(Feedback.id.label("feedback_id")).where(Feedback.id.in_(window)))
    return kept.distinct()


def overdue_now(session: Session, *, scope: Scope, now: datetime, limit: int | None = None,
                shared: SharedReads | None = None) -> list[OverdueRow]:
    """The overdue list now: one row per item and unit whose clock is past due (its earliest
    such clock), the latest first (then by code); only the first ``limit`` when given. Reads the
    kept rows by due time (a top-N, not the history), then the items of the rows it keeps
    (``shared`` as for ``overdue_counts``)."""
    where = _shared_scope(session, scope, shared)
    kept = _select(_KEPT, OverdueItem.deadline_id.label("deadline_id")).where(*_scope_clauses(where, _KEPT))
    window_rows = _window_rows(session, where, now, shared)
    if limit is not None:
        kept = kept.order_by(OverdueItem.due_at, OverdueItem.deadline_id).limit(limit + len(window_rows))
    pairs: dict[tuple[int, int], Any] = {}
    for row in [*session.execute(kept), *window_rows]:
        key = (row.feedback_id, row.unit_id)
        if key not in pairs or row.due_at < pairs[key].due_at:
            pairs[key] = row
    chosen = sorted(pairs.values(), key=lambda r: r.due_at)
    if not chosen:
        return []
    ids = sorted({r.feedback_id for r in chosen})
    name, commune = _place_name()
    items = {row.id: row for row in session.execute(
        select(Feedback.id, Feedback.code, name, Topic.name.label("topic_name"))
        .join(Locality, Locality.id == Feedback.locality_id).outerjoin(commune, commune.id == Locality.parent_id)
        .join(Topic, Topic.id == Feedback.topic_id)
        .where(Feedback.id == any_(cast(literal(ids, ARRAY(Integer)), ARRAY(Integer))) if on_postgresql()
               else Feedback.id.in_(ids)))}
    units = {u.id: u for u in session.execute(select(Unit.id, Unit.code, Unit.name).where(
        Unit.id.in_(sorted({r.unit_id for r in chosen}))))}
    rows = [OverdueRow(
        feedback_id=r.feedback_id, code=items[r.feedback_id].code or str(r.feedback_id), unit_id=r.unit_id,
        unit_code=units[r.unit_id].code, unit_name=units[r.unit_id].name, kind=r.kind, topic_id=r.topic_id,
        topic_name=items[r.feedback_id].topic_name, locality_id=r.locality_id,
        locality_name=items[r.feedback_id].locality_name, clock=r.clock, due_at=r.due_at, late=now - r.due_at,
    ) for r in chosen]
    rows.sort(key=lambda r: (-r.late.total_seconds(), r.code))
    return rows[:limit] if limit is not None else rows
