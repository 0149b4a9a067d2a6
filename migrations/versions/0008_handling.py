"""handling: answers with their approval, requests for more information, internal notes,
extension requests; the item's officer, acceptance, duplicate link and answer facts; answer files

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:29:57.024124

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'published', name='draftstatus_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('return_comment', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.Column('created_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approver_id'], ['user_account.id'], name=op.f('fk_answer_approver_id_user_account')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_answer_author_id_user_account')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_answer_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_answer_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('feedback_id', 'cycle', name='uq_answer_cycle')
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_unit_id'), ['unit_id'], unique=False)

    op.create_table('extension_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('complexity', sa.String(length=24), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.Column('due_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_extension_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_extension_request_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_extension_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_request'))
    )
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_request_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('uq_extension_request_pending_per_feedback', ['feedback_id'], unique=True, postgresql_where=sa.text('decided_at IS NULL'), sqlite_where=sa.text('decided_at IS NULL'))

    op.create_table('info_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('answered_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_info_request_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_info_request_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_info_request'))
    )
    with op.batch_alter_table('info_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_info_request_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('uq_info_request_open_per_feedback', ['feedback_id'], unique=True, postgresql_where=sa.text('answered_at IS NULL'), sqlite_where=sa.text('answered_at IS NULL'))

    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_note_author_id_user_account')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_note_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_feedback_id'), ['feedback_id'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachment_answer_id'), ['answer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_answer_id_answer'), 'answer', ['answer_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_officer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_by_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_answered_by_unit_id_unit'), 'unit', ['answered_by_unit_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_feedback_assigned_officer_id_user_account'), 'user_account', ['assigned_officer_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_feedback_duplicate_of_id_feedback'), 'feedback', ['duplicate_of_id'], ['id'])



def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_duplicate_of_id_feedback'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_feedback_assigned_officer_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_feedback_answered_by_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('answered_by_unit_id')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('assigned_officer_id')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachment_answer_id_answer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_answer_id'))
        batch_op.drop_column('answer_id')

    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_feedback_id'))

    op.drop_table('note')
    with op.batch_alter_table('info_request', schema=None) as batch_op:
        batch_op.drop_index('uq_info_request_open_per_feedback', postgresql_where=sa.text('answered_at IS NULL'), sqlite_where=sa.text('answered_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_info_request_feedback_id'))

    op.drop_table('info_request')
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_index('uq_extension_request_pending_per_feedback', postgresql_where=sa.text('decided_at IS NULL'), sqlite_where=sa.text('decided_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_extension_request_feedback_id'))

    op.drop_table('extension_request')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_unit_id'))
        batch_op.drop_index(batch_op.f('ix_answer_feedback_id'))

    op.drop_table('answer')
