"""The figures read from the rollups: whole months from the narrowest monthly rollup that keeps
what the question groups and filters by (over the whole tree, which needs no commune, the
whole tree's: ``stat_monthly_unit_kind``, ``…_topic_kind``, ``…_commune_kind``,
``…_locality_kind``; else ``stat_monthly_unit``, ``stat_monthly_place`` for villages,
``stat_monthly`` for topics), the days around them from the narrowest daily one
(``stat_daily_unit_kind``, ``…_topic_kind``, ``…_commune_kind``, ``stat_daily_unit``, else
``stat_daily``), overdue from the kept overdue state, the units' labels from ``stat_unit_name``.

The medians are exact: a group's median kept in ``stat_median`` (computed ahead by
``statistics.medians``, or by an earlier view) is used when the ``answer_changes`` the rollups
sum for the group equal the stamp stored with it (the same answers, hence the same median); any
other group's median is computed from the per-answer facts (``stat_fact``), for those groups
only, and kept for the next view (``keep_medians``, in a transaction of its own: the only write).
On PostgreSQL the questions of one histogram dimension (by unit, commune or topic, or filtered
by one unit, some communes or a topic's subtree: ``histogram_question``), by month too,
compute them from the answers' histogram (``histogram``: the answers of one bucket per group);
the others (two dimensions, a kind, a village) with ``percentile_cont`` over every answer of
the range."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement, Date, Engine, Select, Table, and_, bindparam, cast, exists, func, literal, or_, select,
    text, true, tuple_,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from feedback.domain.paths import ids_of
from feedback.domain.statistics import Period, median
from feedback.domain.status import Kind
from feedback.models import (
    Feedback, Locality, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit, StatDailyUnitKind, StatFact,
    StatMedian, StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace, StatMonthlyTopicKind,
    StatMonthlyUnit, StatMonthlyUnitKind, StatUnitName, Topic, Unit, UnitKind,
)
from feedback.models.directory import LocalityLevel
from feedback.services.database import among, dialect_insert, int_array, int_array_param, on_postgresql, read_rows
from feedback.services.statistics.drill import check_figure
from feedback.services.statistics.grouping import GroupId, labels, month_of, ordered, scope_nodes, topic_path
from feedback.services.statistics.histogram import windowed_medians
from feedback.services.statistics.overdue import late_ids, overdue_counts, overdue_total
from feedback.services.statistics.rollups import COUNTS, SUMMED
from feedback.services.statistics.shared import SharedReads, once
from feedback.services.statistics.values import FactKind, FigureRows, Figures, Grouping, Scope

SECONDS_PER_DAY = 86400
_ALL = "*"  # the one group of totals
STAMP = len(COUNTS)  # where a group's answer_changes sits in ``counted``'s sums
_ANSWERED = COUNTS.index("answered")


@dataclass(frozen=True)
class Filters:
    """A scope as conditions on the rollups' columns. ``localities`` (finer than a commune)
    can only be answered by ``stat_monthly_place``, ``stat_daily`` and the facts. ``empty``:
    nothing can match."""

    unit_id: int | None
    kind: Kind | None
    communes: frozenset[int] | None
    localities: frozenset[int] | None
    topics: frozenset[int] | None
    empty: bool = False


def filters_of(session: Session, scope: Scope, shared: SharedReads | None = None) -> Filters:
    """``scope`` as ``Filters`` (its localities' and topic's subtrees read; once per ``shared``)."""
    return once(shared, ("filters", scope), lambda: _filters_of(session, scope, shared))


def _filters_of(session: Session, scope: Scope, shared: SharedReads | None) -> Filters:
    communes: set[int] | None = None
    localities: set[int] | None = None
    empty = False
    nodes = scope_nodes(session, scope, shared)
    for node_id in (scope.territory_id, scope.locality_id):
        if node_id is None:
            continue
        node = nodes.get(node_id)
        if node is None:
            empty = True
            continue
        if node.whole:
            # The tree's only root: every row is in its subtree. Its communes would select them
            # all, yet keep every question on the rollups that keep the commune.
            continue
        level, path = node.level, node.path
        under = select(Locality.id).where(Locality.path.startswith(path, autoescape=True)) if path else None
        if level is LocalityLevel.COMMUNE:
            these = {node_id}
        elif level is LocalityLevel.VILLAGE:
            subtree = set(session.scalars(under)) | {node_id} if under is not None else {node_id}
            localities = subtree if localities is None else localities & subtree
            above = ids_of(path)[:-1]
            these = {above[-1]} if above else set()
        else:  # a province: its communes, and the facts placed on the province itself
            these = {node_id}
            if under is not None:
                these |= set(session.scalars(under.where(Locality.level == LocalityLevel.COMMUNE)))
        communes = these if communes is None else communes & these
    topics: set[int] | None = None
    if scope.topic_id is not None:
        path_of_topic = topic_path(session, scope.topic_id, shared)
        topics = {scope.topic_id}
        if path_of_topic:
            topics |= set(session.scalars(select(Topic.id).where(Topic.path.startswith(path_of_topic,
                                                                                      autoescape=True))))
    if (communes is not None and not communes) or (localities is not None and not localities):
        empty = True
    return Filters(scope.unit_id, scope.kind, frozenset(communes) if communes is not None else None,
                   frozenset(localities) if localities is not None else None,
                   frozenset(topics) if topics is not None else None, empty)


def _conditions(model: Any, f: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.unit_id is not None:
        conditions.append(model.unit_id == f.unit_id)
    if f.kind is not None:
        conditions.append(model.kind == f.kind)
    if f.communes is not None:
        conditions.append(model.commune_id.in_(sorted(f.communes)))
    if f.localities is not None:
        conditions.append(model.locality_id.in_(sorted(f.localities)))
    if f.topics is not None:
        conditions.append(model.topic_id.in_(sorted(f.topics)))
    return conditions


# The filters a statement kept per shape (``_bound_conditions``) names as bound parameters.
_FILTERS = ("unit_id", "kind", "communes", "localities", "topics")


def _filter_shape(f: Filters) -> tuple[bool, ...]:
    """Which of ``_FILTERS`` ``f`` sets: what a statement kept per shape depends on."""
    return tuple(getattr(f, name) is not None for name in _FILTERS)


def _filter_params(f: Filters) -> dict[str, Any]:
    """The bound parameters of ``_bound_conditions`` for ``f``."""
    return {"f_unit_id": f.unit_id, "f_kind": f.kind,
            **{f"f_{name}": sorted(ids) for name in ("communes", "localities", "topics")
               if (ids := getattr(f, name)) is not None}}


def _bound_conditions(model: Any, shape: tuple[bool, ...]) -> list[ColumnElement[bool]]:
    """``_conditions`` of the filters of ``shape`` (``_filter_shape``), their values bound
    parameters (``_filter_params``): the same conditions, for a statement built once per shape."""
    unit, kind, communes, localities, topics = shape
    conditions: list[ColumnElement[bool]] = []
    if unit:
        conditions.append(model.unit_id == bindparam("f_unit_id", type_=model.unit_id.type))
    if kind:
        conditions.append(model.kind == bindparam("f_kind", type_=model.kind.type))
    if communes:
        conditions.append(model.commune_id.in_(bindparam("f_communes", expanding=True)))
    if localities:
        conditions.append(model.locality_id.in_(bindparam("f_localities", expanding=True)))
    if topics:
        conditions.append(model.topic_id.in_(bindparam("f_topics", expanding=True)))
    return conditions


def _group_column(model: Any, group: Grouping | None) -> Any:
    if group is None:
        return literal(_ALL)
    if group == "month":
        return model.month if hasattr(model, "month") else model.day
    return getattr(model, {"unit": "unit_id", "commune": "commune_id", "village": "village_id",
                           "topic": "topic_id", "kind": "kind"}[group])


def _normal(group: Grouping | None, value: Any) -> GroupId | None:
    if value is None:
        return None
    if group == "month":
        return month_of(value)
    if group == "kind":
        return Kind(value).value
    return value if isinstance(value, (int, str)) else str(value)


def whole_months(period: Period) -> tuple[date, date] | None:
    """The first day of the first and of the last month lying wholly inside ``period``."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    ends_a_month = (period.end + timedelta(days=1)).day == 1
    last = period.end.replace(day=1) if ends_a_month else (period.end.replace(day=1) - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else None


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _add(target: dict[GroupId, list[int]], rows: Sequence[Any], group: Grouping | None) -> None:
    for value, *summed in rows:
        key = _normal(group, value)
        if key is None:
            continue
        sums = target.get(key)
        counts = [int(n or 0) for n in summed]
        target[key] = counts if sums is None else [a + b for a, b in zip(sums, counts, strict=True)]


def _sum(session: Session, model: Any, period_column: Any, low: date, high: date, group: Grouping | None,
         f: Filters) -> Sequence[Any]:
    return read_rows(session, _sum_statement(model, group, _filter_shape(f)),
                     {"low": low, "high": high, **_filter_params(f)})


@lru_cache(maxsize=512)
def _sum_statement(model: Any, group: Grouping | None, shape: tuple[bool, ...]) -> Select[*tuple[Any, ...]]:
    """``_sum``'s statement (bound parameters ``low``, ``high`` and the filters'), built once per
    process, rollup, grouping and filters' shape."""
    column = _group_column(model, group)
    period_column = _period_column(model)
    moment = period_column.type
    query = (select(column, *(func.sum(getattr(model, c)) for c in SUMMED))
             .where(period_column >= bindparam("low", type_=moment), period_column <= bindparam("high", type_=moment),
                    *_bound_conditions(model, shape)))
    if group is not None:
        query = query.group_by(column)
    return query


# The rollups by what they keep besides the period (``Filters`` and groupings as dimensions),
# narrowest first: a question reads the first that keeps every dimension it needs.
# The whole tree's (no commune: ``Filters`` keep none for the tree's only root) come first: a
# question without commune, place and topic (the totals, the trend) reads the units'.
_MONTHLY: tuple[tuple[Any, frozenset[str]], ...] = (
    (StatMonthlyUnitKind, frozenset({"unit", "kind"})),
    (StatMonthlyTopicKind, frozenset({"topic", "kind"})),
    (StatMonthlyCommuneKind, frozenset({"commune", "kind"})),
    (StatMonthlyLocalityKind, frozenset({"commune", "locality", "village", "kind"})),
    (StatMonthlyUnit, frozenset({"unit", "commune", "kind"})),
    (StatMonthlyPlace, frozenset({"unit", "commune", "locality", "village", "kind"})),
    (StatMonthly, frozenset({"unit", "commune", "topic", "kind"})),
)
_DAILY: tuple[tuple[Any, frozenset[str]], ...] = (
    (StatDailyUnitKind, frozenset({"unit", "kind"})),
    (StatDailyTopicKind, frozenset({"topic", "kind"})),
    (StatDailyCommuneKind, frozenset({"commune", "kind"})),
    (StatDailyUnit, frozenset({"unit", "commune", "kind"})),
    (StatDaily, frozenset({"unit", "commune", "locality", "village", "topic", "kind"})),
)


def dimensions(group: Grouping | None, f: Filters) -> frozenset[str]:
    """What a rollup must keep to answer ``group`` under ``f`` (months and days aside)."""
    needed: set[str] = {group} if group is not None and group != "month" else set()
    for name, value in (("unit", f.unit_id), ("kind", f.kind), ("commune", f.communes), ("locality", f.localities),
                        ("topic", f.topics)):
        if value is not None:
            needed.add(name)
    return frozenset(needed)


def rollups_for(group: Grouping | None, f: Filters) -> tuple[Any | None, Any]:
    """The narrowest monthly rollup (None when none keeps every dimension: then every day is read
    from the daily one) and the narrowest daily rollup that answer ``group`` under ``f``."""
    needed = dimensions(group, f)
    monthly = next((model for model, kept in _MONTHLY if needed <= kept), None)
    daily = next(model for model, kept in _DAILY if needed <= kept)
    return monthly, daily


Question = tuple[Period, Grouping | None]  # a period and a grouping (None: the totals)


def counted(session: Session, period: Period, group: Grouping | None, f: Filters,
            shared: SharedReads | None = None) -> dict[GroupId, list[int]]:
    """The summed counts per group: COUNTS in order, then the answers' change stamp (``STAMP``).
    Whole months from the narrowest monthly rollup that answers the question, the days around
    them (or every day, when no monthly rollup does) from the narrowest daily one.

    With ``shared``, on PostgreSQL: the questions its page asks that the same rollups answer (the
    rows, the units' ranking, the totals and the 12-month trend, mostly) are summed together,
    once for all of them (``_counted``)."""
    if shared is not None and on_postgresql() and not f.empty:
        rollups = rollups_for(group, f)
        together = tuple(sorted({(p, g) for p, g in shared.asked if rollups_for(g, f) == rollups},
                                key=lambda q: (q[0].start, q[0].end, grouping_key(q[1]))))
        if (period, group) in together and len(together) > 1:
            return once(shared, ("counted", together, f), lambda: _counted(session, together, f))[(period, group)]
    return _counted(session, ((period, group),), f)[(period, group)]


@dataclass(frozen=True)
class _Part:
    """The days (``day``) or months (first days, ``month``) from ``low`` to ``high`` of one
    rollup that one question sums."""

    question: Question
    model: Any
    low: date
    high: date


def _parts(question: Question, f: Filters) -> list[_Part]:
    """What ``question`` sums: its whole months from the narrowest monthly rollup, the days
    around them from the narrowest daily one (every day from it when no monthly rollup answers)."""
    period, group = question
    cube, daily = rollups_for(group, f)
    months = whole_months(period) if cube is not None else None
    if cube is None or months is None:
        return [_Part(question, daily, period.start, period.end)]
    first, last = months
    parts = [_Part(question, cube, first, last)]
    month_end = _next_month(last) - timedelta(days=1)
    for low, high in ((period.start, first - timedelta(days=1)), (month_end + timedelta(days=1), period.end)):
        if low <= high:
            parts.append(_Part(question, daily, low, high))
    return parts


def _period_column(model: Any) -> Any:
    return model.month if hasattr(model, "month") else model.day


def _runs(parts: list[_Part]) -> list[list[_Part]]:
    """The parts of one rollup in runs whose ranges overlap or follow each other: each run is
    read in one statement, over its whole range (a gap between two runs is never read)."""
    runs: list[list[_Part]] = []
    high: date | None = None
    for part in sorted(parts, key=lambda p: (p.low, p.high)):
        monthly = hasattr(part.model, "month")
        follows = high is not None and part.low <= (_next_month(high) if monthly else high + timedelta(days=1))
        if follows:
            runs[-1].append(part)
        else:
            runs.append([part])
        high = part.high if not follows or high is None else max(high, part.high)
    return runs


def _counted(session: Session, questions: tuple[Question, ...],
             f: Filters) -> dict[Question, dict[GroupId, list[int]]]:
    """``counted`` of each of ``questions`` (the same rollups answer them all: ``rollups_for``):
    one statement per rollup and run of days or months (``_add_run``)."""
    result: dict[Question, dict[GroupId, list[int]]] = {question: {} for question in questions}
    if f.empty:
        return result
    by_model: dict[Any, list[_Part]] = {}
    for question in questions:
        for part in _parts(question, f):
            by_model.setdefault(part.model, []).append(part)
    for parts in by_model.values():
        for run in _runs(parts):
            if len(run) == 1 or not on_postgresql():
                for part in run:
                    group = part.question[1]
                    _add(result[part.question], _sum(session, part.model, _period_column(part.model), part.low,
                                                     part.high, group, f), group)
            else:
                _add_run(result, session, run, f)
    return result


def _add_run(result: dict[Question, dict[GroupId, list[int]]], session: Session, run: list[_Part],
             f: Filters) -> None:
    """Add the sums of a run of parts of one rollup to their questions, in one statement
    (PostgreSQL): grouped by each grouping column the questions ask (``GROUPING SETS`` for
    several), and by the month or day too when the parts' ranges differ or a question is by
    month; each question then adds up the rows of its ranges. The totals and the months are
    summed from the first set's rows: every rollup row is in each set once (a null village is a
    group of its own), so they add up to the same integers as their own ``GROUP BY``."""
    model = run[0].model
    low, high = min(part.low for part in run), max(part.high for part in run)
    questions = list(dict.fromkeys(part.question for part in run))
    keyed = tuple(dict.fromkeys(q[1] for q in questions if q[1] is not None and q[1] != "month"))
    dated = any((part.low, part.high) != (low, high) for part in run) or any(q[1] == "month" for q in questions)
    shape = _run_shape(model, keyed, dated, _filter_shape(f))
    width = len(shape.selected)
    rows = read_rows(session, shape.statement, {"low": low, "high": high, **_filter_params(f)})
    if shape.pattern is None:
        # A group has at least one row, its sums never null; without a GROUP BY (no rows in
        # range) the one row's sums are null: no group.
        by_set: list[list[Any]] = [[row for row in rows if row[width] is not None]]
    else:
        pattern = shape.pattern
        by_set = [[] for _ in pattern]
        for row in rows:
            by_set[pattern[tuple(row[width:2 * width])]].append((*row[:width], *row[2 * width:]))
    where = shape.period_at if dated else None
    for question in questions:
        group = question[1]
        ranges = [(part.low, part.high) for part in run if part.question == question]
        if group is None:
            key_at, rows_of = None, by_set[0]
        elif group == "month":
            key_at, rows_of = where, by_set[0]
        else:
            key_at, rows_of = shape.at[group], by_set[keyed.index(group)]
        _fold(result[question], rows_of, group, key_at, where, ranges, width)


@dataclass(frozen=True)
class _RunShape:
    """``_add_run``'s statement for one rollup, the groupings asked (``keyed``), dated or not and
    the filters' shape, built once per process: ``selected`` its grouping columns, ``at`` the
    position of each grouping's column and ``period_at`` of the month or day among them,
    ``pattern`` the set of each row's ``grouping()`` flags (None: one plain ``GROUP BY``)."""

    statement: Select[*tuple[Any, ...]]
    selected: tuple[str, ...]
    at: dict[Grouping, int]
    period_at: int | None
    pattern: dict[tuple[int, ...], int] | None


@lru_cache(maxsize=512)
def _run_shape(model: Any, keyed: tuple[Grouping, ...], dated: bool, shape: tuple[bool, ...]) -> _RunShape:
    period_column = _period_column(model)
    dates = [period_column] if dated else []
    sets = [[_group_column(model, group), *dates] for group in keyed] or [dates]
    selected = list({str(c): c for columns in sets for c in columns}.values())
    sums = [func.sum(getattr(model, c)) for c in SUMMED]
    moment = period_column.type
    query = select(*selected).where(period_column >= bindparam("low", type_=moment),
                                    period_column <= bindparam("high", type_=moment), *_bound_conditions(model, shape))
    names = [str(c) for c in selected]
    at = {group: names.index(str(_group_column(model, group))) for group in keyed}
    period_at = names.index(str(period_column)) if dated else None
    if len(sets) == 1:
        return _RunShape(query.add_columns(*sums).group_by(*selected), tuple(names), at, period_at, None)
    flags = [func.grouping(c) for c in selected]
    statement = query.add_columns(*flags, *sums).group_by(func.grouping_sets(*(tuple_(*columns) for columns in sets)))
    in_set = [[str(c) for c in columns] for columns in sets]
    pattern = {tuple(0 if name in these else 1 for name in names): index for index, these in enumerate(in_set)}
    return _RunShape(statement, tuple(names), at, period_at, pattern)


def _fold(target: dict[GroupId, list[int]], rows: list[Any], group: Grouping | None, key_at: int | None,
          where: int | None, ranges: list[tuple[date, date]], width: int) -> None:
    """Add to ``target`` the sums (from ``width`` on) of the ``rows`` whose month or day (at
    ``where``, when given) lies in ``ranges``, per group (the value at ``key_at``; None: the one
    group of the totals, always present). The rows of a group are summed column by column at
    the end (``zip``): one pass, no list built per row. A row's sums are never null (a group of
    at least one row of NOT NULL counts)."""
    picked: dict[GroupId, list[Any]] = {}
    keys: dict[Any, GroupId | None] = {}
    (low, high), *more = ranges
    for row in rows:
        if where is not None:
            day = row[where]
            if not (low <= day <= high or any(a <= day <= b for a, b in more)):
                continue
        key: GroupId | None = _ALL
        if key_at is not None:
            value = row[key_at]
            if value not in keys:
                keys[value] = _normal(group, value)
            key = keys[value]
        if key is not None:
            picked.setdefault(key, []).append(row[width:])
    for key, found in picked.items():
        sums = [sum(column) for column in zip(*found, strict=True)]
        before = target.get(key)
        target[key] = sums if before is None else [a + b for a, b in zip(before, sums, strict=True)]
    if group is None:
        target.setdefault(_ALL, [0] * len(SUMMED))


def stamps_of(summed: dict[GroupId, list[int]]) -> dict[GroupId, int]:
    """The answers' change stamp of each group that has or had answers (``counted``'s sums)."""
    return {key: sums[STAMP] for key, sums in summed.items() if sums[_ANSWERED] or sums[STAMP]}


def scope_key(f: Filters) -> str:
    """A name for the filters (the rows they select), under which medians are kept ahead."""
    def listed(ids: frozenset[int] | None) -> str:
        return "*" if ids is None else ",".join(str(i) for i in sorted(ids))

    text = "|".join((str(f.unit_id or "*"), f.kind.value if f.kind is not None else "*", listed(f.communes),
                     listed(f.localities), listed(f.topics)))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def grouping_key(group: Grouping | None) -> str:
    return group or ""


def stored_key(key: GroupId) -> str:
    return "" if key == _ALL else str(key)


Stored = dict[str, tuple[int, float | None]]  # group_key → (stamp, seconds) of stored medians


def stored_medians(session: Session, period: Period, group: Grouping | None, f: Filters,
                   shared: SharedReads | None = None) -> Stored:
    """The medians kept of this question (``stat_median``). Read before the stamps (``counted``):
    on PostgreSQL this read's lock on ``stat_median`` (held to the end of the transaction) keeps a
    rebuild, which resets the stamps, from committing between the stamps and ``keep_medians``.
    With ``shared``, those of every question its page asks are read at the first one's (so still
    before any stamp), in one statement."""
    if f.empty:
        return {}
    if shared is not None and (period, group) in shared.asked:
        every = once(shared, ("stored medians", f), lambda: _stored_medians(session, shared.asked, f))
        return every.get((period.start, period.end, grouping_key(group)), {})
    return _stored_medians(session, ((period, group),), f).get((period.start, period.end, grouping_key(group)), {})


def _stored_medians(session: Session, questions: Sequence[tuple[Period, Grouping | None]],
                    f: Filters) -> dict[tuple[date, date, str], Stored]:
    """The medians kept of each question, by its (start, end, grouping key)."""
    found: dict[tuple[date, date, str], Stored] = {}
    asked = sorted({(period.start, period.end, grouping_key(group)) for period, group in questions})
    params: dict[str, Any] = {"scope_key": scope_key(f)}
    for index, (start, end, grouping) in enumerate(asked):
        params.update({f"start_{index}": start, f"end_{index}": end, f"grouping_{index}": grouping})
    for start, end, grouping, group_key, stamp, seconds in read_rows(session, _medians_statement(len(asked)), params):
        stored = found.get((start, end, grouping))
        if stored is None:
            stored = found[(start, end, grouping)] = {}
        stored[group_key] = (stamp, seconds)
    return found


@lru_cache(maxsize=16)
def _medians_statement(questions: int) -> Select[*tuple[Any, ...]]:
    """``_stored_medians``'s statement for this many questions (bound parameters ``scope_key`` and
    ``start_<i>``, ``end_<i>``, ``grouping_<i>``), built once per process and count."""
    day, name = StatMedian.start.type, StatMedian.grouping.type
    return select(StatMedian.start, StatMedian.end, StatMedian.grouping, StatMedian.group_key,
                  StatMedian.stamp, StatMedian.seconds).where(
        StatMedian.scope_key == bindparam("scope_key", type_=StatMedian.scope_key.type),
        or_(*(and_(StatMedian.start == bindparam(f"start_{i}", type_=day),
                   StatMedian.end == bindparam(f"end_{i}", type_=day),
                   StatMedian.grouping == bindparam(f"grouping_{i}", type_=name)) for i in range(questions))))


def medians(session: Session, period: Period, group: Grouping | None, f: Filters,
            stamps: dict[GroupId, int], ahead: Stored, now: datetime) -> dict[GroupId, float]:
    """The exact median time to answer (days) per group. ``stamps``: the answers' change stamp of
    each group that has or had answers (``stamps_of``), read after ``ahead`` (``stored_medians``).
    The groups with no stored median of their stamp are computed from the answers, and kept
    (``keep_medians``): the next view of the question reads them."""
    if f.empty or not stamps:
        return {}
    result: dict[GroupId, float] = {}
    stale: list[GroupId] = []
    for key, stamp in stamps.items():
        stamp_and_seconds = ahead.get(stored_key(key))
        if stamp_and_seconds is None or stamp_and_seconds[0] != stamp:
            stale.append(key)
        elif stamp_and_seconds[1] is not None:
            result[key] = stamp_and_seconds[1] / SECONDS_PER_DAY
    if stale:
        live = median_seconds(session, period, group, f, None if group is None else stale)
        result.update({key: seconds / SECONDS_PER_DAY for key, seconds in live.items()})
        keep_medians(session, period, group, f, {key: stamps[key] for key in stale}, live, now)
    return result


def keep_medians(session: Session, period: Period, group: Grouping | None, f: Filters,
                 stamps: dict[GroupId, int], found: dict[GroupId, float], now: datetime) -> int:
    """Store the medians just computed from the answers (``found``, seconds; a group of
    ``stamps`` missing from it has no answer left), each with the stamp read before them, in a
    transaction of its own; returns how many were stored.

    The stamps are read again under the lock the refresh takes (``medians.refresh_one``): a group
    whose stamp is the same had the same answers from before its median to now (a stamp only
    grows, and no rebuild can commit meanwhile: see ``stored_medians``), so its median is exact
    for that stamp. Nothing is kept when the lock is taken (a refresh or another view is keeping
    medians) or when the caller's transaction has written (its counts may hold changes a
    separate transaction does not see): the next view computes them again. The first view of a
    question pays for this second read of its counts.

    In tests the session is bound to one connection: the keeper then shares its transaction
    (a savepoint) and sees what it saw."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and _has_written(session):
        return 0
    keeper = Session(bind=bind, join_transaction_mode="create_savepoint")
    try:
        if on_postgresql():
            keeper.execute(text("LOCK TABLE stat_median IN SHARE ROW EXCLUSIVE MODE NOWAIT"))
        after = stamps_of(counted(keeper, period, group, f))
        rows = [{"scope_key": scope_key(f), "start": period.start, "end": period.end, "grouping": grouping_key(group),
                 "group_key": stored_key(key), "stamp": stamp, "seconds": found.get(key), "computed_at": now}
                for key, stamp in stamps.items() if after.get(key) == stamp]
        store_medians(keeper, rows)
        keeper.commit()
        return len(rows)
    except OperationalError:  # the lock was taken (lock_not_available)
        keeper.rollback()
        return 0
    finally:
        keeper.close()


def _has_written(session: Session) -> bool:
    """Whether the session's open transaction has written anything (not committed yet)."""
    if not session.in_transaction():
        return False
    if on_postgresql():
        return bool(session.scalar(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")))
    driver = session.connection().connection.driver_connection
    return bool(getattr(driver, "in_transaction", False))


# Rows per INSERT (8 parameters each: under SQLite's 32,766 parameters a statement).
_ROWS_PER_STATEMENT = 1000


def store_medians(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert medians with their stamps (``stat_median`` rows), in the caller's transaction."""
    table = StatMedian.__table__
    assert isinstance(table, Table)
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        statement = dialect_insert(table).values(list(rows[start:start + _ROWS_PER_STATEMENT]))
        session.execute(statement.on_conflict_do_update(
            index_elements=["scope_key", "start", "end", "grouping", "group_key"],
            set_={"stamp": statement.excluded.stamp, "seconds": statement.excluded.seconds,
                  "computed_at": statement.excluded.computed_at}))


def _only(group: Grouping, keys: Iterable[GroupId]) -> ColumnElement[bool]:
    column = _group_column(StatFact, group)
    if group == "kind":
        return column.in_([Kind(str(k)) for k in keys])
    return column.in_(sorted(int(k) for k in keys))


def _covers_every_commune(session: Session, communes: frozenset[int]) -> bool:
    """Whether ``communes`` holds every locality a fact's commune can be (all but the villages):
    the scope of the tree's only root."""
    return not session.scalar(select(exists().where(Locality.level != LocalityLevel.VILLAGE,
                                                    Locality.id.not_in(sorted(communes)))))


@dataclass(frozen=True)
class HistogramQuestion:
    """What the answers' histogram reads for a question: its ``dimension``, and the groups
    asked for (``members``: each a sum of the dimension's groups; None: each of its groups alone)."""

    dimension: str
    members: dict[int, frozenset[int]] | None = None


# The groupings the histogram keeps as a dimension of the same name.
_HISTOGRAM_GROUPINGS = frozenset({"unit", "commune", "topic"})


def histogram_question(session: Session, group: Grouping | None, f: Filters) -> HistogramQuestion | None:
    """The histogram's question whose medians answer ``group`` under ``f``; None when the
    histogram does not keep it. It keeps one dimension at a time (units, communes, topics, over
    the whole tree): a question may group by one and filter by the same (its groups are then
    those the filter keeps), or filter by one (its groups summed: a commune's, a topic area's
    totals or months) and group by none or by month. Two dimensions (by unit with a topic
    filter), kinds and villages (grouped or filtered) are not kept."""
    if f.kind is not None or f.localities is not None or group not in (*_HISTOGRAM_GROUPINGS, None, "month"):
        return None
    filtered: dict[str, frozenset[int]] = {}
    if f.unit_id is not None:
        filtered["unit"] = frozenset({f.unit_id})
    if f.communes is not None and not _covers_every_commune(session, f.communes):
        filtered["commune"] = f.communes
    if f.topics is not None:
        filtered["topic"] = f.topics
    by = group if group in _HISTOGRAM_GROUPINGS else None
    named = set(filtered) | ({by} if by is not None else set())
    if len(named) > 1:
        return None
    if not named:
        return HistogramQuestion("all")
    dimension = named.pop()
    chosen = filtered.get(dimension)
    if by is not None:
        return HistogramQuestion(dimension, None if chosen is None else {g: frozenset({g}) for g in chosen})
    return HistogramQuestion(dimension, {0: chosen} if chosen is not None else None)


def _histogram_seconds(session: Session, period: Period, group: Grouping | None, question: HistogramQuestion,
                       keys: set[GroupId] | None) -> dict[GroupId, float]:
    """``median_seconds`` through the histogram: one window (the period), or one per month of
    it for a question by month (each month's days within the period)."""
    members = question.members
    if keys is not None and group is not None and group != "month":
        wanted = {int(k) for k in keys}
        members = ({g: frozenset({g}) for g in wanted} if members is None
                   else {g: groups for g, groups in members.items() if g in wanted})
    if group == "month":
        windows: dict[GroupId, tuple[date, date]] = {}
        for month in period.months():
            first = date.fromisoformat(month + "-01")
            if keys is None or month in keys:
                windows[month] = (max(period.start, first), min(period.end, _next_month(first) - timedelta(days=1)))
    else:
        windows = {_ALL: (period.start, period.end)}
    found = windowed_medians(session, question.dimension, windows, members)
    if group == "month":
        return {month: seconds for (month, _), seconds in found.items()}
    if group is None:
        return {_ALL: seconds for seconds in found.values()}
    return {group_id: seconds for (_, group_id), seconds in found.items()}


def median_seconds(session: Session, period: Period, group: Grouping | None, f: Filters,
                   only: Iterable[GroupId] | None = None) -> dict[GroupId, float]:
    """The exact median time to answer (seconds) per group (of the groups ``only``, when given),
    from the per-answer facts (on PostgreSQL through the answers' histogram where it answers
    the question: ``histogram_question``)."""
    keys = set(only) if only is not None else None
    if f.empty or keys == set():
        return {}
    if on_postgresql() and (question := histogram_question(session, group, f)) is not None:
        return _histogram_seconds(session, period, group, question, keys)
    low, high = period.start, period.end
    extra: list[ColumnElement[bool]] = []
    if keys is not None and group == "month":
        months = sorted(str(k) for k in keys)
        first = date.fromisoformat(months[0] + "-01")
        last = _next_month(date.fromisoformat(months[-1] + "-01")) - timedelta(days=1)
        low, high = max(low, first), min(high, last)
        if low > high:
            return {}
    elif keys is not None and group is not None:
        extra.append(_only(group, keys))
    conditions = [StatFact.measure == FactKind.ANSWERED.value, StatFact.day >= low, StatFact.day <= high,
                  *_conditions(StatFact, f), *extra]
    found: dict[GroupId, float] = {}
    if on_postgresql():
        column = (func.date_trunc("month", StatFact.day) if group == "month" else _group_column(StatFact, group))
        query = select(column, func.percentile_cont(0.5).within_group(StatFact.seconds)).where(*conditions)
        if group is not None:
            query = query.group_by(column)
        found = {key: float(value) for value_key, value in session.execute(query).all()
                 if value is not None and (key := _normal(group, value_key)) is not None}
    else:
        values: dict[GroupId, list[float]] = defaultdict(list)
        for value_key, seconds in session.execute(select(_group_column(StatFact, group), StatFact.seconds)
                                                  .where(*conditions)):
            key = _normal(group, value_key)
            if key is not None and seconds is not None:
                values[key].append(seconds)
        found = {key: m for key, got in values.items() if (m := median(got)) is not None}
    return found if keys is None else {key: value for key, value in found.items() if key in keys}


def unit_labels(session: Session, period: Period, unit_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each unit's code and name on its latest fact within the period."""
    if not unit_ids:
        return {}
    # On PostgreSQL one probe of the primary key (unit_id, day) per unit for its latest day, then
    # one row: a GROUP BY over the period read every day of every unit (20,708 entries for the
    # province's 62 units over a year). The ids are one array parameter (unnest): a VALUES list
    # of them was compiled again at each view (5 ms of CPU), and its text never repeated for the
    # server to prepare. SQLite has no arrays: its units are the distinct ids of their rows.
    ids = sorted({int(i) for i in unit_ids})
    postgres = on_postgresql()
    rows = read_rows(session, _labels_statement(postgres),
                     {"ids": int_array(ids) if postgres else ids, "start": period.start, "end": period.end})
    return {unit_id: (code, name) for unit_id, code, name in rows}


@cache
def _labels_statement(postgres: bool) -> Select[*tuple[Any, ...]]:
    """``unit_labels``'s statement (bound parameters ``ids``, ``start``, ``end``), built once per
    process and dialect: its subqueries and alias cost more to build than to answer."""
    wanted: Any = (select(func.unnest(int_array_param("ids")).label("unit_id")).subquery("wanted")
                   if postgres
                   else select(StatUnitName.unit_id).where(StatUnitName.unit_id.in_(bindparam("ids", expanding=True)))
                   .distinct().subquery("wanted"))
    named = aliased(StatUnitName)
    day = StatUnitName.day.type
    latest = (select(func.max(named.day))
              .where(named.unit_id == wanted.c.unit_id, named.day >= bindparam("start", type_=day),
                     named.day <= bindparam("end", type_=day))
              .correlate(wanted).scalar_subquery())
    return select(StatUnitName.unit_id, StatUnitName.code, StatUnitName.name).select_from(wanted).join(
        StatUnitName, and_(StatUnitName.unit_id == wanted.c.unit_id, StatUnitName.day == latest))


def _figures(key: str, label: str, sums: list[int] | None, overdue: int, middle: float | None) -> Figures:
    values = dict(zip(COUNTS, sums or [0] * len(COUNTS)))
    return Figures.of(key, label, overdue_open=overdue, median_days_to_answer=middle, **values)


def rollup_figures(session: Session, *, period: Period, group: Grouping, scope: Scope,
                   now: datetime, shared: SharedReads | None = None, every_active_unit: bool = False,
                   window: tuple[int, int] | None = None) -> FigureRows:
    """The rows of ``figures`` (``window``: only ``count`` of them from position ``first``, in
    their order; every group is still counted, named and ordered, but only those rows' medians
    are computed and their ``Figures`` built)."""
    if every_active_unit and (group != "unit" or scope != Scope()):
        raise ValueError("every_active_unit lists the whole platform's units: group 'unit', scope Scope()")
    f = filters_of(session, scope, shared)
    ahead = stored_medians(session, period, group, f, shared)
    summed = counted(session, period, group, f, shared)
    sums = {k: v[:STAMP] for k, v in summed.items() if any(v[:STAMP])}
    overdue = overdue_counts(session, scope, group, now, shared) if not f.empty else {}
    if group == "month":
        months = period.months()  # once: the overdue items' months are ten years of them
        kept = set(months)
        overdue = {k: v for k, v in overdue.items() if k in kept}
        for month in months:
            sums.setdefault(month, [0] * len(COUNTS))
    ids = set(sums) | {k for k, v in overdue.items() if v}
    names = unit_labels(session, period, [int(i) for i in ids]) if group == "unit" else None
    if every_active_unit and names is not None:
        # One read for every active unit that answers residents, the quiet ones by their name now
        # (no per-unit query). Front committees watch, they are not handling units (DESIGN.md §2):
        # one is listed only when it has figures, as an inactive unit is.
        for row in session.execute(select(Unit.id, Unit.code, Unit.name).where(
                Unit.active.is_(True), Unit.kind != UnitKind.FRONT_COMMITTEE)):
            ids.add(row.id)
            names.setdefault(row.id, (row.code, row.name))
    keyed = labels(session, group, ids, names)
    order = ordered(group, keyed)
    first, count = window if window is not None else (0, len(order))
    shown = order[first:first + count]
    stamps = stamps_of(summed)
    if len(shown) < len(order):
        stamps = {i: stamps[i] for i in shown if i in stamps}
    middles = medians(session, period, group, f, stamps, ahead, now)
    return FigureRows([_figures(keyed[i][0], keyed[i][1], sums.get(i), overdue.get(i, 0), middles.get(i))
                       for i in shown], first, len(order))


def rollup_totals(session: Session, *, period: Period, scope: Scope, now: datetime,
                  shared: SharedReads | None = None) -> Figures:
    f = filters_of(session, scope, shared)
    ahead = stored_medians(session, period, None, f, shared)
    summed = counted(session, period, None, f, shared)
    sums = summed[_ALL][:STAMP] if _ALL in summed else None
    middle = medians(session, period, None, f, stamps_of(summed), ahead, now).get(_ALL)
    overdue = overdue_total(session, scope, now, shared) if not f.empty else 0
    return _figures("", "", sums, overdue, middle)


def _group_condition(session: Session, period: Period, group: Grouping, key: str) -> ColumnElement[bool]:
    if group == "unit":
        ids = set(session.scalars(select(StatUnitName.unit_id).where(StatUnitName.code == key)))
        ids |= set(session.scalars(select(Unit.id).where(Unit.code == key)))
        return StatFact.unit_id.in_(sorted(ids))
    if group in ("commune", "village"):
        found = session.scalar(select(Locality.id).where(Locality.code == key))
        column = StatFact.commune_id if group == "commune" else StatFact.village_id
        return column == found if found is not None else literal(False)
    if group == "topic":
        found = session.scalar(select(Topic.id).where(Topic.code == key))
        return StatFact.topic_id == found if found is not None else literal(False)
    if group == "kind":
        return StatFact.kind == key if key in {k.value for k in Kind} else literal(False)
    try:
        year, month = (int(part) for part in key.split("-"))
        first = date(year, month, 1)
    except ValueError:
        return literal(False)
    after = _next_month(first)
    return and_(StatFact.day >= first, StatFact.day < after)


def _groups_keyed(session: Session, group: Grouping, key: str) -> set[GroupId]:
    """The groups of ``group`` whose key (``labels``: units, places and topics by their code as
    they are now, kinds and months by their value) is ``key``."""
    if group == "unit":
        return set(session.scalars(select(Unit.id).where(Unit.code == key)))
    if group in ("commune", "village"):
        return set(session.scalars(select(Locality.id).where(Locality.code == key)))
    if group == "topic":
        return set(session.scalars(select(Topic.id).where(Topic.code == key)))
    if group == "kind":
        return {key} if key in {k.value for k in Kind} else set()
    return {key}


_FIGURE_CONDITIONS: dict[str, Any] = {
    "received": lambda: StatFact.measure == FactKind.RECEIVED.value,
    "answered": lambda: StatFact.measure == FactKind.ANSWERED.value,
    "answered_on_time": lambda: and_(StatFact.measure == FactKind.ANSWERED.value, StatFact.on_time.is_(True)),
    "transfers": lambda: StatFact.measure == FactKind.TRANSFER.value,
    "reopened": lambda: StatFact.measure == FactKind.REOPENED.value,
    "ratings": lambda: StatFact.measure == FactKind.RATING.value,
    "satisfied": lambda: and_(StatFact.measure == FactKind.RATING.value, StatFact.satisfied.is_(True)),
}


def rollup_items_behind(session: Session, *, period: Period, scope: Scope, figure: str, group: Grouping | None,
                        key: str | None, now: datetime) -> Select[Any]:
    check_figure(figure)
    f = filters_of(session, scope)
    if figure == "overdue_open":
        groups = _groups_keyed(session, group, key or "") if group is not None else None
        if f.empty:
            return select(Feedback).where(literal(False)).order_by(Feedback.id)
        # Joined to the kept rows' distinct ids: a page reads them in id order from
        # ``ix_overdue_item_pair`` and stops once it has its rows, not every late item of the
        # scope into a list first (55,119 for the province at 10,000,000 items). With ``IN`` the
        # planner walked every item by id to merge them with the late ones (100,027 items for
        # the province's page 20 at 1,000,000).
        late = late_ids(session, scope, now, group, groups).subquery("late")
        return select(Feedback).join(late, late.c.feedback_id == Feedback.id).order_by(Feedback.id)
    days = _drill_days(period, group, key or "")
    first = _first_item(session, _FIGURE_CONDITIONS[figure](), days) if days is not None and not f.empty else None
    if days is None or first is None:
        return select(Feedback).where(literal(False)).order_by(Feedback.id)
    conditions = [_FIGURE_CONDITIONS[figure](), StatFact.day >= days[0], StatFact.day <= days[1],
                  *_conditions(StatFact, f)]
    if group is not None:
        conditions.append(_group_condition(session, period, group, key or ""))
    facts = select(StatFact.feedback_id).where(*conditions)
    few = list(session.scalars(facts.limit(FEW_FACTS)))
    if len(few) < FEW_FACTS:
        # Few facts (a village's, one unit's of a month): their items, read by id in order. As a
        # subquery the planner walked every fact by item from the first ever until 25 matched
        # (1.4 s for one topic's satisfied ratings of a year at 1,000,000 items).
        return select(Feedback).where(among(Feedback.id, sorted(set(few)))).order_by(Feedback.id)
    # Many: the items from the first one with a fact of the measure in those days, by id, each
    # kept when a fact of it counts (one probe of its facts; a subquery the planner cannot turn
    # into a join): a page walks the items from there and stops once it has its rows. The
    # planner's own choice, a join, read every fact of the period (misjudging how many follow
    # the first item) and sorted them for 25 rows; from the first item ever, this month's page
    # took 3.5 s at 1,000,000 items (the recent ones come last).
    counts = facts.where(StatFact.feedback_id == Feedback.id).limit(1).scalar_subquery()
    return select(Feedback).where(Feedback.id >= first, counts.is_not(None)).order_by(Feedback.id)


# Fewer facts behind a drill-down than this are read whole; more are walked item by item.
FEW_FACTS = 2000


def _drill_days(period: Period, group: Grouping | None, key: str) -> tuple[date, date] | None:
    """The days a drill-down's facts fall on: the period's, or those of its month for a month
    key (None when that month lies outside the period)."""
    if group != "month":
        return period.start, period.end
    try:
        year, month = (int(part) for part in key.split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    low, high = max(period.start, first), min(period.end, _next_month(first) - timedelta(days=1))
    return (low, high) if low <= high else None


def _first_item(session: Session, counts: ColumnElement[bool], days: tuple[date, date]) -> int | None:
    """The least item id among the facts a figure counts (``counts``: its measure, and on time
    or satisfied) on ``days`` (None: no fact): on PostgreSQL the first such entry of each day in
    ``ix_stat_fact_day`` (measure, day, feedback_id), one probe a day (a few entries for on time
    or satisfied), not every fact of the period read (a month's 83,000 at 10,000,000 items).
    The scope's filters are left to the walk: one unit's first would read 62 entries a day."""
    low, high = days
    if not on_postgresql():
        return session.scalar(select(func.min(StatFact.feedback_id)).where(
            counts, StatFact.day >= low, StatFact.day <= high))
    day = func.generate_series(low, high, literal(timedelta(days=1))).table_valued("value").render_derived(name="days")
    first = (select(StatFact.feedback_id).where(counts, StatFact.day == cast(day.c.value, Date))
             .order_by(StatFact.feedback_id).limit(1).lateral("first"))
    return session.scalar(select(func.min(first.c.feedback_id)).select_from(day).join(first, true()))
