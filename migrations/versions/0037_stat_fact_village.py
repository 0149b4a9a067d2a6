"""stat_fact: one village's facts of a measure by day, for the drill-down by village (issue #9 item 7)

The items behind a village's figure (``/monitor/items?…&by=village&key=…``) are found from the
village's facts of the figure's measure in the period. No index kept the village: the facts were
read through ``ix_stat_fact_day`` (measure, day) and filtered by village, every fact of the
period for a few: at 1,000,000 items 95,922 index entries and 1,317 heap blocks (31 ms) for one
village's 68 received facts of a year; at 10,000,000 items 959,290 entries and 17,538 blocks
(242 ms). On (measure, village_id, day) that read is one range of the village's own facts, as
``ix_stat_fact_unit_day`` and ``ix_stat_fact_commune_day`` serve a unit's and a commune's.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-02 15:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_stat_fact_village_day', 'stat_fact', ['measure', 'village_id', 'day'], unique=False)


def downgrade():
    op.drop_index('ix_stat_fact_village_day', table_name='stat_fact')
