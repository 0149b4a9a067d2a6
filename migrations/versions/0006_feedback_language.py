"""feedback.language: the language the resident used, for their emails

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('feedback', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('feedback', 'language')
