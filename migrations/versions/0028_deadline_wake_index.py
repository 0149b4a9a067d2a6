"""deadline: the scan's index holds only running clocks, in its read order; the redundant index on feedback_id goes (issue #11 c)

The deadline scan reads the running clocks (not met, closed, paused or breached) whose
``notify_at`` has come, in (notify_at, id) order. Its index held every clock with a
``notify_at``, so the planner also ANDed in ``ix_deadline_running_item`` for the running
conditions: an idle tick at 1,000,000 items read 55,860 entries of it (16–22 ms) to return no row.
``ix_deadline_wake`` is partial on exactly the scan's conditions and ordered as the scan reads,
so a tick is one ordered range of it, with no sort, and an idle tick reads a page or two.

``ix_deadline_feedback_id`` repeats the first column of ``uq_deadline_clock`` (feedback_id,
clock, sequence), which serves every read by item and the cascade from ``feedback``; each non-HOT
update of a clock (every move of its ``notify_at`` by the scan) wrote an entry into both.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

WAKE = ("notify_at IS NOT NULL AND met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL "
        "AND breached_at IS NULL")
OLD_WAKE = "notify_at IS NOT NULL"


def upgrade():
    op.create_index('ix_deadline_wake', 'deadline', ['notify_at', 'id'], unique=False,
                    postgresql_where=sa.text(WAKE), sqlite_where=sa.text(WAKE))
    op.drop_index('ix_deadline_notify_at', table_name='deadline',
                  postgresql_where=sa.text(OLD_WAKE), sqlite_where=sa.text(OLD_WAKE))
    op.drop_index('ix_deadline_feedback_id', table_name='deadline')


def downgrade():
    op.create_index('ix_deadline_feedback_id', 'deadline', ['feedback_id'], unique=False)
    op.create_index('ix_deadline_notify_at', 'deadline', ['notify_at'], unique=False,
                    postgresql_where=sa.text(OLD_WAKE), sqlite_where=sa.text(OLD_WAKE))
    op.drop_index('ix_deadline_wake', table_name='deadline',
                  postgresql_where=sa.text(WAKE), sqlite_where=sa.text(WAKE))
