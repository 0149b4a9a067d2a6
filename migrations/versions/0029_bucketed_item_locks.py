"""kept-state triggers lock one of 1,024 buckets of items (and of places), not each item: a bulk statement no longer runs out of PostgreSQL's lock table

The triggers that keep ``overdue_item`` (0019, 0024) and ``unit_item_count`` (0027) order two
writers of the same item by a transaction-scoped advisory lock keyed by the item's id (1868), and
of the same place by one keyed by the locality's id (1869). Such a lock is an entry of
PostgreSQL's shared lock table until the commit, and that table is small
(``max_locks_per_transaction`` × connections: 6,400 entries by default, for every session at once).
A statement touching tens of thousands of items took as many entries: ``flask stats rebuild``
refilling the overdue rows of a province's history, or the benchmark loading items, failed with
"out of shared memory" (62,817 advisory locks seen in one transaction of 200,000 items), and
could make any other session's statement fail at the same moment.

Each key is now the id modulo 1,024: two writers of one item (or place) still take the same
lock, so they are still ordered, and one transaction holds at most 1,024 entries per kind, however
many items it touches. Writers of different items in the same bucket now also wait for each other
until the first commits (one chance in 1,024 for two single-item actions); the statement-level
triggers take their buckets in ascending order.

The functions are rewritten from their definitions in the database, each replacement checked
(the migration stops if a function is not as 0019, 0024 and 0027 left it). SQLite has no such
locks (it runs one writer at a time): nothing to do there.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 01:00:00.000000

"""
import re

from alembic import op


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

BUCKETS = 1024

# (function, pattern of the per-id lock as 0019/0024/0027 wrote it, the bucketed lock). Patterns
# allow any whitespace; each must match exactly as many times as given.
_ROW_LOCKS = [
    ("overdue_item_refresh", r"pg_advisory_xact_lock\(1868, f_id\)",
     f"pg_advisory_xact_lock(1868, f_id % {BUCKETS})", 1),
    ("overdue_item_refresh", r"pg_advisory_xact_lock_shared\(1869, \(SELECT locality_id FROM feedback WHERE id = f_id\)\)",
     f"pg_advisory_xact_lock_shared(1869, (SELECT locality_id FROM feedback WHERE id = f_id) % {BUCKETS})", 1),
    ("overdue_item_facts", r"pg_advisory_xact_lock\(1868, NEW\.id\)", f"pg_advisory_xact_lock(1868, NEW.id % {BUCKETS})", 1),
    ("overdue_item_facts", r"pg_advisory_xact_lock_shared\(1869, NEW\.locality_id\)",
     f"pg_advisory_xact_lock_shared(1869, NEW.locality_id % {BUCKETS})", 1),
    ("overdue_item_places", r"pg_advisory_xact_lock\(1869, NEW\.id\)", f"pg_advisory_xact_lock(1869, NEW.id % {BUCKETS})", 1),
    ("unit_item_count_item", r"pg_advisory_xact_lock\(1868, NEW\.id\)", f"pg_advisory_xact_lock(1868, NEW.id % {BUCKETS})", 1),
    ("unit_item_count_item", r"pg_advisory_xact_lock\(1868, OLD\.id\)", f"pg_advisory_xact_lock(1868, OLD.id % {BUCKETS})", 1),
]
_STATEMENT_LOCKS = [
    (name, rf"pg_advisory_xact_lock\(1868, i\.feedback_id\) FROM \(SELECT DISTINCT feedback_id FROM {rows}\) i\s+"
           r"ORDER BY i\.feedback_id",
     f"pg_advisory_xact_lock(1868, i.bucket) FROM (SELECT DISTINCT feedback_id % {BUCKETS} AS bucket FROM {rows}) i "
     "ORDER BY i.bucket", 1)
    for name, rows in (("unit_item_count_late_insert", "new_rows"), ("unit_item_count_late_delete", "old_rows"))
]
LOCKS = _ROW_LOCKS + _STATEMENT_LOCKS


def _rewrite(changes: list[tuple[str, str, str, int]]) -> None:
    bind = op.get_bind()
    for name in dict.fromkeys(change[0] for change in changes):
        definition = bind.exec_driver_sql(f"SELECT pg_get_functiondef('{name}'::regproc)").scalar_one()
        for function, pattern, replacement, times in changes:
            if function != name:
                continue
            definition, found = re.subn(pattern, lambda _: replacement, definition)
            if found != times:
                raise RuntimeError(f"{name}: expected {times} of {pattern!r}, found {found}")
        # Through the driver's cursor without parameters: the definition holds '%' operators.
        with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(definition)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rewrite(LOCKS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rewrite([(name, re.escape(replacement), re.sub(r"\\(.)", r"\1", _plain(pattern)), times)
                  for name, pattern, replacement, times in LOCKS])


def _plain(pattern: str) -> str:
    """The per-id lock a pattern matches, as 0019/0024/0027 wrote it (single spaces)."""
    return pattern.replace(r"\s+", "\n        ")
