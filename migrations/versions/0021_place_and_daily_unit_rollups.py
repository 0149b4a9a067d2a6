"""Two more rollups, kept by the same writer: stat_monthly_place (unit, locality, kind, month) for
the village questions, stat_daily_unit (unit, commune, kind, day) for a custom range's partial
months, both filled from stat_daily; the period (and topic) indexes of stat_daily_unit,
stat_monthly and stat_monthly_unit cover their sums (issue #9 item 7)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

KIND = ('comment', 'report', 'petition', 'complaint', 'denunciation')
COUNTS = ('received', 'answered', 'answered_on_time', 'transfers', 'reopened', 'ratings', 'satisfied')
# answer_changes summed too: a group's stamp is then the same whichever rollup a question reads.
SUMMED = (*COUNTS, 'answer_changes')
COVERED = (('stat_monthly', 'ix_stat_monthly_month', ('month',), ('unit_id', 'commune_id', 'topic_id', 'kind')),
           ('stat_monthly', 'ix_stat_monthly_topic_month', ('topic_id', 'month'), ('unit_id', 'commune_id', 'kind')),
           ('stat_monthly_unit', 'ix_smu_month', ('month',), ('unit_id', 'commune_id', 'kind')))


def upgrade():
    def kind():
        return sa.Column('kind', sa.Enum(*KIND, name='kind_value', native_enum=False, create_constraint=True,
                                         length=24), nullable=False)

    op.create_table('stat_monthly_place',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    kind(),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
    sa.Column('answer_changes', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'locality_id', 'kind', 'month', name=op.f('pk_stat_monthly_place'))
    )
    op.create_table('stat_daily_unit',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    kind(),
    sa.Column('day', sa.Date(), nullable=False),
    *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
    sa.Column('answer_changes', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'commune_id', 'kind', 'day', name=op.f('pk_stat_daily_unit'))
    )
    # Filled set-based from stat_daily (the same sums as rebuild.sum_finer_rollups), then indexed.
    postgresql = op.get_bind().dialect.name == 'postgresql'
    month = "date_trunc('month', day)::date" if postgresql else "date(day, 'start of month')"
    summed = ', '.join(f'sum({c})' for c in SUMMED)
    columns = ', '.join(SUMMED)
    op.execute(f"""
        INSERT INTO stat_monthly_place (unit_id, locality_id, kind, month, commune_id, village_id, {columns})
        SELECT unit_id, locality_id, kind, {month}, min(commune_id), min(village_id), {summed}
        FROM stat_daily GROUP BY unit_id, locality_id, kind, {month}""")
    op.execute(f"""
        INSERT INTO stat_daily_unit (unit_id, commune_id, kind, day, {columns})
        SELECT unit_id, commune_id, kind, day, {summed}
        FROM stat_daily GROUP BY unit_id, commune_id, kind, day""")
    op.create_index('ix_smp_commune_month', 'stat_monthly_place', ['commune_id', 'month'], unique=False,
                    postgresql_include=['unit_id', 'locality_id', 'village_id', 'kind', *SUMMED])
    op.create_index('ix_smp_locality_month', 'stat_monthly_place', ['locality_id', 'month'], unique=False)
    op.create_index('ix_sdu_day', 'stat_daily_unit', ['day'], unique=False,
                    postgresql_include=['unit_id', 'commune_id', 'kind', *SUMMED])
    op.create_index('ix_sdu_unit_day', 'stat_daily_unit', ['unit_id', 'day'], unique=False)
    op.create_index('ix_sdu_commune_day', 'stat_daily_unit', ['commune_id', 'day'], unique=False)
    # The period (and topic) indexes of stat_monthly and stat_monthly_unit cover the wide reads
    # (index-only scans; the same index on SQLite, which has no INCLUDE).
    for table, name, columns, include in COVERED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, list(columns), unique=False, postgresql_include=[*include, *SUMMED])


def downgrade():
    for table, name, columns, _include in COVERED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, list(columns), unique=False)
    for name in ('ix_sdu_commune_day', 'ix_sdu_unit_day', 'ix_sdu_day'):
        op.drop_index(name, table_name='stat_daily_unit')
    op.drop_table('stat_daily_unit')
    for name in ('ix_smp_locality_month', 'ix_smp_commune_month'):
        op.drop_index(name, table_name='stat_monthly_place')
    op.drop_table('stat_monthly_place')
