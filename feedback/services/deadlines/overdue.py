""""Overdue now" for stored clocks: the domain rule applied to a row, and its SQL twin for queries.

The rule itself is ``feedback.domain.deadlines.is_overdue``; ``overdue_clause`` says the same
thing as a WHERE clause over ``deadline`` so that lists can filter and count in the database.
The two are held to the same answers, on PostgreSQL, by tests/services/test_overdue.py: change
one, change the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from feedback.domain.deadlines import is_overdue
from feedback.models import Deadline


def deadline_is_overdue(deadline: Deadline, now: datetime) -> bool:
    """``is_overdue`` over a loaded Deadline row's stored facts. Read only."""
    return is_overdue(deadline.due_at, now, paused_at=deadline.paused_at, breached_at=deadline.breached_at,
                      met_at=deadline.met_at, closed_at=deadline.closed_at)


def overdue_clause(now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """True for the ``deadline`` rows that ``is_overdue`` calls overdue at ``now`` (aware UTC, or a bound
    parameter of it in a statement built once)."""
    return and_(
        Deadline.met_at.is_(None),
        Deadline.closed_at.is_(None),
        or_(
            Deadline.breached_at.is_not(None),
            and_(Deadline.due_at < now, or_(Deadline.paused_at.is_(None), Deadline.paused_at > Deadline.due_at)),
        ),
    )
