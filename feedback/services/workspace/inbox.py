"""The unit inbox: the open items a unit holds, nearest deadline first, with filters and their counts.

Read model only. Every query starts from ``visible_items_filter(viewer)`` (the one access rule)
and narrows it to the items held *now* by the viewer's units (an officer may still see an item
their unit handed on, but it is no longer in their inbox).

The counts of the inbox as it opens (and of a status tab, and of the overdue items) are kept per
unit, status, overdue or not and facet value in ``unit_item_count`` by database triggers
(migration 0027), so that such a page reads a few dozen count rows and the 25 items it shows,
not every item the unit holds (10,385 open items for one unit at 10 M items).

Search is accent-insensitive ("duong" finds "Đường"): titles are folded in Python with
``feedback.domain.text.fold`` over a bounded candidate set (the scope and status filter, at most
``SEARCH_CANDIDATES`` rows, most recent first), and the matching ids become one more WHERE
clause. No folded-title column (that needs a migration) and no PostgreSQL ``unaccent`` (not in
SQLite, the embedded default): one rule, ``fold``, for both databases. When the candidate set is
cut, ``InboxPage.search_truncated`` says so and the page tells the user to narrow the filters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute, joinedload

from feedback.domain.access import Role, Viewer, visibility
from feedback.domain.calendar import CalendarNotCovered, WorkCalendar, end_of_local_day, local_date
from feedback.domain.lateness import Distance, distance
from feedback.domain.paths import ids_of
from feedback.domain.status import Kind, Origin, Status
from feedback.domain.text import NameKey, fold, name_key, place_key
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, OverdueItem, Topic, Unit, UnitItemCount, User
from feedback.services.access import visible_items_filter
from feedback.services.database import among
from feedback.services.deadlines import deadline_is_overdue
from feedback.services.deadlines.overdue_state import window_clause, window_rows
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.items.lines import ItemLine

# Statuses of an item a unit still has to work on: the inbox shows these unless asked otherwise.
OPEN_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
# Statuses a unit's item can have (an item still `received` has no unit yet).
UNIT_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED, Status.CLOSED, Status.REJECTED)
# "Due soon": due today or within the next two working days (issue #8: "due within 2 working days").
DUE_SOON_WORKING_DAYS = 2
# The accent-insensitive search folds at most this many titles per request (see the module doc).
SEARCH_CANDIDATES = 5000
# The counts of the statuses a unit is done with (answered, closed, rejected: its whole history)
# stop here, like the admin list's (``Option.more`` then says "at least").
COUNT_LIMIT = 10_000

_UNIT_ROLES = frozenset({Role.OFFICER, Role.UNIT_HEAD})
_CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


class NotYourUnit(LookupError):
    """The unit asked for is not one of the viewer's units."""


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to; every field None/False/empty means "no filter".

    ``status`` None means every open status (``OPEN_STATUSES``). ``commune_id`` and
    ``village_id`` match the locality's subtree. ``unit_id`` picks one of the viewer's units.
    """

    unit_id: int | None = None
    status: Status | None = None
    kind: Kind | None = None
    topic_id: int | None = None
    commune_id: int | None = None
    village_id: int | None = None
    officer_id: int | None = None  # the officer the item is assigned to ("Việc của tôi": the viewer)
    overdue: bool = False
    due_soon: bool = False
    recommendations: bool = False  # only supervision recommendations of the Front or the Board
    search: str = ""


@dataclass(frozen=True)
class Option:
    """One value of a filter, with the number of items it would show (the other filters kept)."""

    value: str
    label: str
    count: int
    more: bool = False  # the count stopped at COUNT_LIMIT: at least that many


@dataclass(frozen=True)
class Counts:
    """Counts per filter value, each computed with every *other* filter applied."""

    statuses: tuple[Option, ...] = ()
    kinds: tuple[Option, ...] = ()
    topics: tuple[Option, ...] = ()
    communes: tuple[Option, ...] = ()
    villages: tuple[Option, ...] = ()
    officers: tuple[Option, ...] = ()
    overdue: int = 0
    due_soon: int = 0
    recommendations: int = 0


@dataclass(frozen=True)
class InboxRow(ItemLine):
    """One line: ``late`` how late its most overdue clock is (None: none overdue); ``left`` the
    time left on the nearest running clock when nothing is overdue."""

    late: Distance | None
    left: Distance | None
    recommendation: bool = False  # a supervision recommendation of the Front or the Inspection Board


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    page: int
    pages: int
    total: int
    counts: Counts
    units: tuple[Option, ...] = ()  # the viewer's units (count: their open items)
    search_truncated: bool = False


def viewer_unit_ids(viewer: Viewer) -> frozenset[int]:
    """The units the viewer works in as officer or head. Pure."""
    return frozenset(g.unit_id for g in viewer.grants if g.role in _UNIT_ROLES and g.unit_id is not None)


def _running() -> ColumnElement[bool]:
    return and_(Deadline.met_at.is_(None), Deadline.closed_at.is_(None), Deadline.paused_at.is_(None))


def due_soon_limit(now: datetime, calendar: WorkCalendar) -> datetime:
    """The end of the second working day after today (local dates): "due soon" means due at or
    before it. Pure."""
    return end_of_local_day(calendar.add_working_days(local_date(now), DUE_SOON_WORKING_DAYS))


def due_soon_clause(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Items with a running clock not yet due at ``now`` and due by ``due_soon_limit``.

    Read from the kept nearest clock (``Feedback.next_due_at``, an index column): an item whose
    nearest running clock is due in the range is due soon; one whose nearest is already past
    (the overdue: half of a unit's open items in the benchmark) is looked up in the set of running
    clocks due in the range (``ix_deadline_running_due``: the platform's clocks due within two
    working days, read once); none due later can be."""
    limit = due_soon_limit(now, calendar)
    other_clock = exists().where(Deadline.feedback_id == Feedback.id, _running(), Deadline.due_at >= now,
                                 Deadline.due_at <= limit)
    return and_(Feedback.next_due_at <= limit, or_(Feedback.next_due_at >= now, other_clock))


def _subtree(locality_id: int) -> ColumnElement[bool]:
    prefix = db.session.scalar(select(Locality.path).where(Locality.id == locality_id))
    if not prefix:
        return false()
    return Feedback.locality_id.in_(select(Locality.id).where(Locality.path.startswith(prefix)))


def _late_clause(now: datetime, unit_ids: list[int]) -> tuple[ColumnElement[bool], list[int]]:
    """The items overdue at ``now`` held by ``unit_ids`` (``late_ids``): one ``IN`` over their kept
    rows and the scan's window (any holder: the caller's scope narrows it; read first, by one
    small statement, and passed as ids: see ``late_condition``), and the window's item ids. One
    subquery, not an ``OR`` of two: the planner can then start from the overdue items (hundreds)
    for a count over many (the unit's 14,092 closed items at 1 M: 174 ms when it filtered those
    one by one)."""
    late: Any = select(OverdueItem.feedback_id).where(OverdueItem.current_unit_id.in_(unit_ids))
    window = sorted({row.feedback_id for row in window_rows(db.session(), select(Deadline.feedback_id)
                                                            .where(window_clause(now)))})
    if window:
        late = union_all(late, select(Deadline.feedback_id).where(among(Deadline.feedback_id, window)))
    return Feedback.id.in_(late), window


def _held_late(window: list[int]) -> ColumnElement[bool]:
    """The items overdue now among those a statement reads (the same items as ``_late_clause``'s
    within a unit's scope): the item has a kept overdue row, looked up per item by its key (a
    scalar subquery with LIMIT, which the planner cannot turn into a hash of every kept row), or
    is one of the scan's ``window``. The overdue page then walks the unit's open items nearest
    clock first (the overdue ones come first: their clock is past) and stops at the page's end:
    40 index entries for 25 rows at 1 M items, where the ``IN`` hashed the unit's overdue items
    and joined them to every open item of the unit."""
    kept = select(OverdueItem.feedback_id).where(OverdueItem.feedback_id == Feedback.id).limit(1).scalar_subquery()
    return or_(kept.is_not(None), among(Feedback.id, window)) if window else kept.is_not(None)


def _search_ids(scope: list[ColumnElement[bool]], search: str) -> tuple[list[int], bool]:
    """Ids of the items in ``scope`` whose title contains every folded word of ``search``, or whose
    code contains it (dashes, spaces and case ignored); and whether the candidates were cut."""
    words = fold(search).split()
    compact = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", search)).upper()
    rows = db.session.execute(select(Feedback.id, Feedback.code, Feedback.title).where(*scope)
                              .order_by(Feedback.received_at.desc(), Feedback.id.desc())
                              .limit(SEARCH_CANDIDATES + 1)).all()
    truncated = len(rows) > SEARCH_CANDIDATES
    found = []
    for row in rows[:SEARCH_CANDIDATES]:
        title = fold(row.title)
        code = (row.code or "").replace("-", "").upper()
        if (words and all(word in title for word in words)) or (compact.isalnum() and compact in code):
            found.append(row.id)
    return found, truncated


def inbox(viewer: Viewer, filters: InboxFilters, *, page: int, per_page: int, now: datetime) -> InboxPage:
    """The page ``page`` of the viewer's inbox narrowed by ``filters``, with the counts per filter.

    Items: visible to ``viewer`` (``visible_items_filter``) and held now by one of the viewer's
    units (``filters.unit_id`` for one of them; NotYourUnit for any other unit). Order: nearest
    due time of a running clock first (kept on the item: ``Feedback.next_due_at``), items without
    one last, then oldest received. "Overdue" is ``overdue_clause(now)``, read from the overdue
    items held by these units (``_late_clause``); the counts of answered, closed and rejected
    items stop at COUNT_LIMIT; "due soon" is ``due_soon_clause``; lateness and time left are
    counted as each clock counts its days (``feedback.domain.lateness``). A page past the end is
    empty. Read only.

    Narrowed by status and "overdue" only (no kind, topic, place, officer, due soon,
    recommendations or search filter), the counts are read from the kept per-unit counts
    (``_kept_counts``) and the overdue page walks the unit's open items nearest clock first
    (``_held_late``): what such a page reads does not grow with what the unit holds. Any other
    filter counts over the items it selects.
    """
    mine = viewer_unit_ids(viewer)
    if filters.unit_id is not None and filters.unit_id not in mine:
        raise NotYourUnit(filters.unit_id)
    unit_ids = sorted({filters.unit_id} if filters.unit_id is not None else mine)
    calendar = calendar_for(now)
    seen = visibility(viewer)
    implied = seen.everything or set(unit_ids) <= seen.unit_ids
    access = true() if implied else visible_items_filter(viewer)
    scope: list[ColumnElement[bool]] = [
        # Items held now by the viewer's own units are visible to them (``visibility``: a unit's
        # officers see what it holds): the access rule is then implied by the unit condition and
        # left out of the SQL, so that the counts read the units' index only.
        access,
        Feedback.current_unit_id.in_(unit_ids) if unit_ids else false(),
    ]
    clauses: dict[str, ColumnElement[bool]] = {
        "status": Feedback.status == filters.status if filters.status is not None
        else Feedback.status.in_(OPEN_STATUSES),
    }
    if filters.kind is not None:
        clauses["kind"] = Feedback.kind == filters.kind
    if filters.topic_id is not None:
        clauses["topic"] = Feedback.topic_id == filters.topic_id
    if filters.village_id is not None:
        clauses["locality"] = _subtree(filters.village_id)
    elif filters.commune_id is not None:
        clauses["locality"] = _subtree(filters.commune_id)
    if filters.officer_id is not None:
        clauses["officer"] = Feedback.assigned_officer_id == filters.officer_id
    # The overdue items held by these units (kept rows) and the scan's window: never the clocks'
    # history.
    overdue, window = _late_clause(now, unit_ids)
    due_soon = due_soon_clause(now, calendar)
    if filters.overdue:
        clauses["overdue"] = overdue
    if filters.due_soon:
        clauses["due_soon"] = due_soon
    supervision = Feedback.origin == Origin.SUPERVISION
    if filters.recommendations:
        clauses["origin"] = supervision
    truncated = False
    if filters.search.strip():
        ids, truncated = _search_ids([*scope, clauses["status"]], filters.search)
        clauses["search"] = Feedback.id.in_(ids) if ids else false()

    def where(*left_out: str) -> list[ColumnElement[bool]]:
        return [*scope, *(clause for name, clause in clauses.items() if name not in left_out)]

    page = max(page, 1)
    statuses = (filters.status,) if filters.status is not None else OPEN_STATUSES
    # Narrowed by status and "overdue" only (the inbox as it opens, a status tab, the overdue
    # items): every count is read from the kept counts, whatever the units hold.
    kept = implied and not set(clauses) - {"status", "overdue"}
    order = None
    held: tuple[Option, ...] = ()
    if kept and filters.overdue:
        clauses["overdue"] = _held_late(window)
    if kept:
        counts, by_status, held = _kept_counts(sorted(mine), unit_ids, statuses, window,
                                               _due_soon_count(unit_ids, statuses, window, now, calendar,
                                                               late=filters.overdue),
                                               late=filters.overdue)
    elif filters.overdue:
        counts, by_status, order = _overdue_counts(scope, clauses, due_soon, supervision)
    else:
        counts, by_status = _counts(where, overdue, due_soon, supervision)
    if kept or filters.status is None or filters.status in OPEN_STATUSES:
        # The status counts are counted with every other filter: the total of the asked statuses
        # (kept: exact, a status of the unit's history too).
        total = sum(by_status[s] for s in statuses)
    elif order is not None:
        total = len(order)
    else:  # a status of the unit's history: its count above stops at COUNT_LIMIT; this one does not
        total = db.session.scalar(select(func.count()).select_from(Feedback).where(*where())) or 0
    start = (page - 1) * per_page
    query = (select(Feedback)
             .options(joinedload(Feedback.current_unit), joinedload(Feedback.topic, innerjoin=True),
                      joinedload(Feedback.locality, innerjoin=True)))
    if order is not None:  # the overdue items were read and ordered above: this page's by id
        ids = order[start:start + per_page]
        found = {item.id: item for item in db.session.scalars(query.where(Feedback.id.in_(ids))).unique()} \
            if ids else {}
        items = [found[i] for i in ids if i in found]
    else:
        # Nearest running clock first (kept on the item, ``ix_feedback_open_next_due``): the first
        # pages read as many index entries as they show.
        query = (query.where(*where())
                 .order_by(Feedback.next_due_at.asc().nulls_last(), Feedback.received_at, Feedback.id)
                 .limit(per_page).offset(start))
        items = list(db.session.scalars(query).unique()) if start < total else []
    units = held if kept else _units(mine, viewer)
    return InboxPage(rows=_rows(items, now), page=page, pages=-(-total // per_page) if per_page else 0,
                     total=total, counts=counts, units=units, search_truncated=truncated)


def _due_soon_count(unit_ids: list[int], statuses: tuple[Status, ...], window: list[int], now: datetime,
                    calendar: WorkCalendar, *, late: bool) -> ColumnElement[int]:
    """How many of the items of ``unit_ids`` in ``statuses`` are due soon (``due_soon_clause``; only
    the overdue ones when ``late``), as two counts of disjoint sets that each read as few index
    entries as the planner can be held to:

    - nearest running clock due between now and the limit: a range of ``ix_feedback_open_next_due``
      (the items due soon themselves), each probed for being overdue when ``late`` (``_held_late``);
    - nearest running clock already past (such an item is overdue: a running clock past due is
      breached, with a kept row, or in the scan's window) and another running clock due in the
      range: those index entries probed in the hashed set of the platform's running clocks due in
      the range (the one read here that grows with the unit: its overdue open items' entries).

    As one count (``due_soon_clause``'s ``OR``), the planner filtered every open item of the unit
    due before the limit by the hashed clocks and, for the overdue page, hashed every overdue
    item of the unit: 61 ms for a unit of 10,621 open items, where these two take 3 ms."""
    limit = due_soon_limit(now, calendar)
    held = [Feedback.current_unit_id.in_(unit_ids), Feedback.status.in_(statuses)]
    ahead = select(func.count()).select_from(Feedback).where(
        *held, Feedback.next_due_at >= now, Feedback.next_due_at <= limit, *([_held_late(window)] if late else []))
    soon_clocks = select(Deadline.feedback_id).where(_running(), Deadline.due_at >= now, Deadline.due_at <= limit)
    # ``IS TRUE`` keeps the IN a hashed subplan (the clocks due soon read once, each entry of the
    # range probed in memory): as a top-level IN, PostgreSQL makes it a join and picks its method
    # from the clocks' statistics, which put the running clocks due soon at 6 where there were 2,209.
    behind = select(func.count()).select_from(Feedback).where(
        *held, Feedback.next_due_at < now, Feedback.id.in_(soon_clocks).is_(true()))
    return (ahead.scalar_subquery() + behind.scalar_subquery()).label("n")


def _kept_counts(mine: list[int], unit_ids: list[int], statuses: tuple[Status, ...], window: list[int],
                 due_soon: ColumnElement[int], *, late: bool) -> tuple[Counts, Counter[Status], tuple[Option, ...]]:
    """The counts of ``unit_ids``'s inbox narrowed to ``statuses`` (and to the overdue items when
    ``late``), the counts per status (exact), and the viewer's units ``mine`` with their open
    items, from the kept counts (``unit_item_count``: a few rows per facet value, whatever the
    units hold) and the scan's window (``window``: the items whose clock fell due since the last
    tick, overdue but not yet kept so; read by their ids, once, their facts counted here). Only
    "due soon" is counted over the items (it moves with the time): ``due_soon``, the count of
    ``_due_soon_count``. Two statements (three with a window): the counts, the window's items,
    the names."""
    c = UnitItemCount
    asked = [s.value for s in statuses]
    parts: list[Any] = [
        select(c.unit_id, c.status, c.late, c.facet, c.value, c.n).where(
            c.unit_id.in_(mine), c.n != 0, or_(c.facet == "all", and_(c.unit_id.in_(unit_ids), c.status.in_(asked)))),
        select(literal(0), literal(""), literal(0), literal("due_soon"), literal(""), due_soon),
    ]
    rows: list[Any] = list(db.session.execute(union_all(*parts)))
    if window:
        # Overdue by a clock the scan has not yet seen: each such item held here, as the kept rows
        # would count it (``late`` 2), read once by its id (one row per facet, as the kept counts).
        for item in db.session.execute(select(
                Feedback.current_unit_id, Feedback.status, Feedback.kind, Feedback.topic_id, Feedback.locality_id,
                Feedback.assigned_officer_id, Feedback.origin).where(
                among(Feedback.id, window), Feedback.current_unit_id.in_(unit_ids),
                ~exists().where(OverdueItem.feedback_id == Feedback.id))):
            facts = (("all", ""), ("kind", item.kind.value), ("topic", str(item.topic_id)),
                     ("locality", str(item.locality_id)), ("officer", str(item.assigned_officer_id or "")),
                     ("origin", item.origin.value))
            rows += [(item.current_unit_id, item.status.value, 2, facet, value, 1) for facet, value in facts]
    in_scope = set(unit_ids)
    by_status: Counter[Status] = Counter()
    facets: dict[str, Counter[str]] = defaultdict(Counter)
    held: Counter[int] = Counter()
    late_items = due_soon_count = 0
    for unit_id, status, is_late, facet, value, n in rows:
        if facet == "due_soon":
            due_soon_count = n or 0
        elif is_late == 2:  # the window's: overdue, counted where the kept overdue ones are
            if facet == "all":
                by_status[Status(status)] += n if late else 0
                late_items += n if status in asked else 0
            elif late and status in asked:
                facets[facet][value] += n
        elif facet != "all":  # a status asked, a unit in scope
            if is_late or not late:
                facets[facet][value] += n
        else:
            if Status(status) in OPEN_STATUSES:
                held[unit_id] += n
            if unit_id in in_scope and (is_late or not late):
                by_status[Status(status)] += n
            if unit_id in in_scope and is_late and status in asked:
                late_items += n
    topic_ids = [int(v) for v in facets["topic"]]
    officer_ids = [int(v) for v in facets["officer"] if v]
    names = db.session.execute(union_all(
        select(literal("unit").label("facet"), Unit.id, Unit.name.label("label")).where(Unit.id.in_(mine)),
        select(literal("topic"), Topic.id, Topic.name).where(Topic.id.in_(topic_ids)),
        select(literal("officer"), User.id, _officer_name()).where(User.id.in_(officer_ids)),
    ).order_by("facet", "label", "id")).all()
    labels = {(facet, i): label for facet, i, label in names}

    def counter(facet: str, parse: Callable[[str], Any]) -> Counter[Any]:
        return Counter({parse(v): n for v, n in facets[facet].items() if v and n})

    counts = _options(by_status, counter("kind", Kind), counter("topic", int), counter("locality", int),
                      counter("officer", int), {i: label for (f, i), label in labels.items() if f == "topic"},
                      {i: label for (f, i), label in labels.items() if f == "officer"},
                      overdue=late_items, due_soon=due_soon_count,
                      recommendations=facets["origin"][Origin.SUPERVISION.value])
    units = tuple(sorted((Option(str(i), label, held[i]) for facet, i, label in names if facet == "unit"),
                         key=_by_label))
    return counts, by_status, units


def _counts(where: Callable[..., list[ColumnElement[bool]]], overdue: ColumnElement[bool],
            due_soon: ColumnElement[bool], supervision: ColumnElement[bool]) -> tuple[Counts, Counter[Status]]:
    """The counts per filter value and the counts per status (uncapped up to COUNT_LIMIT + 1): one
    statement (a UNION ALL of one small query per facet, each reading the units' open items
    through ``ix_feedback_open_facets``; the topics' and officers' names joined there), then the
    places' names."""
    no_label = cast(null(), String).label("label")

    def grouped(facet: str, column: QueryableAttribute[Any], *left_out: str, label: Any = no_label,
                join: tuple[Any, ColumnElement[bool]] | None = None) -> Select[str, str, int, str]:
        query = select(literal(facet).label("facet"), cast(column, String).label("value"), func.count().label("n"),
                       label).select_from(Feedback)
        if join is not None:
            query = query.outerjoin(*join)
        return query.where(*where(*left_out)).group_by(column, *([label] if join is not None else []))

    def single(facet: str, value: str, count: Any) -> Select[str, str, int, str]:
        return select(literal(facet).label("facet"), literal(value).label("value"), count.label("n"), no_label)

    # The open statuses counted exactly (the unit's open items), the others (its history) up to
    # COUNT_LIMIT + 1 each.
    def status_count(status: Status) -> Any:
        rows = select(Feedback.current_unit_id).where(*where("status"), Feedback.status == status)
        if status not in OPEN_STATUSES:
            rows = rows.limit(COUNT_LIMIT + 1)
        return select(func.count()).select_from(rows.subquery()).scalar_subquery()

    def count(extra: ColumnElement[bool], left_out: str) -> Any:
        return select(func.count()).select_from(Feedback).where(*where(left_out), extra).scalar_subquery()

    parts: list[Select[str, str, int, str]] = [
        *(single("status", s.value, status_count(s)) for s in UNIT_STATUSES),
        grouped("kind", Feedback.kind, "kind"),
        grouped("topic", Feedback.topic_id, "topic", label=Topic.name.label("label"),
                join=(Topic, Topic.id == Feedback.topic_id)),
        grouped("locality", Feedback.locality_id, "locality"),
        grouped("officer", Feedback.assigned_officer_id, "officer", label=_officer_name().label("label"),
                join=(User, User.id == Feedback.assigned_officer_id)),
        single("overdue", "", count(overdue, "overdue")),
        single("due_soon", "", count(due_soon, "due_soon")),
        single("origin", "", count(supervision, "origin")),
    ]
    found: dict[str, dict[str | None, int]] = defaultdict(dict)
    labels: dict[tuple[str, str | None], str] = {}
    for facet, value, n, label in db.session.execute(union_all(*parts)):
        found[facet][value] = n or 0
        if label is not None:
            labels[facet, value] = label

    def counter(facet: str, parse: Callable[[str], Any]) -> Counter[Any]:
        return Counter({parse(v): n for v, n in found[facet].items() if v})

    def names(facet: str) -> dict[int, str]:
        return {int(v): label for (f, v), label in labels.items() if f == facet and v}

    by_status: Counter[Status] = counter("status", Status)
    return _options(by_status, counter("kind", Kind), counter("topic", int), counter("locality", int),
                    counter("officer", int), names("topic"), names("officer"), overdue=found["overdue"].get("", 0),
                    due_soon=found["due_soon"].get("", 0), recommendations=found["origin"].get("", 0)), by_status


def _officer_name() -> ColumnElement[str]:
    return func.coalesce(func.nullif(User.full_name, ""), User.username)


def _overdue_counts(scope: list[ColumnElement[bool]], clauses: dict[str, ColumnElement[bool]],
                    due_soon: ColumnElement[bool], supervision: ColumnElement[bool]
                    ) -> tuple[Counts, Counter[Status], list[int]]:
    """``_counts`` when the inbox shows the overdue items, and their ids in the inbox's order:
    one statement reads each overdue item held by the units once (any status), with whether it
    passes each other filter, and the counts and the order are taken from those rows here.
    Per facet in SQL, each count re-read the overdue items (their ids, then the items by key):
    10 times as many reads."""
    others = [name for name in clauses if name != "overdue"]
    flags = [case((clauses[name], 1), else_=0).label(f"f_{name}") for name in others]
    rows = db.session.execute(
        select(Feedback.id, Feedback.status, Feedback.kind, Feedback.topic_id, Feedback.locality_id,
               Feedback.assigned_officer_id, Feedback.next_due_at, Feedback.received_at,
               Topic.name.label("topic_name"), _officer_name().label("officer_name"), *flags,
               case((due_soon, 1), else_=0).label("is_due_soon"), case((supervision, 1), else_=0).label("is_origin"))
        .join(Topic, Topic.id == Feedback.topic_id).outerjoin(User, User.id == Feedback.assigned_officer_id)
        .where(*scope, clauses["overdue"])).all()

    # The filters each row fails: a count leaving out filter F takes the rows failing none or F alone.
    failing = {row.id: tuple(name for name in others if not getattr(row, f"f_{name}")) for row in rows}

    def passes(row: Any, left_out: str | None = None) -> bool:
        failed = failing[row.id]
        return not failed or failed == (left_out,)

    def counter(column: str, facet: str) -> Counter[Any]:
        return Counter(getattr(row, column) for row in rows if passes(row, facet) and getattr(row, column) is not None)

    shown = sorted((row for row in rows if passes(row)),
                   key=lambda row: (row.next_due_at is None, row.next_due_at, row.received_at, row.id))
    by_status: Counter[Status] = counter("status", "status")
    counts = _options(by_status, counter("kind", "kind"), counter("topic_id", "topic"),
                      counter("locality_id", "locality"), counter("assigned_officer_id", "officer"),
                      {row.topic_id: row.topic_name for row in rows},
                      {row.assigned_officer_id: row.officer_name for row in rows if row.assigned_officer_id},
                      overdue=len(shown), due_soon=sum(1 for row in rows if row.is_due_soon and passes(row, "due_soon")),
                      recommendations=sum(1 for row in rows if row.is_origin and passes(row, "origin")))
    return counts, by_status, [row.id for row in shown]


def _options(by_status: Counter[Status], by_kind: Counter[Kind], by_topic: Counter[int], by_locality: Counter[int],
             by_officer: Counter[int], topics: dict[int, str], officers: dict[int, str], *, overdue: int,
             due_soon: int, recommendations: int) -> Counts:
    """The inbox's ``Counts`` from counts per value (and the names of the topics and officers)."""
    communes, villages = _localities(by_locality)
    return Counts(
        statuses=tuple(Option(s.value, s.value, by_status.get(s, 0)) if s in OPEN_STATUSES
                       else Option(s.value, s.value, min(by_status.get(s, 0), COUNT_LIMIT),
                                   by_status.get(s, 0) > COUNT_LIMIT)
                       for s in UNIT_STATUSES),
        kinds=tuple(Option(k.value, k.value, by_kind.get(k, 0)) for k in Kind),
        topics=tuple(sorted((Option(str(i), topics[i], n) for i, n in by_topic.items() if i in topics),
                            key=_by_label)),
        communes=communes,
        villages=villages,
        officers=tuple(sorted((Option(str(i), officers[i], n) for i, n in by_officer.items() if i in officers),
                              key=_by_label)),
        overdue=overdue,
        due_soon=due_soon,
        recommendations=recommendations,
    )


def _localities(by_locality: Counter[int]) -> tuple[tuple[Option, ...], tuple[Option, ...]]:
    """Counts per commune and per village from counts per item locality (the commune is the
    second id of a locality's path, the village the third)."""
    ids = [i for i in by_locality if isinstance(i, int)]
    paths = {row.id: ids_of(row.path) for row in db.session.execute(select(Locality.id, Locality.path)
                                                                     .where(Locality.id.in_(ids)))}
    commune_counts: Counter[int] = Counter()
    village_counts: Counter[int] = Counter()
    for locality_id, path in paths.items():
        if len(path) >= 2:
            commune_counts[path[1]] += by_locality[locality_id]
        if len(path) >= 3:
            village_counts[path[2]] += by_locality[locality_id]
    found = db.session.execute(select(Locality.id, Locality.name, Locality.kind)
                               .where(Locality.id.in_([*commune_counts, *village_counts]))).all()
    names = {row.id: row.name for row in found}
    # By name without the kind word ("Phường Hà Tu" under H), as the resident's form lists them.
    keys = {row.id: place_key(row.name, row.kind) for row in found}

    def options(counts: Counter[int]) -> tuple[Option, ...]:
        return tuple(sorted((Option(str(i), names.get(i, str(i)), n) for i, n in counts.items()),
                            key=lambda o: (keys.get(int(o.value)) or name_key(o.label), o.value)))

    return options(commune_counts), options(village_counts)


def _units(mine: frozenset[int], viewer: Viewer) -> tuple[Option, ...]:
    """The viewer's units by name, each with its open items (one statement): from the kept counts
    (``unit_item_count``, facet ``all``: a few rows per unit) when ``viewer`` sees everything each
    of them holds (``visibility``: a unit's officers do), else counted over the open items the
    viewer may see (10,621 index entries for the benchmark's unit, read on every filtered page
    when it was always counted)."""
    if not mine:
        return ()
    seen = visibility(viewer)
    if seen.everything or mine <= seen.unit_ids:
        c = UnitItemCount
        open_items = (select(func.coalesce(func.sum(c.n), 0))
                      .where(c.unit_id == Unit.id, c.facet == "all", c.status.in_([s.value for s in OPEN_STATUSES]))
                      .correlate(Unit).scalar_subquery())
    else:
        open_items = (select(func.count()).select_from(Feedback)
                      .where(visible_items_filter(viewer), Feedback.current_unit_id == Unit.id,
                             Feedback.status.in_(OPEN_STATUSES))
                      .correlate(Unit).scalar_subquery())
    return tuple(sorted((Option(str(unit.id), unit.name, n or 0) for unit, n in db.session.execute(
        select(Unit, open_items).where(Unit.id.in_(sorted(mine))))), key=_by_label))


def _by_label(option: Option) -> tuple[NameKey, str]:
    """Options by their name as Vietnamese readers look for it (``name_key``), then by value."""
    return name_key(option.label), option.value


def clock_distance(due_at: datetime, day_type: str, now: datetime, calendar: WorkCalendar, *,
                   overdue: bool) -> Distance | None:
    """``lateness.distance`` for a clock; None when ``calendar`` does not cover its due date (a
    clock due decades ahead: its date is shown, not a count of days). Pure."""
    try:
        return distance(due_at, now, day_type=day_type, overdue=overdue, calendar=calendar)
    except CalendarNotCovered:
        return None


def _rows(items: list[Feedback], now: datetime) -> list[InboxRow]:
    clocks: dict[int, list[Deadline]] = defaultdict(list)
    if items:
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.feedback_id.in_([item.id for item in items]), Deadline.met_at.is_(None),
                Deadline.closed_at.is_(None))):
            clocks[deadline.feedback_id].append(deadline)
    # From the oldest due date on the page (an overdue clock may be due last year) to next year.
    calendar = calendar_for(now, *(d.due_at for ds in clocks.values() for d in ds if d.due_at < now))
    rows = []
    for item in items:
        overdue = sorted((d for d in clocks[item.id] if deadline_is_overdue(d, now)), key=lambda d: d.due_at)
        running = sorted((d for d in clocks[item.id] if d.paused_at is None), key=lambda d: d.due_at)
        late = left = None
        if overdue:
            late = clock_distance(overdue[0].due_at, overdue[0].day_type, now, calendar, overdue=True)
        elif running:
            left = clock_distance(running[0].due_at, running[0].day_type, now, calendar, overdue=False)
        rows.append(InboxRow(
            code=str(item.code), title=item.title, kind=item.kind, status=item.status,
            unit=item.current_unit.name if item.current_unit is not None else None,
            topic=item.topic.name, locality=item.locality.name, received_at=item.received_at,
            next_due_at=running[0].due_at if running else None, late=late, left=left,
            recommendation=item.origin is Origin.SUPERVISION))
    return rows
