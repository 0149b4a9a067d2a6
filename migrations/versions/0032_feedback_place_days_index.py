"""feedback: the place's index also orders its items by reception, for a hot spot's items (issue #9 item 3)

A hot spot's page lists the items of its topic received in its weeks in its commune and the
commune's villages. With ``ix_feedback_locality_id`` (the place only) each place's whole history
was intersected with every item of those days in the province: 7 ms at 1,000,000 items, 62 ms at
10,000,000. On (locality_id, received_at) each place gives its items of those days directly; the
index still serves every read by place alone.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 07:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_feedback_locality_received_at', 'feedback', ['locality_id', 'received_at'], unique=False)
    op.drop_index('ix_feedback_locality_id', table_name='feedback')


def downgrade():
    op.create_index('ix_feedback_locality_id', 'feedback', ['locality_id'], unique=False)
    op.drop_index('ix_feedback_locality_received_at', table_name='feedback')
