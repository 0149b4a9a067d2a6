"""assignment end reason: a named reason plus the unit's own words

Until now ``assignment.end_reason`` held one text, "not_competent: <the unit's reason>". It
becomes the reason's name (``feedback.domain.assignments.EndReason``, a checked VARCHAR) and
the words move to the new ``end_reason_text``. Existing rows are converted both ways.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PREFIX = 'not_competent: '
# The CHECK that str_enum(EndReason, 32) declares on the model, under the metadata's naming convention.
CHECK_NAME = 'ck_assignment_endreason_value'
CHECK = "end_reason IN ('not_competent', 'handed_over')"


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_reason_text', sa.Text(), nullable=True))
    assignment = sa.table('assignment', sa.column('end_reason', sa.Text()), sa.column('end_reason_text', sa.Text()))
    # "not_competent: <words>" → ('not_competent', '<words>'); anything else was never written,
    # but would be kept as words without a named reason rather than refused by the CHECK.
    op.execute(
        assignment.update()
        .where(sa.func.substr(assignment.c.end_reason, 1, len(PREFIX)) == PREFIX)
        .values(end_reason_text=sa.func.substr(assignment.c.end_reason, len(PREFIX) + 1),
                end_reason='not_competent')
    )
    op.execute(
        assignment.update()
        .where(assignment.c.end_reason.is_not(None), assignment.c.end_reason != 'not_competent')
        .values(end_reason_text=assignment.c.end_reason, end_reason=None)
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.alter_column('end_reason', existing_type=sa.Text(), type_=sa.String(length=32),
                              existing_nullable=True, postgresql_using='end_reason::varchar(32)')
        batch_op.create_check_constraint(op.f(CHECK_NAME), CHECK)


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK_NAME), type_='check')
        batch_op.alter_column('end_reason', existing_type=sa.String(length=32), type_=sa.Text(), existing_nullable=True)
    assignment = sa.table('assignment', sa.column('end_reason', sa.Text()), sa.column('end_reason_text', sa.Text()))
    op.execute(
        assignment.update()
        .where(assignment.c.end_reason == 'not_competent')
        .values(end_reason=sa.literal(PREFIX) + sa.func.coalesce(assignment.c.end_reason_text, ''))
    )
    op.execute(
        assignment.update()
        .where(assignment.c.end_reason.is_(None), assignment.c.end_reason_text.is_not(None))
        .values(end_reason=assignment.c.end_reason_text)
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('end_reason_text')
