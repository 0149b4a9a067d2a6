"""The whole tree's rollups, without the commune: stat_monthly_unit_kind and stat_daily_unit_kind
(unit, kind), stat_monthly_topic_kind and stat_daily_topic_kind (topic, kind),
stat_monthly_commune_kind and stat_daily_commune_kind (commune, kind), stat_monthly_locality_kind
(locality, kind; commune and village riding), kept by the same writer (issue #9 item 7)

A province that is the tree's only root has every row in its subtree: its questions no longer
filter by its communes, and read these instead of the rollups that keep a row per commune (and
per topic, per village, per unit) for every month or day. Each is filled from the finer rollup
above it (the same sums as ``rebuild.sum_tree_rollups``: sums are additive, so they are the
facts' own, ``answer_changes`` included: a group's stamp is the same whichever rollup answers).
Each primary key leads with the period and includes the columns riding along and the summed ones
(PostgreSQL): a range of months or days is read from it alone, by village too.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

KIND = ('comment', 'report', 'petition', 'complaint', 'denunciation')
COUNTS = ('received', 'answered', 'answered_on_time', 'transfers', 'reopened', 'ratings', 'satisfied')
SUMMED = (*COUNTS, 'answer_changes')
# (table, period, key, riding, the finer rollup it is summed from), in the writer's order.
TABLES = (
    ('stat_monthly_unit_kind', 'month', ('unit_id',), (), 'stat_monthly_unit'),
    ('stat_daily_unit_kind', 'day', ('unit_id',), (), 'stat_daily_unit'),
    ('stat_monthly_topic_kind', 'month', ('topic_id',), (), 'stat_monthly'),
    ('stat_daily_topic_kind', 'day', ('topic_id',), (), 'stat_daily'),
    ('stat_monthly_commune_kind', 'month', ('commune_id',), (), 'stat_monthly_unit'),
    ('stat_daily_commune_kind', 'day', ('commune_id',), (), 'stat_daily_unit'),
    ('stat_monthly_locality_kind', 'month', ('locality_id',), ('commune_id', 'village_id'), 'stat_monthly_place'),
)


def upgrade():
    summed = ', '.join(f'sum({c})' for c in SUMMED)
    columns = ', '.join(SUMMED)
    for table, period, key, riding, source in TABLES:
        op.create_table(
            table,
            *[sa.Column(c, sa.Integer(), nullable=False) for c in key],
            sa.Column('kind', sa.Enum(*KIND, name='kind_value', native_enum=False, create_constraint=True, length=24),
                      nullable=False),
            sa.Column(period, sa.Date(), nullable=False),
            *[sa.Column(c, sa.Integer(), nullable=c != 'commune_id') for c in riding],
            *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
            sa.Column('answer_changes', sa.Integer(), server_default='0', nullable=False),
            sa.PrimaryKeyConstraint(period, *key, 'kind', name=op.f(f'pk_{table}'),
                                    postgresql_include=[*riding, *SUMMED]),
        )
        grouped = ', '.join((*key, 'kind', period))
        chosen = ', '.join((grouped, *(f'min({c})' for c in riding)))
        op.execute(f"""
            INSERT INTO {table} ({grouped}{''.join(', ' + c for c in riding)}, {columns})
            SELECT {chosen}, {summed} FROM {source} GROUP BY {grouped}""")
    op.create_index('ix_smlk_commune_month', 'stat_monthly_locality_kind', ['commune_id', 'month'], unique=False,
                    postgresql_include=['locality_id', 'village_id', 'kind', *SUMMED])


def downgrade():
    op.drop_index('ix_smlk_commune_month', table_name='stat_monthly_locality_kind')
    for table, *_ in reversed(TABLES):
        op.drop_table(table)
