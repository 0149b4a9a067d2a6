"""overdue_item: the items overdue by a breached clock, kept by triggers (issues #9 item 7, #11 d); the inbox's status index

One row per (item, unit of the clock) with a breached open clock: its earliest such clock and
the item's current facts. Triggers on ``deadline`` recompute a pair when one of its clocks is
breached, met, closed, moved or deleted; a trigger on ``feedback`` copies the item's facts
(received_at, holder, status, locality, topic, kind, origin) when they change. On PostgreSQL a
transaction-scoped advisory lock per item orders two writers of the same item, so the later
one recomputes from what the earlier committed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

COLUMNS = ("deadline_id, feedback_id, unit_id, clock, due_at, received_at, current_unit_id, status, "
           "locality_id, topic_id, kind, origin")
PICKED = ("d.id, d.feedback_id, d.unit_id, d.clock, d.due_at, f.received_at, f.current_unit_id, f.status, "
          "f.locality_id, f.topic_id, f.kind, f.origin")
BREACHED = "{t}.met_at IS NULL AND {t}.closed_at IS NULL AND {t}.breached_at IS NOT NULL"
ITEM_FACTS = ("received_at", "current_unit_id", "status", "locality_id", "topic_id", "kind", "origin")
CLOCK_FACTS = "feedback_id, unit_id, clock, due_at, met_at, closed_at, breached_at"
COPY = ", ".join(f"{c} = NEW.{c}" for c in ITEM_FACTS)
# Advisory lock namespace of these triggers (any constant; one lock per item id).
LOCK = 1868

# Every pair's earliest breached open clock (both databases have window functions).
FILL = f"""
INSERT INTO overdue_item ({COLUMNS})
SELECT {PICKED} FROM (
    SELECT id, feedback_id, unit_id, clock, due_at,
           row_number() OVER (PARTITION BY feedback_id, unit_id ORDER BY due_at, id) AS n
    FROM deadline d WHERE {BREACHED.format(t='d')}
) d JOIN feedback f ON f.id = d.feedback_id
WHERE d.n = 1
"""


def _refresh(row: str, same_unit: str) -> str:
    """The statements that recompute the pair of ``row`` (NEW, OLD, or the function's arguments)."""
    feedback_id, unit_id = (f"{row}.feedback_id", f"{row}.unit_id") if row in ("NEW", "OLD") else row.split(",")
    return f"""
    DELETE FROM overdue_item WHERE feedback_id = {feedback_id} AND unit_id {same_unit} {unit_id};
    INSERT INTO overdue_item ({COLUMNS})
    SELECT {PICKED} FROM deadline d JOIN feedback f ON f.id = d.feedback_id
    WHERE d.feedback_id = {feedback_id} AND d.unit_id {same_unit} {unit_id} AND {BREACHED.format(t='d')}
    ORDER BY d.due_at, d.id LIMIT 1;"""


def _postgresql() -> list[str]:
    either = f"(({BREACHED.format(t='OLD')}) OR ({BREACHED.format(t='NEW')}))"
    return [
        f"""CREATE FUNCTION overdue_item_refresh(f_id integer, u_id integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, f_id);
    {_refresh('f_id,u_id', 'IS NOT DISTINCT FROM')}
END $$""",
        """CREATE FUNCTION overdue_item_clock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM overdue_item_refresh(OLD.feedback_id, OLD.unit_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.feedback_id <> OLD.feedback_id
                                                  OR NEW.unit_id IS DISTINCT FROM OLD.unit_id)) THEN
        PERFORM overdue_item_refresh(NEW.feedback_id, NEW.unit_id);
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION overdue_item_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, NEW.id);
    UPDATE overdue_item SET {COPY} WHERE feedback_id = NEW.id;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER overdue_item_insert AFTER INSERT ON deadline FOR EACH ROW "
        f"WHEN ({BREACHED.format(t='NEW')}) EXECUTE FUNCTION overdue_item_clock()",
        f"CREATE TRIGGER overdue_item_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline FOR EACH ROW "
        f"WHEN {either} EXECUTE FUNCTION overdue_item_clock()",
        f"CREATE TRIGGER overdue_item_delete AFTER DELETE ON deadline FOR EACH ROW "
        f"WHEN ({BREACHED.format(t='OLD')}) EXECUTE FUNCTION overdue_item_clock()",
        f"CREATE TRIGGER overdue_item_facts AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in ITEM_FACTS)}) "
        f"EXECUTE FUNCTION overdue_item_facts()",
    ]


def _sqlite() -> list[str]:
    either = f"({BREACHED.format(t='OLD')}) OR ({BREACHED.format(t='NEW')})"
    return [
        f"CREATE TRIGGER overdue_item_insert AFTER INSERT ON deadline WHEN {BREACHED.format(t='NEW')} "
        f"BEGIN {_refresh('NEW', 'IS')} END",
        f"CREATE TRIGGER overdue_item_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline WHEN {either} "
        f"BEGIN {_refresh('OLD', 'IS')} {_refresh('NEW', 'IS')} END",
        f"CREATE TRIGGER overdue_item_delete AFTER DELETE ON deadline WHEN {BREACHED.format(t='OLD')} "
        f"BEGIN {_refresh('OLD', 'IS')} END",
        f"CREATE TRIGGER overdue_item_facts AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback "
        f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in ITEM_FACTS)} "
        f"BEGIN UPDATE overdue_item SET {COPY} WHERE feedback_id = NEW.id; END",
    ]


def upgrade():
    enum = sa.Enum
    op.create_table(
        'overdue_item',
        sa.Column('deadline_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('feedback_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('clock', sa.String(length=64), nullable=False),
        sa.Column('due_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('received_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('current_unit_id', sa.Integer(), nullable=True),
        sa.Column('status', enum('received', 'assigned', 'in_progress', 'answered', 'closed', 'rejected',
                                 name='status_value', native_enum=False, create_constraint=True, length=24),
                  nullable=False),
        sa.Column('locality_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('kind', enum('comment', 'report', 'petition', 'complaint', 'denunciation', name='kind_value',
                               native_enum=False, create_constraint=True, length=24), nullable=False),
        sa.Column('origin', enum('resident', 'supervision', name='origin_value', native_enum=False,
                                 create_constraint=True, length=24), nullable=False),
        sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], name=op.f('fk_overdue_item_deadline_id_deadline'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_overdue_item_feedback_id_feedback'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('deadline_id', name=op.f('pk_overdue_item')),
    )
    op.create_index('ix_overdue_item_pair', 'overdue_item', ['feedback_id', 'unit_id'], unique=False)
    op.create_index('ix_overdue_item_received', 'overdue_item', ['received_at', 'feedback_id'], unique=False)
    op.create_index('ix_overdue_item_holder', 'overdue_item', ['current_unit_id', 'received_at', 'feedback_id'],
                    unique=False)
    op.create_index('ix_overdue_item_unit', 'overdue_item', ['unit_id'], unique=False)
    op.execute(FILL)
    # The unit inbox's capped counts per status read this index only.
    op.create_index('ix_feedback_unit_status', 'feedback', ['current_unit_id', 'status'], unique=False)
    for statement in (_postgresql() if op.get_bind().dialect.name == 'postgresql' else _sqlite()):
        op.execute(statement)


def downgrade():
    for trigger, table in (('overdue_item_insert', 'deadline'), ('overdue_item_update', 'deadline'),
                           ('overdue_item_delete', 'deadline'), ('overdue_item_facts', 'feedback')):
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if op.get_bind().dialect.name == 'postgresql':
        for function in ('overdue_item_clock()', 'overdue_item_facts()', 'overdue_item_refresh(integer, integer)'):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index('ix_feedback_unit_status', table_name='feedback')
    op.drop_index('ix_overdue_item_unit', table_name='overdue_item')
    op.drop_index('ix_overdue_item_holder', table_name='overdue_item')
    op.drop_index('ix_overdue_item_received', table_name='overdue_item')
    op.drop_index('ix_overdue_item_pair', table_name='overdue_item')
    op.drop_table('overdue_item')
