"""open311: API keys (only their digest), the media link of an item, tokens found by their digest

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 08:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('rate_limit', sa.String(length=64), nullable=True),
    sa.Column('created_at', feedback.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('revoked_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_name'), ['name'], unique=False)
        batch_op.create_index('uq_api_key_active_name', ['name'], unique=True,
                              postgresql_where=sa.text('revoked_at IS NULL'),
                              sqlite_where=sa.text('revoked_at IS NULL'))

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_url', sa.String(length=2048), nullable=True))
        batch_op.create_index(batch_op.f('ix_feedback_token_hash'), ['token_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_token_hash'))
        batch_op.drop_column('media_url')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index('uq_api_key_active_name', postgresql_where=sa.text('revoked_at IS NULL'),
                            sqlite_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_api_key_name'))

    op.drop_table('api_key')
