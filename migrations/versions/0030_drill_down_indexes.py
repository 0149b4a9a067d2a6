"""stat_fact: the period index also orders each day's facts by item, for the drill-down's first item; overdue_item by due time, for the overdue list (issue #9 item 7)

A drill-down lists the items behind a figure by id, a page at a time, walking the items from
the first one with a fact of the figure's measure in the period (the recent ones come last).
That first item is the least of each day's first: ``ix_stat_fact_day`` on (measure, day,
feedback_id) gives it with one probe a day. On (measure, day) every fact of the period was read
for it (a month's 83,000 at 10,000,000 items). The wider index still serves every read by
measure and day.

The overdue list shows the longest overdue first, a bounded number of them: over the whole tree
(no condition on the kept rows) ``ix_overdue_item_due`` (due_at, deadline_id) gives them in
that order; without it every overdue item was read and sorted (55,119 at 10,000,000 items).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 04:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_stat_fact_day', table_name='stat_fact')
    op.create_index('ix_stat_fact_day', 'stat_fact', ['measure', 'day', 'feedback_id'], unique=False)
    op.create_index('ix_overdue_item_due', 'overdue_item', ['due_at', 'deadline_id'], unique=False)


def downgrade():
    op.drop_index('ix_overdue_item_due', table_name='overdue_item')
    op.drop_index('ix_stat_fact_day', table_name='stat_fact')
    op.create_index('ix_stat_fact_day', 'stat_fact', ['measure', 'day'], unique=False)
