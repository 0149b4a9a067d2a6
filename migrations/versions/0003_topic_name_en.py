"""topic English name

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:45:00

Topic names are data: the English page shows ``name_en`` and falls back to ``name``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_column('name_en')
