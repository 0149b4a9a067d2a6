"""The unit inbox's covering indexes: a unit's open items with the columns its counts read, and
an item's running clocks by due time (issue #11)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OPEN = "status IN ('assigned', 'in_progress')"
RUNNING = "met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL"


def upgrade():
    op.create_index('ix_feedback_open_facets', 'feedback', ['current_unit_id', 'status'], unique=False,
                    postgresql_include=['origin', 'kind', 'topic_id', 'locality_id', 'assigned_officer_id',
                                        'received_at'],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index('ix_deadline_running_item', 'deadline', ['feedback_id', 'due_at'], unique=False,
                    postgresql_where=sa.text(RUNNING), sqlite_where=sa.text(RUNNING))


def downgrade():
    op.drop_index('ix_deadline_running_item', table_name='deadline',
                  postgresql_where=sa.text(RUNNING), sqlite_where=sa.text(RUNNING))
    op.drop_index('ix_feedback_open_facets', table_name='feedback',
                  postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
