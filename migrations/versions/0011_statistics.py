"""statistics: the facts as they happened and their daily and monthly rollups (with and
without topics), and the units'
names as they were (issue #9 item 1). Empty after the upgrade: `flask stats rebuild` fills them
from the existing items; from then on every fact is added in its own transaction.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 08:44:48.716560

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_daily',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'report', 'petition', 'complaint', 'denunciation', name='kind_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('answered_on_time', sa.Integer(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'locality_id', 'topic_id', 'kind', 'day', name=op.f('pk_stat_daily'))
    )
    with op.batch_alter_table('stat_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stat_daily_commune_day', ['commune_id', 'day'], unique=False)
        batch_op.create_index('ix_stat_daily_day', ['day'], unique=False)
        batch_op.create_index('ix_stat_daily_topic_day', ['topic_id', 'day'], unique=False)
        batch_op.create_index('ix_stat_daily_unit_day', ['unit_id', 'day'], unique=False)
        batch_op.create_index('ix_stat_daily_village_day', ['village_id', 'day'], unique=False)

    op.create_table('stat_monthly',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'report', 'petition', 'complaint', 'denunciation', name='kind_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('answered_on_time', sa.Integer(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'commune_id', 'topic_id', 'kind', 'month', name=op.f('pk_stat_monthly'))
    )
    with op.batch_alter_table('stat_monthly', schema=None) as batch_op:
        batch_op.create_index('ix_stat_monthly_commune_month', ['commune_id', 'month'], unique=False)
        batch_op.create_index('ix_stat_monthly_month', ['month'], unique=False)
        batch_op.create_index('ix_stat_monthly_topic_month', ['topic_id', 'month'], unique=False)
        batch_op.create_index('ix_stat_monthly_unit_month', ['unit_id', 'month'], unique=False)

    op.create_table('stat_monthly_unit',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'report', 'petition', 'complaint', 'denunciation', name='kind_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('answered_on_time', sa.Integer(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'commune_id', 'kind', 'month', name=op.f('pk_stat_monthly_unit'))
    )
    with op.batch_alter_table('stat_monthly_unit', schema=None) as batch_op:
        batch_op.create_index('ix_smu_commune_month', ['commune_id', 'month'], unique=False)
        batch_op.create_index('ix_smu_month', ['month'], unique=False)
        batch_op.create_index('ix_smu_unit_month', ['unit_id', 'month'], unique=False)

    op.create_table('stat_unit_name',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'day', name=op.f('pk_stat_unit_name'))
    )
    op.create_table('stat_fact',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'report', 'petition', 'complaint', 'denunciation', name='kind_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('satisfied', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_stat_fact_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_fact')),
    sa.UniqueConstraint('measure', 'feedback_id', 'ref', name='uq_stat_fact')
    )
    with op.batch_alter_table('stat_fact', schema=None) as batch_op:
        batch_op.create_index('ix_stat_fact_commune_day', ['measure', 'commune_id', 'day'], unique=False)
        batch_op.create_index('ix_stat_fact_day', ['measure', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_fact_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('ix_stat_fact_unit_day', ['measure', 'unit_id', 'day'], unique=False)



def downgrade():
    with op.batch_alter_table('stat_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_fact_unit_day')
        batch_op.drop_index(batch_op.f('ix_stat_fact_feedback_id'))
        batch_op.drop_index('ix_stat_fact_day')
        batch_op.drop_index('ix_stat_fact_commune_day')

    op.drop_table('stat_fact')
    op.drop_table('stat_unit_name')
    with op.batch_alter_table('stat_monthly_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_smu_unit_month')
        batch_op.drop_index('ix_smu_month')
        batch_op.drop_index('ix_smu_commune_month')

    op.drop_table('stat_monthly_unit')
    with op.batch_alter_table('stat_monthly', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_monthly_unit_month')
        batch_op.drop_index('ix_stat_monthly_topic_month')
        batch_op.drop_index('ix_stat_monthly_month')
        batch_op.drop_index('ix_stat_monthly_commune_month')

    op.drop_table('stat_monthly')
    with op.batch_alter_table('stat_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_daily_village_day')
        batch_op.drop_index('ix_stat_daily_unit_day')
        batch_op.drop_index('ix_stat_daily_topic_day')
        batch_op.drop_index('ix_stat_daily_day')
        batch_op.drop_index('ix_stat_daily_commune_day')

    op.drop_table('stat_daily')
