"""feedback: a unit's items of one status in the inbox's order, for the answered, closed and rejected tabs (issue #11 item 1d)

The unit inbox lists a status tab nearest running clock first (next_due_at, received_at, id)
and counts its items due soon. The open statuses have their partial index in that order
(``ix_feedback_open_next_due``); the others had (current_unit_id, status) only, so the answered
tab of a unit read and sorted every answered item it ever held for 25 rows, and its two "due
soon" counts read them all again: 9,300 blocks each, 320 ms of SQL at 1,000,000 items for a
unit holding 11,000 answered items. The index now carries the order; its first two columns still
serve the per-status counts, index only.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 07:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_feedback_unit_status', table_name='feedback')
    op.create_index('ix_feedback_unit_status', 'feedback', ['current_unit_id', 'status', 'next_due_at', 'received_at',
                                                             'id'], unique=False)


def downgrade():
    op.drop_index('ix_feedback_unit_status', table_name='feedback')
    op.create_index('ix_feedback_unit_status', 'feedback', ['current_unit_id', 'status'], unique=False)
