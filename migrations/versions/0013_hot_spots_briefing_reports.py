"""hot spots and monthly briefing reports

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hot_spot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('last_seen_on', sa.Date(), nullable=False),
    sa.Column('recent_count', sa.Integer(), nullable=False),
    sa.Column('baseline_count', sa.Integer(), nullable=False),
    sa.Column('peak_count', sa.Integer(), nullable=False),
    sa.Column('detected_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_hot_spot_locality_id_locality')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_hot_spot_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_spot')),
    sa.UniqueConstraint('locality_id', 'topic_id', 'started_on', name='uq_hot_spot_pair_start')
    )
    with op.batch_alter_table('hot_spot', schema=None) as batch_op:
        batch_op.create_index('ix_hot_spot_last_seen_on', ['last_seen_on'], unique=False)

    op.create_table('briefing_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('committee_unit_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['committee_unit_id'], ['unit.id'], name=op.f('fk_briefing_report_committee_unit_id_unit')),
    sa.ForeignKeyConstraint(['territory_id'], ['locality.id'], name=op.f('fk_briefing_report_territory_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_report')),
    sa.UniqueConstraint('territory_id', 'month', name='uq_briefing_report_territory_month')
    )


def downgrade():
    op.drop_table('briefing_report')
    with op.batch_alter_table('hot_spot', schema=None) as batch_op:
        batch_op.drop_index('ix_hot_spot_last_seen_on')
    op.drop_table('hot_spot')
