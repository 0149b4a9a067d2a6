"""ratings: one rating per answer cycle and the reopenings, attributed to the answering unit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _reason() -> sa.Enum:
    return sa.Enum('not_answered', 'not_resolved', 'late', 'attitude', name='reason_value', native_enum=False,
                   create_constraint=True, length=24)


def upgrade():
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', _reason(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_rating_score_range')),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_rating_answer_id_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_rating_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rating_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('feedback_id', 'cycle', name='uq_rating_cycle')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('ix_rating_unit_rated_at', ['unit_id', 'rated_at'], unique=False)

    op.create_table('reopening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('reopened_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', _reason(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_reopening_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rating_id'], ['rating.id'], name=op.f('fk_reopening_rating_id_rating'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reopening_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reopening')),
    sa.UniqueConstraint('feedback_id', 'cycle', name='uq_reopening_cycle')
    )
    with op.batch_alter_table('reopening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reopening_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('ix_reopening_unit_reopened_at', ['unit_id', 'reopened_at'], unique=False)


def downgrade():
    with op.batch_alter_table('reopening', schema=None) as batch_op:
        batch_op.drop_index('ix_reopening_unit_reopened_at')
        batch_op.drop_index(batch_op.f('ix_reopening_feedback_id'))
    op.drop_table('reopening')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_unit_rated_at')
        batch_op.drop_index(batch_op.f('ix_rating_feedback_id'))
    op.drop_table('rating')
