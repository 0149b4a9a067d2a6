"""feedback.next_due_at: an item's nearest running clock, kept by triggers, and the inbox's index on it (issue #11 d)

The unit inbox lists a unit's open items nearest running clock first. Computed per item, that
order read every open item of the unit and its clocks (10,385 items for one unit at 10 M items)
to show 25. Kept on the item, with an index (holder, next_due_at, received_at, id) on the open
items, the first page is a top-N index read. The facets' covering index (0020) gets the item's id,
for the overdue count (PostgreSQL); the running clocks get an index by due time, for "due soon".

``next_due_at`` is the earliest ``due_at`` of the item's running clocks (not met, not closed,
not paused), NULL when none runs. Triggers on ``deadline`` recompute it when a clock starts,
stops, pauses, resumes, moves or is deleted, in the writer's transaction, on both databases;
the deadline scan (which writes ``breached_at`` and ``notify_at`` only) never fires them. The
writers lock the item before its clocks (``FOR UPDATE``), so the triggers' update of the item
row waits on nothing new.

Revision ID: 0023
Revises: 0021
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None

OPEN = "status IN ('assigned', 'in_progress')"
RUNNING = "{t}.met_at IS NULL AND {t}.closed_at IS NULL AND {t}.paused_at IS NULL"
# The columns whose change can move an item's nearest running clock.
CLOCK_FACTS = "feedback_id, due_at, met_at, closed_at, paused_at"


def _nearest(item: str) -> str:
    return f"(SELECT min(d.due_at) FROM deadline d WHERE d.feedback_id = {item} AND {RUNNING.format(t='d')})"


def _refresh(item: str) -> str:
    """The statement that stores the nearest running clock of ``item`` (an id expression)."""
    return (f"UPDATE feedback SET next_due_at = {_nearest(item)} "
            f"WHERE id = {item} AND next_due_at IS DISTINCT FROM {_nearest(item)};")


def _postgresql() -> list[str]:
    either = f"(({RUNNING.format(t='OLD')}) OR ({RUNNING.format(t='NEW')}))"
    return [
        f"""CREATE FUNCTION feedback_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_refresh('OLD.feedback_id')}
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.feedback_id <> OLD.feedback_id) THEN
        {_refresh('NEW.feedback_id')}
    END IF;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER next_due_insert AFTER INSERT ON deadline FOR EACH ROW "
        f"WHEN ({RUNNING.format(t='NEW')}) EXECUTE FUNCTION feedback_next_due()",
        f"CREATE TRIGGER next_due_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline FOR EACH ROW "
        f"WHEN {either} EXECUTE FUNCTION feedback_next_due()",
        f"CREATE TRIGGER next_due_delete AFTER DELETE ON deadline FOR EACH ROW "
        f"WHEN ({RUNNING.format(t='OLD')}) EXECUTE FUNCTION feedback_next_due()",
    ]


def _sqlite() -> list[str]:
    either = f"({RUNNING.format(t='OLD')}) OR ({RUNNING.format(t='NEW')})"
    # SQLite spells IS DISTINCT FROM as IS NOT.
    refresh = lambda item: _refresh(item).replace("IS DISTINCT FROM", "IS NOT")  # noqa: E731
    return [
        f"CREATE TRIGGER next_due_insert AFTER INSERT ON deadline WHEN {RUNNING.format(t='NEW')} "
        f"BEGIN {refresh('NEW.feedback_id')} END",
        f"CREATE TRIGGER next_due_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline WHEN {either} "
        f"BEGIN {refresh('OLD.feedback_id')} {refresh('NEW.feedback_id')} END",
        f"CREATE TRIGGER next_due_delete AFTER DELETE ON deadline WHEN {RUNNING.format(t='OLD')} "
        f"BEGIN {refresh('OLD.feedback_id')} END",
    ]


def upgrade():
    op.add_column('feedback', sa.Column('next_due_at', feedback.models.types.UTCDateTime(timezone=True),
                                        nullable=True))
    # The index before the fill: the fill's updates then maintain it. Built after, over the fill's
    # HOT-updated rows, PostgreSQL marks it unusable (indcheckxmin) to every transaction older
    # than the migration's, so a long one elsewhere kept the inbox off it.
    op.create_index('ix_feedback_open_next_due', 'feedback', ['current_unit_id', 'next_due_at', 'received_at', 'id'],
                    unique=False, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    # Every item with a running clock (both databases: one statement over the running clocks).
    op.execute(f"UPDATE feedback SET next_due_at = {_nearest('feedback.id')} WHERE id IN "
               f"(SELECT d.feedback_id FROM deadline d WHERE {RUNNING.format(t='d')})")
    for statement in (_postgresql() if op.get_bind().dialect.name == 'postgresql' else _sqlite()):
        op.execute(statement)
    # "Due soon" for the items whose nearest clock is past: the running clocks due in a range.
    op.create_index('ix_deadline_running_due', 'deadline', ['due_at', 'feedback_id'], unique=False,
                    postgresql_where=sa.text(RUNNING.replace('{t}.', '')),
                    sqlite_where=sa.text(RUNNING.replace('{t}.', '')))
    if op.get_bind().dialect.name == 'postgresql':
        # The overdue count reads the ids of the unit's open items from the facets' index too
        # (without them the planner joined a bitmap of every item of the status: 36,821 at 1 M).
        _facets_index(['origin', 'kind', 'topic_id', 'locality_id', 'assigned_officer_id', 'received_at', 'id'])


def _facets_index(include: list[str]) -> None:
    op.drop_index('ix_feedback_open_facets', table_name='feedback', postgresql_where=sa.text(OPEN))
    op.create_index('ix_feedback_open_facets', 'feedback', ['current_unit_id', 'status'], unique=False,
                    postgresql_include=include, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _facets_index(['origin', 'kind', 'topic_id', 'locality_id', 'assigned_officer_id', 'received_at'])
    for trigger in ('next_due_insert', 'next_due_update', 'next_due_delete'):
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON deadline")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS feedback_next_due()")
    op.drop_index('ix_deadline_running_due', table_name='deadline',
                  postgresql_where=sa.text(RUNNING.replace('{t}.', '')), sqlite_where=sa.text(RUNNING.replace('{t}.', '')))
    op.drop_index('ix_feedback_open_next_due', table_name='feedback',
                  postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.drop_column('feedback', 'next_due_at')
