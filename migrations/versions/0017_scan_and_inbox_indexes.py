"""deadline.notify_at and the open-items index: the deadline scan reads only what falls due, the unit inbox only open items (issue #11)

Revision ID: 0017
Revises: 0015
Create Date: 2026-11-30 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import feedback.models.types


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None

# feedback.models.feedback.FIRST_WAKE_BEFORE_DUE (a copy: a migration never changes with the code).
FIRST_WAKE_DAYS = 31


def upgrade():
    op.add_column('deadline', sa.Column('notify_at', feedback.models.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_deadline_notify_at', 'deadline', ['notify_at'], unique=False,
                    postgresql_where=sa.text('notify_at IS NOT NULL'), sqlite_where=sa.text('notify_at IS NOT NULL'))
    # Running clocks are first looked at FIRST_WAKE_DAYS before they fall due (the scan then
    # stores the exact instant of their next notice); stopped, paused and breached ones never.
    running = "closed_at IS NULL AND met_at IS NULL AND paused_at IS NULL AND breached_at IS NULL"
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"UPDATE deadline SET notify_at = due_at - interval '{FIRST_WAKE_DAYS} days' WHERE {running}")
    else:
        # SQLite keeps the UTC timestamp as text: read, shift and write it back in Python.
        bind = op.get_bind()
        table = sa.table('deadline', sa.column('id', sa.Integer),
                         sa.column('due_at', feedback.models.types.UTCDateTime(timezone=True)),
                         sa.column('notify_at', feedback.models.types.UTCDateTime(timezone=True)))
        from datetime import timedelta
        rows = bind.execute(sa.select(table.c.id, table.c.due_at).where(sa.text(running))).all()
        if rows:
            bind.execute(table.update().where(table.c.id == sa.bindparam('b_id'))
                         .values(notify_at=sa.bindparam('b_at')),
                         [{'b_id': id_, 'b_at': due - timedelta(days=FIRST_WAKE_DAYS)} for id_, due in rows])


    # The unit inbox reads the open items of a unit, not its history.
    op.create_index('ix_feedback_open_unit', 'feedback', ['current_unit_id', 'received_at'], unique=False,
                    postgresql_where=sa.text("status IN ('assigned', 'in_progress')"),
                    sqlite_where=sa.text("status IN ('assigned', 'in_progress')"))


def downgrade():
    op.drop_index('ix_feedback_open_unit', table_name='feedback',
                  postgresql_where=sa.text("status IN ('assigned', 'in_progress')"),
                  sqlite_where=sa.text("status IN ('assigned', 'in_progress')"))
    op.drop_index('ix_deadline_notify_at', table_name='deadline',
                  postgresql_where=sa.text('notify_at IS NOT NULL'), sqlite_where=sa.text('notify_at IS NOT NULL'))
    op.drop_column('deadline', 'notify_at')
