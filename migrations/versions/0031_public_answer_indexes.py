"""answer: the published answers newest first, all and per unit, for the public answered items (issue #9 item 6)

/answers listed the newest published answers 20 a page with an exact count of every published
answer of the platform for its pager, and found a page by sorting them all: 3.4 s a page at
1,000,000 answers (8.6 s for page 5,000), 0.7 s for one unit's. The page now reads its rows and
one more along these partial indexes (published answers only; ``unit_code`` first for one
unit's), and counts only for a page asked past the end, at most ``MAX_PAGES`` pages.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published'")


def upgrade():
    op.create_index('ix_answer_published', 'answer', ['published_at', 'id'], unique=False,
                    postgresql_where=PUBLISHED, sqlite_where=PUBLISHED)
    op.create_index('ix_answer_unit_published', 'answer', ['unit_code', 'published_at', 'id'], unique=False,
                    postgresql_where=PUBLISHED, sqlite_where=PUBLISHED)


def downgrade():
    op.drop_index('ix_answer_unit_published', table_name='answer')
    op.drop_index('ix_answer_published', table_name='answer')
