"""``flask stats rebuild``: the stored facts and rollups recomputed from scratch from the raw
rows, in one transaction (readers see the old figures until it commits). The kept overdue
state (``overdue_item``, trigger-maintained) is refilled from the clocks in the same transaction.

On PostgreSQL ``stat_fact`` (and ``stat_median``) is locked (ACCESS EXCLUSIVE) for the duration: an action committing
meanwhile waits at its refresh, then diffs against the rebuilt facts, so nothing is lost or
counted twice. The rollups are summed in SQL from the rebuilt facts; the medians computed ahead are
forgotten with the old rollups (``rebuild_statistics`` computes them again after the commit).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from feedback.domain.median_buckets import EDGES
from feedback.extensions import db
from feedback.models import (
    Feedback, StatAnswerHist, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit, StatDailyUnitKind,
    StatFact, StatMedian, StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace,
    StatMonthlyTopicKind, StatMonthlyUnit, StatMonthlyUnitKind, StatUnitName,
)
from feedback.services.database import on_postgresql
from feedback.services.deadlines import rebuild_overdue
from feedback.services.statistics.facts import all_facts
from feedback.services.statistics.medians import refresh_medians
from feedback.services.statistics.rollups import HISTOGRAM_DIMENSIONS, ROLLUPS, SUMMED, fact_row
from feedback.services.statistics.values import Fact, FactKind


def _sums() -> list[Any]:
    measure, on_time, satisfied = StatFact.measure, StatFact.on_time, StatFact.satisfied

    def count_if(condition: Any) -> Any:
        return func.sum(func.cast(condition, StatDaily.received.type))

    return [
        count_if(measure == FactKind.RECEIVED.value),
        count_if(measure == FactKind.ANSWERED.value),
        count_if((measure == FactKind.ANSWERED.value) & on_time),
        count_if(measure == FactKind.TRANSFER.value),
        count_if(measure == FactKind.REOPENED.value),
        count_if(measure == FactKind.RATING.value),
        count_if((measure == FactKind.RATING.value) & satisfied),
        count_if(measure == FactKind.ANSWERED.value),  # answer_changes: each answer entered once
    ]


def sum_rollups(session: Session, *, tree: bool = True) -> None:
    """Fill the empty rollups from ``stat_fact``, each from the one below (one INSERT … SELECT each).
    ``tree``: the whole tree's too (the bench loads its data at a revision before them: the
    upgrade that creates them fills them, ``sum_tree_rollups``'s SQL)."""
    daily = StatDaily.__table__
    monthly = StatMonthly.__table__
    assert isinstance(daily, Table) and isinstance(monthly, Table)
    f = StatFact
    session.execute(insert(daily).from_select(
        ["unit_id", "locality_id", "topic_id", "kind", "day", "commune_id", "village_id", *SUMMED],
        select(f.unit_id, f.locality_id, f.topic_id, f.kind, f.day, func.min(f.commune_id), func.min(f.village_id),
               *_sums()).group_by(f.unit_id, f.locality_id, f.topic_id, f.kind, f.day),
    ))
    d = StatDaily
    month = _first_of_month(session, d.day)
    session.execute(insert(monthly).from_select(
        ["unit_id", "commune_id", "topic_id", "kind", "month", *SUMMED],
        select(d.unit_id, d.commune_id, d.topic_id, d.kind, month, *(func.sum(d.__table__.c[c]) for c in SUMMED))
        .group_by(d.unit_id, d.commune_id, d.topic_id, d.kind, month),
    ))
    m = StatMonthly
    unit_table = StatMonthlyUnit.__table__
    assert isinstance(unit_table, Table)
    session.execute(insert(unit_table).from_select(
        ["unit_id", "commune_id", "kind", "month", *SUMMED],
        select(m.unit_id, m.commune_id, m.kind, m.month, *(func.sum(m.__table__.c[c]) for c in SUMMED))
        .group_by(m.unit_id, m.commune_id, m.kind, m.month),
    ))
    sum_finer_rollups(session)
    if tree:
        sum_tree_rollups(session)
    sum_histogram(session)


def histogram_sql(postgresql: bool) -> str:
    """The INSERT that fills the empty ``stat_answer_hist`` from the answered facts (migrations
    0025 and 0035 run copies of it): the answers per group of every dimension
    (``HISTOGRAM_DIMENSIONS``), day and bucket first (one pass over the facts), then each
    dimension's days summed into their five spans."""
    if postgresql:
        bucket = "answer_bucket(seconds)"
        day, month, year = "to_char(day, 'YYYY-MM-DD')", "to_char(day, 'YYYY-MM')", "to_char(day, 'YYYY')"
        day_of_month, quarter = "extract(day FROM day)", "to_char(day, 'Q')"
    else:
        bucket = "CASE " + " ".join(f"WHEN seconds < {edge} THEN {i}" for i, edge in enumerate(EDGES)) + \
            f" ELSE {len(EDGES)} END"
        day, month, year = "strftime('%Y-%m-%d', day)", "strftime('%Y-%m', day)", "strftime('%Y', day)"
        day_of_month = "CAST(strftime('%d', day) AS INTEGER)"
        quarter = "((CAST(strftime('%m', day) AS INTEGER) + 2) / 3)"
    dekad = f"':' || CASE WHEN {day_of_month} <= 10 THEN '1' WHEN {day_of_month} <= 20 THEN '2' ELSE '3' END"
    columns = [column for _, column in HISTOGRAM_DIMENSIONS if column is not None]
    days = "\n            UNION ALL\n            ".join(
        f"SELECT '{dimension}' AS dimension, {column or 0} AS group_id, day, bucket, sum(n) AS n FROM base"
        + (f" GROUP BY {column}, day, bucket" if column else " GROUP BY day, bucket")
        for dimension, column in HISTOGRAM_DIMENSIONS)
    return f"""
        WITH base AS (
            SELECT {", ".join(columns)}, day, {bucket} AS bucket, count(*) AS n FROM stat_fact
            WHERE measure = 'answered' AND seconds IS NOT NULL GROUP BY {", ".join(columns)}, day, {bucket}),
        days AS (
            {days}),
        spans AS (
            SELECT dimension, {day} AS span, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {month} || {dekad}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {month}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {year} || '-Q' || {quarter}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {year}, group_id, bucket, n FROM days)
        INSERT INTO stat_answer_hist (dimension, span, group_id, bucket, answers)
        SELECT dimension, span, group_id, bucket, sum(n) FROM spans GROUP BY dimension, span, group_id, bucket"""


def sum_histogram(session: Session) -> None:
    """Fill the empty ``stat_answer_hist`` from ``stat_fact`` (``histogram_sql``)."""
    session.execute(text(histogram_sql(on_postgresql())))


def sum_finer_rollups(session: Session) -> None:
    """Fill the empty ``stat_monthly_place`` and ``stat_daily_unit`` from ``stat_daily`` (one
    INSERT … SELECT each; migration 0021 runs the same SQL on an existing database)."""
    d = StatDaily
    month = _first_of_month(session, d.day)
    summed = [func.sum(d.__table__.c[c]) for c in SUMMED]
    place = StatMonthlyPlace.__table__
    daily_unit = StatDailyUnit.__table__
    assert isinstance(place, Table) and isinstance(daily_unit, Table)
    session.execute(insert(place).from_select(
        ["unit_id", "locality_id", "kind", "month", "commune_id", "village_id", *SUMMED],
        select(d.unit_id, d.locality_id, d.kind, month, func.min(d.commune_id), func.min(d.village_id), *summed)
        .group_by(d.unit_id, d.locality_id, d.kind, month),
    ))
    session.execute(insert(daily_unit).from_select(
        ["unit_id", "commune_id", "kind", "day", *SUMMED],
        select(d.unit_id, d.commune_id, d.kind, d.day, *summed).group_by(d.unit_id, d.commune_id, d.kind, d.day),
    ))


# Each whole-tree rollup and the finer one it is summed from (its key is a part of that one's;
# sums are additive: the same integers as summing the facts, ``answer_changes`` included).
TREE_SOURCES: tuple[tuple[Any, Any], ...] = (
    (StatMonthlyUnitKind, StatMonthlyUnit), (StatDailyUnitKind, StatDailyUnit),
    (StatMonthlyTopicKind, StatMonthly), (StatDailyTopicKind, StatDaily),
    (StatMonthlyCommuneKind, StatMonthlyUnit), (StatDailyCommuneKind, StatDailyUnit),
    (StatMonthlyLocalityKind, StatMonthlyPlace),
)


def sum_tree_rollups(session: Session) -> None:
    """Fill the empty whole-tree rollups from the finer ones (``TREE_SOURCES``: one INSERT …
    SELECT … GROUP BY each; migration 0036 runs the same SQL on an existing database)."""
    keys = {rollup.model: rollup for rollup in ROLLUPS}
    for model, source in TREE_SOURCES:
        target, table = keys[model], source.__table__
        session.execute(insert(model.__table__).from_select(
            [*target.key, *target.riding, *SUMMED],
            select(*(table.c[k] for k in target.key), *(func.min(table.c[k]) for k in target.riding),
                   *(func.sum(table.c[c]) for c in SUMMED)).group_by(*(table.c[k] for k in target.key))))


def _first_of_month(session: Session, day: Any) -> Any:
    if on_postgresql():
        return func.date_trunc("month", day).cast(StatDaily.day.type)
    return func.date(day, literal("start of month"))


def rebuild(session: Session, *, progress: Callable[[int], None] | None = None, batch: int = 2000) -> int:
    """Empty the statistics tables and recompute them from every item; commits once at the end.
    ``progress`` is told how many items each batch covered. Returns the number of facts."""
    try:
        if on_postgresql():
            # stat_median first, as ``medians.refresh_medians`` takes it: a refresh under way
            # ends (its old stamps are then deleted here) or waits for the new rollups.
            session.execute(text("LOCK TABLE stat_median, stat_fact IN ACCESS EXCLUSIVE MODE"))
        # The medians computed ahead go too: their stamps count the changes of the old rollups.
        for model in (StatMedian, StatAnswerHist, *(rollup.model for rollup in ROLLUPS), StatUnitName, StatFact):
            session.execute(delete(model))
        names: dict[tuple[int, date], Fact] = {}
        total = 0
        for facts, items in all_facts(session, batch=batch):
            if facts:
                session.execute(insert(StatFact), [fact_row(f) for f in facts])
            for fact in facts:
                key = (fact.unit_id, fact.day)
                if key not in names or fact.at >= names[key].at:
                    names[key] = fact
            total += len(facts)
            if progress is not None:
                progress(items)
        if names:
            session.execute(insert(StatUnitName), [
                {"unit_id": u, "day": d, "at": f.at, "code": f.unit_code, "name": f.unit_name}
                for (u, d), f in sorted(names.items())])
        sum_rollups(session)
        rebuild_overdue(session)
        session.commit()
        return total
    except BaseException:
        session.rollback()
        raise


def item_count() -> int:
    """How many items a rebuild reads (for its progress bar)."""
    return int(db.session.scalar(select(func.count()).select_from(Feedback)) or 0)


def rebuild_statistics(*, progress: Callable[[int], None] | None = None, batch: int = 2000) -> int:
    """``rebuild`` on the application's session (the command line's entry), then the medians
    computed ahead (``medians.refresh_medians``) as of now."""
    total = rebuild(db.session(), progress=progress, batch=batch)
    refresh_medians(db.session(), datetime.now(UTC))
    return total
