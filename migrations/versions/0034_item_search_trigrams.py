"""feedback: trigram indexes on the title and the code, for the administrator's search over the whole history (PostgreSQL)

The administrator's item list finds items by a fragment of the title (case ignored) or of the
code (dashes ignored): ``title ILIKE '%…%' OR replace(code, '-', '') LIKE '%…%'``. No btree index
serves a pattern that starts with ``%``: every item was read for each search, 5.8 s at 1,000,000
items. pg_trgm's GIN indexes serve both patterns from three characters on (a shorter fragment
looks among the newest items only: ``search_condition``). pg_trgm ships with PostgreSQL and is
a trusted extension: the database's owner may create it. SQLite (the embedded default) keeps
its scan: nothing here.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-01 07:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_feedback_title_trgm ON feedback USING gin (title gin_trgm_ops)")
    op.execute("CREATE INDEX ix_feedback_code_trgm ON feedback USING gin ((replace(code, '-', '')) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_feedback_code_trgm")
    op.execute("DROP INDEX IF EXISTS ix_feedback_title_trgm")
