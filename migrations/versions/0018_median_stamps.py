"""Exact medians fast: the rollups' answer_changes stamp, the medians computed ahead (stat_median) and the answered facts' covering indexes (issue #9 item 7)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

ROLLUPS = ('stat_daily', 'stat_monthly', 'stat_monthly_unit')
# feedback.models.statistics.ANSWER_COLUMNS (a copy: a migration never changes with the code).
ANSWER_COLUMNS = ('seconds', 'unit_id', 'commune_id', 'locality_id', 'village_id', 'topic_id', 'kind')
INDEXES = (('unit', ('unit_id', 'day')), ('commune', ('commune_id', 'day')), ('day', ('day',)))
ANSWERED = "measure = 'answered'"


def upgrade():
    for table in ROLLUPS:
        # 0 everywhere (instant on PostgreSQL, no rewrite of the rollups): a stamp only has to grow
        # with every change from now on; nothing is computed ahead yet.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('answer_changes', sa.Integer(), server_default='0', nullable=False))
    op.create_table('stat_median',
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('grouping', sa.String(length=16), nullable=False),
    sa.Column('group_key', sa.String(length=64), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('computed_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope_key', 'start', 'end', 'grouping', 'group_key', name=op.f('pk_stat_median'))
    )
    for name, columns in INDEXES:
        op.create_index(f'ix_stat_fact_answered_{name}', 'stat_fact', list(columns), unique=False,
                        postgresql_include=[c for c in ANSWER_COLUMNS if c not in columns],
                        postgresql_where=sa.text(ANSWERED), sqlite_where=sa.text(ANSWERED))


def downgrade():
    for name, _columns in INDEXES:
        op.drop_index(f'ix_stat_fact_answered_{name}', table_name='stat_fact',
                      postgresql_where=sa.text(ANSWERED), sqlite_where=sa.text(ANSWERED))
    op.drop_table('stat_median')
    for table in ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('answer_changes')
