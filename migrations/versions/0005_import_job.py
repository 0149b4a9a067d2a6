"""import job: large routing-rules CSV imports run by the worker, with their progress

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'running', 'done', 'failed', name='importstatus_value', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('created_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], name=op.f('fk_import_job_actor_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_status'))

    op.drop_table('import_job')
