"""Overdue now, read from kept state: ``overdue_item`` (breached open clocks, trigger-maintained,
see ``feedback.models.overdue``) united with the *window*: open clocks already past due at
``now`` but not yet breached by the scan (a few minutes' worth; read through
``ix_deadline_open_due``). Together they are exactly ``overdue_clause(now)``:

- a breached open clock is overdue whatever its pause (the rule's first branch): kept;
- an unbreached open clock is overdue when due before ``now`` and not paused before its due
  time (the second branch): the window.

So the lists and counts read the overdue items themselves, never the history of clocks.
``rebuild_overdue`` refills the kept rows from the clocks (``flask stats rebuild``);
``kept_rows_recounted`` is the oracle the tests hold the triggers to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, text, union_all
from sqlalchemy.orm import Session

from feedback.domain.paths import ids_of
from feedback.domain.calendar import local_date
from feedback.domain.status import Origin
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, OverdueItem, OverdueTally, UnitItemCount
from feedback.services.database import among, on_postgresql


def window_clause(now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """Open clocks not yet breached that ``overdue_clause(now)`` calls overdue (past due, not paused
    before due). Its first two conditions are the predicate of ``ix_deadline_open_due``."""
    return and_(Deadline.closed_at.is_(None), Deadline.breached_at.is_(None), Deadline.due_at < now,
                Deadline.met_at.is_(None), or_(Deadline.paused_at.is_(None), Deadline.paused_at > Deadline.due_at))


# The window is read through ``ix_deadline_open_due`` in due order, at most this many rows
# first: well under the planner's estimate (its statistics take most open clocks for past due),
# so it reads it as the few rows it is (an ordered index scan, no parallel workers). A longer
# window (the scan stopped for hours) is then read whole by a second statement: slower, exact.
WINDOW_FIRST_READ = 200


def window_rows(session: Session, query: Select[Any] | Any, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows of ``query`` (a select over ``Deadline`` restricted by ``window_clause``; ``params``:
    its bound parameters' values), all of them."""
    rows = list(session.execute(query.order_by(Deadline.due_at).limit(WINDOW_FIRST_READ), params))
    if len(rows) < WINDOW_FIRST_READ:
        return rows
    return list(session.execute(query, params))


def late_ids(now: datetime, *, holders: list[int] | None = None) -> Select[Any]:
    """The ids of the items overdue at ``now`` (any of their clocks; ids may repeat), or only of
    those held now by one of ``holders`` (kept rows; the window is left to the caller's filter on
    ``Feedback``)."""
    kept = select(OverdueItem.feedback_id.label("feedback_id"))
    if holders is not None:
        kept = kept.where(OverdueItem.current_unit_id.in_(holders))
    window = select(Deadline.feedback_id.label("feedback_id")).where(window_clause(now))
    return union_all(kept, window).subquery("late").select()


def late_condition(session: Session, now: datetime, *, holders: list[int] | None = None) -> ColumnElement[bool]:
    """``late_ids`` as a condition on ``Feedback.id``, with the window read first (one small
    statement through ``window_rows``) and passed as ids. Inside a larger statement the window's
    subquery is misjudged by the planner (its statistics take most open clocks for past due:
    529,654 rows expected where 63 were, at 10 M items), which then re-ran it once per candidate
    item (2 s for the inbox's counts); a list of ids it cannot misjudge."""
    kept = select(OverdueItem.feedback_id)
    if holders is not None:
        kept = kept.where(OverdueItem.current_unit_id.in_(holders))
    window = sorted({row.feedback_id for row in window_rows(
        session, select(Deadline.feedback_id).where(window_clause(now)))})
    return or_(Feedback.id.in_(kept), among(Feedback.id, window)) if window else Feedback.id.in_(kept)


def late_page(session: Session, now: datetime, *, offset: int, limit: int, status: Any = None,
              holder: int | None = None) -> tuple[list[int], int]:
    """The ids of the items overdue at ``now`` from ``offset`` to ``offset + limit``, newest first
    (received_at desc, id desc), optionally only of ``status`` and held by ``holder``; and how
    many there are (exactly: the caller caps it). Three statements (four when the window is not
    empty), each reading about as many rows as it returns: the window's items (few), which of them have kept
    rows, the kept count (``kept_late_count``), then the kept rows' distinct items through
    ``ix_overdue_item_received`` (or ``_holder``) backwards for the page; the window's are merged
    here (an item of the window that also has a kept row is counted once)."""
    o = OverdueItem
    kept_filters = [*([o.status == status] if status is not None else []),
                    *([o.current_unit_id == holder] if holder is not None else [])]
    window_query = (select(Feedback.id, Feedback.received_at)
                    .join(Deadline, Deadline.feedback_id == Feedback.id).where(window_clause(now)))
    if status is not None:
        window_query = window_query.where(Feedback.status == status)
    if holder is not None:
        window_query = window_query.where(Feedback.current_unit_id == holder)
    window = {(row.received_at, row.id) for row in window_rows(session, window_query)}
    # The window's items without a kept row (a kept row carries the same item facts: it passes
    # the same filters and is counted with the kept ones).
    kept_ids = set(session.scalars(select(o.feedback_id).where(
        o.feedback_id.in_(sorted(i for _, i in window))))) if window else set()
    extra = {(at, i) for at, i in window if i not in kept_ids}
    kept = (select(o.received_at, o.feedback_id).where(*kept_filters).distinct()
            .order_by(o.received_at.desc(), o.feedback_id.desc()))
    counted = kept_late_count(session, status=status, holder=holder) + len(extra)
    top = {(row.received_at, row.feedback_id) for row in session.execute(kept.limit(offset + limit))}
    merged = sorted(top | extra, reverse=True)[offset:offset + limit]
    return [feedback_id for _, feedback_id in merged], counted


def kept_late_count(session: Session, *, status: Any = None, holder: int | None = None) -> int:
    """How many items have a kept overdue row (optionally only of ``status``, held by ``holder``):
    the units' kept counts of such items (``unit_item_count``, ``late`` 1, facet ``all``: one row
    per unit and status, whatever the history), plus the items held by no unit, counted from
    their kept rows (``ix_overdue_item_holder``'s NULL range: none in the benchmark); one
    statement. Counting the distinct items of the kept rows read each of them, up to 10,001 (16 ms
    at 1 M items)."""
    c = UnitItemCount
    held: Any = select(func.coalesce(func.sum(c.n), 0)).where(
        c.late == 1, c.facet == "all", *([c.status == status] if status is not None else []),
        *([c.unit_id == holder] if holder is not None else [])).scalar_subquery()
    if holder is None:
        o = OverdueItem
        held = held + select(func.count(func.distinct(o.feedback_id))).where(
            o.current_unit_id.is_(None), *([o.status == status] if status is not None else [])).scalar_subquery()
    return int(session.scalar(select(held)) or 0)


def rebuild_overdue(session: Session) -> int:
    """Refill ``overdue_item`` from the clocks (the triggers' result, computed at once) and its
    tally from the rows (its trigger's result, compacted); returns the rows. Part of ``flask
    stats rebuild``; does not commit. On PostgreSQL the table is locked until the commit: a
    clock or item changing meanwhile waits, then updates the refilled rows."""
    if on_postgresql():
        session.execute(text("LOCK TABLE overdue_item IN EXCLUSIVE MODE"))
    session.execute(delete(OverdueItem))
    session.execute(delete(OverdueTally))  # after the rows' -1s: empty, as the table is
    session.execute(text(FILL))
    compact_overdue_tally(session)
    return int(session.scalar(select(func.count()).select_from(OverdueItem)) or 0)


# The tally's dimensions, as its columns.
TALLIED = {"unit": "unit_id", "commune": "commune_id", "village": "village_id", "topic": "topic_id", "kind": "kind",
           "month": "month"}
_NULLS = {"unit": "CAST(NULL AS INTEGER)", "commune": "CAST(NULL AS INTEGER)", "village": "CAST(NULL AS INTEGER)",
          "topic": "CAST(NULL AS INTEGER)", "kind": "CAST(NULL AS VARCHAR(24))", "month": "CAST(NULL AS VARCHAR(7))"}
_COLUMNS = ", ".join(TALLIED.values())
# One statement: the rows it deletes are the rows it sums, one row per group of each dimension.
# A row another transaction adds meanwhile is not seen, so neither deleted nor summed: it stays
# and still counts. Two compactions at once: the second skips the rows the first deleted.
_COMPACT = (f"WITH gone AS (DELETE FROM overdue_tally RETURNING {_COLUMNS}, n) "
            f"INSERT INTO overdue_tally ({_COLUMNS}, n) " + " UNION ALL ".join(
                "SELECT " + ", ".join(column if name == dimension else _NULLS[name] for name, column in TALLIED.items())
                + f", sum(n) FROM gone WHERE {key} IS NOT NULL GROUP BY {key} HAVING sum(n) <> 0"
                for dimension, key in TALLIED.items()))


def compact_overdue_tally(session: Session) -> int:
    """Replace the tally's rows by one per group of each dimension (their sum; none for a sum
    of 0), so that a read sums a few rows per group; returns the rows left. Does not commit.
    (SQLite has one writer at a time: a read, a delete and an insert in one transaction.)"""
    if on_postgresql():
        session.execute(text(_COMPACT))
    else:
        rows = [{**dict.fromkeys(TALLIED.values()), column: key, "n": n}
                for (_, column), sums in zip(TALLIED.items(), _tally_sums(session)) for key, n in sums.items()]
        session.execute(delete(OverdueTally))
        if rows:
            session.execute(insert(OverdueTally), rows)
    return int(session.scalar(select(func.count()).select_from(OverdueTally)) or 0)


def _tally_sums(session: Session) -> list[dict[Any, int]]:
    """Per dimension (in ``TALLIED``'s order): each group's sum, when not 0."""
    found = []
    for column in TALLIED.values():
        key = getattr(OverdueTally, column)
        found.append({k: int(n) for k, n in session.execute(
            select(key, func.sum(OverdueTally.n)).where(key.is_not(None)).group_by(key)) if n})
    return found


def tally_kept(session: Session) -> dict[tuple[str, str], int]:
    """The tally as kept: each (dimension, group key) with a sum that is not 0."""
    return {(dimension, str(key)): n for dimension, sums in zip(TALLIED, _tally_sums(session))
            for key, n in sums.items()}


def tally_recounted(session: Session) -> dict[tuple[str, str], int]:
    """What the tally must sum to, counted in Python from the kept rows (residents' items,
    clocks of a unit; the month of the due time in Việt Nam)."""
    counts: dict[tuple[str, str], int] = {}
    o = OverdueItem
    for row in session.execute(select(o.unit_id, o.commune_id, o.village_id, o.topic_id, o.kind, o.due_at)
                               .where(o.origin == Origin.RESIDENT, o.unit_id.is_not(None))):
        day = local_date(row.due_at)
        for dimension, key in zip(TALLIED, (row.unit_id, row.commune_id, row.village_id, row.topic_id,
                                            row.kind.value, f"{day.year:04d}-{day.month:02d}")):
            if key is not None:
                counts[(dimension, str(key))] = counts.get((dimension, str(key)), 0) + 1
    return counts


def kept_rows_recounted(session: Session) -> set[tuple[Any, ...]]:
    """What ``overdue_item`` must hold, recomputed in Python from every clock, item and locality:
    for each (item, unit) with a breached open clock, its earliest (due_at, id) and the item's
    facts, its commune and village from the locality's path (as ``statistics.facts.places``)."""
    earliest: dict[tuple[int, int | None], Deadline] = {}
    for clock in session.scalars(select(Deadline).where(Deadline.met_at.is_(None), Deadline.closed_at.is_(None),
                                                        Deadline.breached_at.is_not(None))):
        key = (clock.feedback_id, clock.unit_id)
        if key not in earliest or (clock.due_at, clock.id) < (earliest[key].due_at, earliest[key].id):
            earliest[key] = clock
    items = {f.id: f for f in session.scalars(select(Feedback).where(
        Feedback.id.in_(sorted({k[0] for k in earliest}))))} if earliest else {}
    where = _places_by_path(session)
    return {(c.id, c.feedback_id, c.unit_id, c.clock, c.due_at, items[c.feedback_id].received_at,
             items[c.feedback_id].current_unit_id, items[c.feedback_id].status, items[c.feedback_id].locality_id,
             items[c.feedback_id].topic_id, items[c.feedback_id].kind, items[c.feedback_id].origin,
             *where[items[c.feedback_id].locality_id])
            for c in earliest.values()}


def _places_by_path(session: Session) -> dict[int, tuple[int, int | None]]:
    """Each locality's (commune, village) from the levels along its path: the first commune and
    village of the chain, the locality itself when no commune is on it (the oracle's own
    derivation, apart from the triggers' level-and-parent one)."""
    rows = session.execute(select(Locality.id, Locality.path, Locality.level)).all()
    level_of = {row.id: row.level for row in rows}
    found: dict[int, tuple[int, int | None]] = {}
    for row in rows:
        chain = ids_of(row.path) or (row.id,)
        found[row.id] = (next((i for i in chain if level_of.get(i) is LocalityLevel.COMMUNE), row.id),
                         next((i for i in chain if level_of.get(i) is LocalityLevel.VILLAGE), None))
    return found


def kept_rows(session: Session) -> set[tuple[Any, ...]]:
    """``overdue_item`` as stored, in the shape of ``kept_rows_recounted``."""
    o = OverdueItem
    return {tuple(row) for row in session.execute(select(
        o.deadline_id, o.feedback_id, o.unit_id, o.clock, o.due_at, o.received_at, o.current_unit_id, o.status,
        o.locality_id, o.topic_id, o.kind, o.origin, o.commune_id, o.village_id))}


# The same statement as migrations 0019 and 0024 (copies there: a migration never changes with the code).
FILL = """
INSERT INTO overdue_item (deadline_id, feedback_id, unit_id, clock, due_at, received_at, current_unit_id, status,
                          locality_id, topic_id, kind, origin, commune_id, village_id)
SELECT d.id, d.feedback_id, d.unit_id, d.clock, d.due_at, f.received_at, f.current_unit_id, f.status,
       f.locality_id, f.topic_id, f.kind, f.origin,
       CASE WHEN l.level = 'village' AND l.parent_id IS NOT NULL THEN l.parent_id ELSE l.id END,
       CASE WHEN l.level = 'village' THEN l.id END
FROM (
    SELECT id, feedback_id, unit_id, clock, due_at,
           row_number() OVER (PARTITION BY feedback_id, unit_id ORDER BY due_at, id) AS n
    FROM deadline WHERE met_at IS NULL AND closed_at IS NULL AND breached_at IS NOT NULL
) d JOIN feedback f ON f.id = d.feedback_id JOIN locality l ON l.id = f.locality_id
WHERE d.n = 1
"""

__all__ = ["FILL", "TALLIED", "compact_overdue_tally", "kept_rows", "kept_rows_recounted", "late_condition", "late_ids",
           "kept_late_count", "late_page", "rebuild_overdue", "tally_kept", "tally_recounted", "window_clause", "window_rows"]
