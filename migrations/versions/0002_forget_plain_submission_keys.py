"""forget the plain-text form keys stored before they became digests

Feedback.submission_key used to hold the form's key itself, which anyone who saw the form's
HTML could replay to obtain the resident's receipt. It now holds a digest of key, session and
content (feedback.domain.repeats). The old plain values can never match a digest; they are
dropped so that no plain key stays in the database. Data only: the column is unchanged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Before this revision every stored value is a plain key (digests arrive with the same code).
    op.execute("UPDATE feedback SET submission_key = NULL WHERE submission_key IS NOT NULL")


def downgrade():
    # Nothing to restore: the plain keys are gone on purpose, and a digest works as a key too.
    pass
