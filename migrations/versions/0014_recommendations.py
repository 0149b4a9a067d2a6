"""recommendations: supervision recommendations carried as items of origin "supervision"

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'origin', sa.Enum('resident', 'supervision', name='origin_value', native_enum=False,
                              create_constraint=True, length=24),
            server_default='resident', nullable=False))

    op.create_table('recommendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('front', 'bttnd', name='recommendationsource_value', native_enum=False,
                                create_constraint=True, length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('issuer_unit_id', sa.Integer(), nullable=True),
    sa.Column('about_feedback_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['about_feedback_id'], ['feedback.id'], name=op.f('fk_recommendation_about_feedback_id_feedback')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_recommendation_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['user_account.id'], name=op.f('fk_recommendation_issuer_id_user_account')),
    sa.ForeignKeyConstraint(['issuer_unit_id'], ['unit.id'], name=op.f('fk_recommendation_issuer_unit_id_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_recommendation_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation')),
    sa.UniqueConstraint('feedback_id', name=op.f('uq_recommendation_feedback_id'))
    )
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_about_feedback_id'), ['about_feedback_id'], unique=False)
        batch_op.create_index('ix_recommendation_unit_issued_at', ['unit_id', 'issued_at'], unique=False)


def downgrade():
    # The carrying items stay (their audit events are append-only): they become plain items of the
    # staff channel, with no secret link (their token hash matches no token).
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_unit_issued_at')
        batch_op.drop_index(batch_op.f('ix_recommendation_about_feedback_id'))
    op.drop_table('recommendation')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_feedback_origin_value'), type_='check')
        batch_op.drop_column('origin')
