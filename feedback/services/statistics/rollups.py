"""Writing the stored facts and their rollups (``stat_fact``, ``stat_daily``, ``stat_monthly``,
``stat_monthly_unit``, ``stat_monthly_place``, ``stat_daily_unit`` and the whole tree's, without
the commune: ``ROLLUPS``; the answers' histogram ``stat_answer_hist``; ``stat_unit_name``), in
the caller's transaction.

``refresh_items`` is the one incremental writer: it derives the items' facts afresh from the raw
rows (``facts.facts_of``), compares them with the stored ones, and writes only the difference:
new facts are inserted and added to the rollups, vanished or changed ones are taken out (a
changed rating is one out, one in). The rollups change by signed deltas applied with
``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``: two transactions touching the same
row add up instead of overwriting each other, which a recount-and-overwrite would not do under
READ COMMITTED. Every answered fact in or out also adds 1 to its rows' ``answer_changes`` (never
taken off): the stamp ``medians`` compares to know a median computed ahead is still exact.
Every answered fact in or out also moves its duration's bucket in ``stat_answer_hist``, for its
unit, its commune, its topic and in all, in the five calendar spans of its day
(``HISTOGRAM_DIMENSIONS``). Running it
twice changes nothing the second time (the stored facts already match), so an item refreshed for
nothing costs a few reads. ``new_fact_writes`` is the same writing for facts known to be new
without a read (routing's first assignment: ``live.count_first_assignment``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Executable, Insert, Table, and_, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement

from feedback.domain.median_buckets import bucket_of, spans_of
from feedback.models import (
    StatAnswerHist, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit, StatDailyUnitKind, StatFact,
    StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace, StatMonthlyTopicKind, StatMonthlyUnit,
    StatMonthlyUnitKind, StatUnitName,
)
from feedback.services.database import (
    SHAPE_ROWS,
    BoundWrite,
    execute_kept,
    on_postgresql,
    per_shape,
    rows_insert,
    rows_params,
)
from feedback.services.statistics.facts import facts_of
from feedback.services.statistics.values import Fact, FactKind

COUNTS = ("received", "answered", "answered_on_time", "transfers", "reopened", "ratings", "satisfied")
DAILY_KEY = ("unit_id", "locality_id", "topic_id", "kind", "day")
MONTHLY_KEY = ("unit_id", "commune_id", "topic_id", "kind", "month")
MONTHLY_UNIT_KEY = ("unit_id", "commune_id", "kind", "month")
MONTHLY_PLACE_KEY = ("unit_id", "locality_id", "kind", "month")
DAILY_UNIT_KEY = ("unit_id", "commune_id", "kind", "day")


@dataclass(frozen=True)
class Rollup:
    """A rollup table: its key (``month`` or ``day`` last) and the columns that ride along
    (determined by the key's locality)."""

    model: Any
    key: tuple[str, ...]
    riding: tuple[str, ...] = ()


# Every rollup the one writer keeps, in the order it writes them (one lock order).
ROLLUPS = (
    Rollup(StatDaily, DAILY_KEY, ("commune_id", "village_id")),
    Rollup(StatMonthly, MONTHLY_KEY),
    Rollup(StatMonthlyUnit, MONTHLY_UNIT_KEY),
    Rollup(StatMonthlyPlace, MONTHLY_PLACE_KEY, ("commune_id", "village_id")),
    Rollup(StatDailyUnit, DAILY_UNIT_KEY),
    # The whole tree's (migration 0036): the same facts without the commune.
    Rollup(StatMonthlyUnitKind, ("unit_id", "kind", "month")),
    Rollup(StatDailyUnitKind, ("unit_id", "kind", "day")),
    Rollup(StatMonthlyTopicKind, ("topic_id", "kind", "month")),
    Rollup(StatDailyTopicKind, ("topic_id", "kind", "day")),
    Rollup(StatMonthlyCommuneKind, ("commune_id", "kind", "month")),
    Rollup(StatDailyCommuneKind, ("commune_id", "kind", "day")),
    Rollup(StatMonthlyLocalityKind, ("locality_id", "kind", "month"), ("commune_id", "village_id")),
)
# The rollups' columns added up by the deltas: the figures, and the answers' change stamp.
CHANGES = "answer_changes"
SUMMED = (*COUNTS, CHANGES)


# The answers' histogram (``stat_answer_hist``): its key, and the dimensions it counts by with
# the fact's column naming the group (None: everyone's, group 0). Not by village: a village's
# answers are so few per day and bucket that its histogram rows of a range outnumber its
# answers' index entries (a year at 1,000,000 items: 82,660 rows, 33,343 blocks, against 853
# blocks of answers for all the villages' ``percentile_cont``).
HISTOGRAM_KEY = ("dimension", "span", "group_id", "bucket")
HISTOGRAM_DIMENSIONS: tuple[tuple[str, str | None], ...] = (("unit", "unit_id"), ("commune", "commune_id"),
                                                             ("all", None), ("topic", "topic_id"))


def histogram_rows(row: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """The histogram rows (``HISTOGRAM_KEY``) an answered fact row counts in (none for others)."""
    if row["measure"] != FactKind.ANSWERED or row["seconds"] is None:
        return []
    bucket = bucket_of(row["seconds"])
    return [(dimension, span, row[column] if column is not None else 0, bucket)
            for dimension, column in HISTOGRAM_DIMENSIONS for span in spans_of(row["day"])]


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def counts_of(measure: str, on_time: bool, satisfied: bool) -> dict[str, int]:
    """What one fact adds to a rollup row."""
    return {
        "received": int(measure == FactKind.RECEIVED),
        "answered": int(measure == FactKind.ANSWERED),
        "answered_on_time": int(measure == FactKind.ANSWERED and on_time),
        "transfers": int(measure == FactKind.TRANSFER),
        "reopened": int(measure == FactKind.REOPENED),
        "ratings": int(measure == FactKind.RATING),
        "satisfied": int(measure == FactKind.RATING and satisfied),
    }


def fact_row(fact: Fact) -> dict[str, Any]:
    return {"measure": fact.measure.value, "feedback_id": fact.feedback_id, "ref": fact.ref, "unit_id": fact.unit_id,
            "locality_id": fact.locality_id, "commune_id": fact.commune_id, "village_id": fact.village_id,
            "topic_id": fact.topic_id, "kind": fact.kind, "at": fact.at, "day": fact.day, "on_time": fact.on_time,
            "seconds": fact.seconds, "satisfied": fact.satisfied}


def _stored_counted(row: StatFact) -> tuple[object, ...]:
    return (row.unit_id, row.locality_id, row.commune_id, row.village_id, row.topic_id, row.kind.value, row.at,
            row.day, row.on_time, row.seconds, row.satisfied)


def _rollup_row(rollup: Rollup, row: dict[str, Any]) -> dict[str, Any]:
    """The key and riding columns of ``rollup``'s row that a fact row falls in."""
    values = {k: row[k] for k in (*rollup.key, *rollup.riding) if k != "month"}
    if "month" in rollup.key:
        values["month"] = first_of_month(row["day"])
    return values


@per_shape
def _rollup_upsert(count: int, rollup: Rollup, columns: tuple[str, ...], _postgres: bool) -> Insert:
    """The upsert adding ``count`` rows (``columns``) to ``rollup``, built once per shape."""
    table = rollup.model.__table__
    statement = rows_insert(table, columns, count, table.name)
    return statement.on_conflict_do_update(
        index_elements=list(rollup.key), set_={c: table.c[c] + statement.excluded[c] for c in SUMMED})


@per_shape
def _histogram_upsert(count: int, columns: tuple[str, ...], _postgres: bool) -> Insert:
    """The upsert adding ``count`` rows (``columns``) to the answers' histogram, built once per shape."""
    table: Any = StatAnswerHist.__table__
    statement = rows_insert(table, columns, count, table.name)
    return statement.on_conflict_do_update(
        index_elements=list(HISTOGRAM_KEY), set_={"answers": table.c.answers + statement.excluded.answers})


@per_shape
def _facts_insert(count: int, columns: tuple[str, ...], _postgres: bool) -> Insert:
    """The INSERT of ``count`` new facts (``columns``), built once per shape."""
    return rows_insert(StatFact.__table__, columns, count, "stat_fact")


def facts_insert(facts: Sequence[Fact]) -> BoundWrite:
    """Storing ``facts`` (at least one): one INSERT."""
    rows = [fact_row(f) for f in facts]
    columns = tuple(rows[0])
    return BoundWrite(_facts_insert(len(rows), columns, on_postgresql()), rows_params("stat_fact", columns, rows),
                      kept=len(rows) <= SHAPE_ROWS)


@per_shape
def _names_upsert(count: int, _postgres: bool) -> Insert:
    table: Any = StatUnitName.__table__
    statement = rows_insert(table, NAME_COLUMNS, count, table.name)
    return statement.on_conflict_do_update(
        index_elements=["unit_id", "day"],
        set_={"at": statement.excluded.at, "code": statement.excluded.code, "name": statement.excluded.name},
        where=table.c.at <= statement.excluded.at,
    )


def rollup_writes(signed: Iterable[tuple[int, dict[str, Any]]]) -> tuple[list[BoundWrite], list[Executable]]:
    """What adding each (sign, fact row) to the daily and monthly rollups takes: one multi-row
    upsert per rollup table (``ROLLUPS`` order, rows in one sorted order: one lock order for
    every writer), and the deletes of the rows a negative delta may have left at zero (to run
    after the upserts; a row an answer ever was in stays: its ``answer_changes`` must stay summed)."""
    targets: list[dict[tuple[Any, ...], dict[str, Any]]] = [{} for _ in ROLLUPS]
    histogram: dict[tuple[str, str, int, int], int] = defaultdict(int)
    for sign, row in signed:
        for key in histogram_rows(row):
            histogram[key] += sign
        added = counts_of(row["measure"], row["on_time"], row["satisfied"])
        changes = int(row["measure"] == FactKind.ANSWERED)  # in or out: +1 either way
        for rollup, rows in zip(ROLLUPS, targets):
            values = _rollup_row(rollup, row)
            sums = rows.setdefault(tuple(values[k] for k in rollup.key), {**values, **dict.fromkeys(SUMMED, 0)})
            for name, value in added.items():
                sums[name] += sign * value
            sums[CHANGES] += changes
    upserts: list[BoundWrite] = []
    deletes: list[Executable] = []
    for rollup, rows in zip(ROLLUPS, targets):
        table = rollup.model.__table__
        assert isinstance(table, Table)
        changed = [values for _, values in sorted(rows.items(), key=lambda kv: tuple(str(v) for v in kv[0]))
                   if any(values[c] for c in SUMMED)]  # one lock order
        if not changed:
            continue
        columns = tuple(changed[0])
        upserts.append(BoundWrite(_rollup_upsert(len(changed), rollup, columns, on_postgresql()),
                                  rows_params(table.name, columns, changed), kept=len(changed) <= SHAPE_ROWS))
        for values in changed:
            if any(values[c] < 0 for c in COUNTS):
                deletes.append(delete(table).where(
                    and_(*(table.c[k] == values[k] for k in rollup.key)), *(table.c[c] == 0 for c in SUMMED)))
    changed_buckets: list[dict[str, Any]] = [{**dict(zip(HISTOGRAM_KEY, key)), "answers": n}
                                             for key, n in sorted(histogram.items()) if n]
    if changed_buckets:
        table = StatAnswerHist.__table__
        assert isinstance(table, Table)
        columns = tuple(changed_buckets[0])
        upserts.append(BoundWrite(_histogram_upsert(len(changed_buckets), columns, on_postgresql()),
                                  rows_params(table.name, columns, changed_buckets),
                                  kept=len(changed_buckets) <= SHAPE_ROWS))
        for values in changed_buckets:
            if values["answers"] < 0:
                deletes.append(delete(table).where(*(table.c[k] == values[k] for k in HISTOGRAM_KEY),
                                                   table.c.answers == 0))
    return upserts, deletes


def apply_deltas(session: Session, signed: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Add each (sign, fact row) to the daily and monthly rollups; rows left at zero go."""
    upserts, deletes = rollup_writes(signed)
    execute_together(session, upserts)
    for statement in deletes:
        session.execute(statement)


NAME_COLUMNS = ("unit_id", "day", "at", "code", "name")


def name_writes(facts: Iterable[Fact]) -> list[BoundWrite]:
    """Keeping each unit's code and name of its latest fact per day: one multi-row upsert (none
    when there is no fact), which leaves a later stored name alone."""
    latest: dict[tuple[int, date], Fact] = {}
    for fact in facts:
        key = (fact.unit_id, fact.day)
        if key not in latest or fact.at >= latest[key].at:
            latest[key] = fact
    if not latest:
        return []
    rows = [{"unit_id": unit_id, "day": day, "at": fact.at, "code": fact.unit_code, "name": fact.unit_name}
            for (unit_id, day), fact in sorted(latest.items())]
    return [BoundWrite(_names_upsert(len(rows), on_postgresql()), rows_params("stat_unit_name", NAME_COLUMNS, rows),
                       kept=len(rows) <= SHAPE_ROWS)]


def remember_names(session: Session, facts: Iterable[Fact]) -> None:
    """Keep each unit's code and name of its latest fact per day."""
    execute_together(session, name_writes(facts))


def execute_together(session: Session, writes: Sequence[Executable | BoundWrite]) -> None:
    """Run ``writes`` in order: on PostgreSQL as one statement (the first ones as data-modifying
    WITH clauses of the last: one round trip; a batch too large for one statement's parameters
    as a few, ``_within_parameters``), elsewhere one after the other. They must touch
    different tables (in one statement each sees the snapshot from before all of them), and the
    bind parameters of ``BoundWrite``s must not share names (``rows_insert`` prefixes them with
    the table's name). Writes built once per shape make a statement built once per shape too."""
    if not writes:
        return
    bound = [w if isinstance(w, BoundWrite) else BoundWrite(w, {}, kept=False) for w in writes]
    if not on_postgresql():
        for write in bound:
            session.execute(write.statement, write.params)
        return
    for group in _within_parameters(bound):
        params: dict[str, Any] = {}
        for write in group:
            params.update(write.params)
        if len(group) == 1:
            session.execute(group[0].statement, params)
            continue
        statements = tuple(w.statement for w in group)
        if all(w.kept for w in group):
            # Kept per shape, so compiled once as driver SQL: a routing's dozen writes in one
            # statement cost SQLAlchemy more CPU to look up in its cache than PostgreSQL to parse.
            execute_kept(cast(ClauseElement, _kept_together(statements)), params, session)
        else:
            session.execute(_together(statements), params)


# The most bind parameters one PostgreSQL statement may carry (the protocol counts them in 16 bits).
MAX_PARAMETERS = 65535


def _within_parameters(bound: list[BoundWrite]) -> list[list[BoundWrite]]:
    """``bound`` in order, in runs whose parameters one statement can carry: one run for an item's
    writes; a large batch's (hundreds of facts at once, twelve rollups and the histogram) in a
    few, still in the one lock order."""
    groups: list[list[BoundWrite]] = []
    count = 0
    for write in bound:
        if groups and count + len(write.params) <= MAX_PARAMETERS:
            groups[-1].append(write)
            count += len(write.params)
        else:
            groups.append([write])
            count = len(write.params)
    return groups


def _together(statements: tuple[Executable, ...]) -> Executable:
    """``statements`` as one: the last with the others as its data-modifying WITH clauses."""
    last = statements[-1]
    assert isinstance(last, Insert)  # PostgreSQL's INSERT is one too
    return last.add_cte(*(w.cte(f"write_{i}") for i, w in enumerate(statements[:-1])))  # type: ignore[attr-defined]


# The combination of statements kept per shape is kept too (they live as long as the process).
_kept_together = lru_cache(maxsize=128)(_together)


def new_fact_writes(facts: Sequence[Fact]) -> list[BoundWrite]:
    """The writes that store ``facts``, none of which is stored yet, and add them to the rollups:
    the facts' INSERT, the units' names, one upsert per rollup (what ``refresh_items`` writes for
    the facts it adds); [] for no fact. For ``execute_together``."""
    if not facts:
        return []
    upserts, _deletes = rollup_writes((1, fact_row(f)) for f in facts)  # adding leaves no row at zero
    return [facts_insert(facts), *name_writes(facts), *upserts]


def refresh_items(session: Session, feedback_ids: Sequence[int]) -> int:
    """Bring the stored facts and rollups of ``feedback_ids`` in line with their raw rows, in
    the caller's transaction (not committed). Idempotent. Returns how many facts changed.

    On PostgreSQL the new facts, the units' names and the rollups are written in one
    statement (``execute_together``): an item's first assignment costs its reads and one write."""
    if not feedback_ids:
        return 0
    derived = {f.identity: f for f in facts_of(session, feedback_ids)}
    stored = {(r.measure, r.feedback_id, r.ref): r for r in session.scalars(
        select(StatFact).where(StatFact.feedback_id.in_(list(feedback_ids))).order_by(StatFact.id))}
    signed: list[tuple[int, dict[str, Any]]] = []
    added: list[Fact] = []
    gone: list[int] = []
    for identity, row in stored.items():
        fact = derived.get(identity)
        if fact is None or fact.counted != _stored_counted(row):
            signed.append((-1, {c.key: getattr(row, c.key) for c in StatFact.__table__.columns}))
            gone.append(row.id)
    for identity, fact in derived.items():
        before = stored.get(identity)
        if before is None or fact.counted != _stored_counted(before):
            signed.append((1, fact_row(fact)))
            added.append(fact)
    if not signed:
        return 0
    if gone:
        session.execute(delete(StatFact).where(StatFact.id.in_(gone)))
    writes: list[BoundWrite] = []
    if added:
        writes.append(facts_insert(added))
        writes.extend(name_writes(added))
    upserts, deletes = rollup_writes(signed)
    execute_together(session, writes + upserts)
    for statement in deletes:
        session.execute(statement)
    return len(signed)
