"""stat_unit_name: an index on the code, for the drill-down by unit (issue #9 item 7)

A drill-down from a unit's figure names the unit by its code (``?by=unit&key=CODE``); the units
that ever acted under that code are read from ``stat_unit_name``, which had no index on it: every
row was read (226,000 rows for 62 units over ten years, about 40 ms a page at 1,000,000 items).

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 19:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_stat_unit_name_code', 'stat_unit_name', ['code'], unique=False)


def downgrade():
    op.drop_index('ix_stat_unit_name_code', table_name='stat_unit_name')
