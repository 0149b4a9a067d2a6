"""unit_item_count: the unit inbox's counts kept per unit, by triggers (issue #11 items 1d/2)

The unit inbox counted its facets (statuses, kinds, topics, places, officers, recommendations,
overdue) over the unit's open items on every page: 1,038 items for the benchmark's unit at 1 M
items, 10,385 at 10 M, and its overdue filter read each of the unit's overdue items. The counts
are now kept: one row per (holder, status, late, facet, value) with the number of items held by
that unit in that status whose facet has that value, ``late`` 1 when the item has a row in
``overdue_item`` (a breached open clock), 0 otherwise. Facets: ``all`` (value ''), ``kind``,
``topic``, ``locality``, ``officer`` ('' for none) and ``origin``. A page with no filter but the
status and "overdue" reads a few dozen of these rows, whatever the unit holds.

Triggers keep them in the writer's transaction, on both databases:

- on ``feedback``, when an item's holder, status, kind, topic, locality, officer or origin
  changes (or it is inserted with a holder): its old facts -1, its new facts +1, netted in one
  upsert (only the rows whose count moves), in key order (an item is never deleted: its audit
  events, append-only, refer to it);
- on ``overdue_item``, when an item gets its first row or loses its last: its facts move from
  ``late`` 0 to 1 or back (on PostgreSQL per statement, from its transition table: a refill
  inserts or deletes several rows of one item at once).

On PostgreSQL both take the per-item advisory lock of ``overdue_item``'s triggers (0019), so a
change of the item's facts and a change of its overdue rows are counted one after the other,
each seeing what the other committed. Writers of items held by the same unit wait for each
other on the counter rows until their commit (routing commits at once); each writes its rows in
one statement in key order.

On PostgreSQL the inbox's order index (0023) also carries the status, so that "due soon" (still
counted over the items: it moves with the time) reads that index only in a status tab too.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# Advisory lock namespace of overdue_item's triggers (migration 0019): one lock per item id.
LOCK = 1868
ITEM_FACTS = ("current_unit_id", "status", "kind", "topic_id", "locality_id", "assigned_officer_id", "origin")
FACETS = {
    "all": "''",
    "kind": "{t}.kind",
    "topic": "CAST({t}.topic_id AS VARCHAR)",
    "locality": "CAST({t}.locality_id AS VARCHAR)",
    "officer": "COALESCE(CAST({t}.assigned_officer_id AS VARCHAR), '')",
    "origin": "{t}.origin",
}
KEY = "unit_id, status, late, facet, value"
# One row per facet, to cross with an item's row (no VALUES column aliases in SQLite).
FACET_ROWS = "(" + " UNION ALL ".join(f"SELECT '{name}' AS facet" for name in FACETS) + ") k"


def _late(item: str) -> str:
    return f"CASE WHEN EXISTS (SELECT 1 FROM overdue_item o WHERE o.feedback_id = {item}) THEN 1 ELSE 0 END"


def _facts(t: str, late: str, sign: int, source: str = "", where: str = "") -> str:
    """The rows of ``t``'s facts (``NEW``, ``OLD`` or an alias of ``source``), each with ``sign``."""
    value = "CASE k.facet " + " ".join(f"WHEN '{name}' THEN {expression.format(t=t)}"
                                       for name, expression in FACETS.items()) + " END"
    return (f"SELECT {t}.current_unit_id AS unit_id, {t}.status AS status, {late} AS late, k.facet AS facet, "
            f"{value} AS value, {sign} AS n FROM {FACET_ROWS}{source} "
            f"WHERE {t}.current_unit_id IS NOT NULL{where}")


def _apply(*rows: str) -> str:
    """The upsert adding ``rows`` to the counts: netted per key, in key order, unchanged keys skipped."""
    return (f"INSERT INTO unit_item_count ({KEY}, n) SELECT {KEY}, sum(n) FROM ({' UNION ALL '.join(rows)}) c "
            f"WHERE true GROUP BY {KEY} HAVING sum(n) <> 0 ORDER BY {KEY} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = unit_item_count.n + excluded.n;")


def _move(items: str, to_late: int) -> str:
    """The statement moving the facts of the items whose id is in ``items`` (read from ``feedback``)
    to ``late`` = ``to_late``."""
    source, where = ", feedback f", f" AND f.id IN ({items})"
    return _apply(_facts("f", str(to_late), 1, source, where), _facts("f", str(1 - to_late), -1, source, where))


# The whole table from the items, one GROUP BY (the overdue items' ids read once, hashed).
FILL = (f"INSERT INTO unit_item_count ({KEY}, n) SELECT {KEY}, count(*) FROM ("
        + _facts("f", "CASE WHEN f.id IN (SELECT feedback_id FROM overdue_item) THEN 1 ELSE 0 END", 1, ", feedback f")
        + f") c GROUP BY {KEY}")

CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ITEM_FACTS)
# SQLite (row triggers, run as each row goes): the item's first overdue row, its last.
FIRST_ROW = "(SELECT count(*) FROM overdue_item o WHERE o.feedback_id = {t}.feedback_id) = 1"
NO_ROW = "NOT EXISTS (SELECT 1 FROM overdue_item o WHERE o.feedback_id = {t}.feedback_id)"
# PostgreSQL (statement triggers): the items whose rows are all new, the items left with none.
FIRST_ROWS = ("SELECT n.feedback_id FROM new_rows n GROUP BY n.feedback_id HAVING count(*) = "
              "(SELECT count(*) FROM overdue_item o WHERE o.feedback_id = n.feedback_id)")
LAST_ROWS = ("SELECT DISTINCT d.feedback_id FROM old_rows d WHERE NOT EXISTS "
             "(SELECT 1 FROM overdue_item o WHERE o.feedback_id = d.feedback_id)")


def _postgresql() -> list[str]:
    return [
        f"""CREATE FUNCTION unit_item_count_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock({LOCK}, NEW.id);
        {_apply(_facts('NEW', _late('NEW.id'), 1))}
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK}, OLD.id);
    {_apply(_facts('OLD', _late('OLD.id'), -1), _facts('NEW', _late('NEW.id'), 1))}
    RETURN NULL;
END $$""",
        # Per statement, from its transition table: a refill of ``overdue_item`` inserts or deletes
        # many rows in one statement, several of one item.
        f"""CREATE FUNCTION unit_item_count_late_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, i.feedback_id) FROM (SELECT DISTINCT feedback_id FROM new_rows) i
        ORDER BY i.feedback_id;
    {_move(FIRST_ROWS, 1)}
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION unit_item_count_late_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, i.feedback_id) FROM (SELECT DISTINCT feedback_id FROM old_rows) i
        ORDER BY i.feedback_id;
    {_move(LAST_ROWS, 0)}
    RETURN NULL;
END $$""",
        "CREATE TRIGGER unit_item_count_insert AFTER INSERT ON feedback FOR EACH ROW "
        "WHEN (NEW.current_unit_id IS NOT NULL) EXECUTE FUNCTION unit_item_count_item()",
        f"CREATE TRIGGER unit_item_count_update AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback FOR EACH ROW "
        f"WHEN ({CHANGED}) EXECUTE FUNCTION unit_item_count_item()",
        "CREATE TRIGGER unit_item_count_late_insert AFTER INSERT ON overdue_item REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION unit_item_count_late_insert()",
        "CREATE TRIGGER unit_item_count_late_delete AFTER DELETE ON overdue_item REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION unit_item_count_late_delete()",
    ]


def _sqlite() -> list[str]:
    changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER unit_item_count_insert AFTER INSERT ON feedback WHEN NEW.current_unit_id IS NOT NULL "
        f"BEGIN {_apply(_facts('NEW', _late('NEW.id'), 1))} END",
        f"CREATE TRIGGER unit_item_count_update AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback "
        f"WHEN {changed} BEGIN {_apply(_facts('OLD', _late('OLD.id'), -1), _facts('NEW', _late('NEW.id'), 1))} END",
        f"CREATE TRIGGER unit_item_count_late_insert AFTER INSERT ON overdue_item WHEN {FIRST_ROW.format(t='NEW')} "
        f"BEGIN {_move('NEW.feedback_id', 1)} END",
        f"CREATE TRIGGER unit_item_count_late_delete AFTER DELETE ON overdue_item WHEN {NO_ROW.format(t='OLD')} "
        f"BEGIN {_move('OLD.feedback_id', 0)} END",
    ]


OPEN = "status IN ('assigned', 'in_progress')"


def _next_due_index(include: list[str]) -> None:
    op.drop_index('ix_feedback_open_next_due', table_name='feedback', postgresql_where=sa.text(OPEN))
    op.create_index('ix_feedback_open_next_due', 'feedback', ['current_unit_id', 'next_due_at', 'received_at', 'id'],
                    unique=False, postgresql_include=include, postgresql_where=sa.text(OPEN))


def upgrade():
    op.create_table(
        'unit_item_count',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('late', sa.SmallInteger(), nullable=False),
        sa.Column('facet', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=32), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'status', 'late', 'facet', 'value', name=op.f('pk_unit_item_count')),
    )
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # Filled and triggered under one lock: no item changes between the count and the triggers.
        op.execute("LOCK TABLE feedback, overdue_item IN SHARE ROW EXCLUSIVE MODE")
    op.execute(FILL)
    for statement in (_postgresql() if postgresql else _sqlite()):
        op.execute(statement)
    if postgresql:
        _next_due_index(['status'])


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        _next_due_index([])
    for trigger, table in (('unit_item_count_insert', 'feedback'), ('unit_item_count_update', 'feedback'),
                           ('unit_item_count_late_insert', 'overdue_item'),
                           ('unit_item_count_late_delete', 'overdue_item')):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}" if postgresql else f"DROP TRIGGER IF EXISTS {trigger}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS unit_item_count_item()")
        op.execute("DROP FUNCTION IF EXISTS unit_item_count_late_insert()")
        op.execute("DROP FUNCTION IF EXISTS unit_item_count_late_delete()")
    op.drop_table('unit_item_count')
