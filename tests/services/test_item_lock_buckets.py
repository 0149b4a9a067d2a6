"""The kept-state triggers' advisory locks are bounded per transaction (migration 0029).

The triggers keeping ``overdue_item`` and ``unit_item_count`` order two writers of one item by a
transaction-scoped advisory lock (key 1868) and of one place by another (key 1869). Keyed by
the id itself, a statement touching thousands of items took as many entries of PostgreSQL's
shared lock table (6,400 by default, for all sessions): ``flask stats rebuild`` on a large
history failed with "out of shared memory". Keyed by the id modulo 1,024, a transaction holds at
most 1,024 per kind, and the counts the triggers keep are still the recount's.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Feedback, OverdueItem
from feedback.services.deadlines.overdue_state import rebuild_overdue
from tests.conftest import Enqueued
from tests.services.test_inbox_next_due import _counts_kept, _counts_recounted
from tests.services.test_statistics_random import _setup, _submit

ITEMS = 3000
BUCKETS = 1024


def _advisory_locks_held() -> dict[int, int]:
    """This transaction's advisory locks of two int4 keys, counted by their first key."""
    return {int(key): int(n) for key, n in db.session.execute(sa.text(
        "SELECT classid, count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
        "AND pid = pg_backend_pid() GROUP BY classid"))}


def test_a_statement_on_thousands_of_items_holds_at_most_one_lock_per_bucket(
        db_session: Session, enqueued: Enqueued) -> None:
    p = _setup()
    _submit(p)
    model = db.session.get(Feedback, p.items[0])
    assert model is not None and model.current_unit_id is not None
    columns = [c.name for c in Feedback.__table__.columns if c.name not in ("id", "code", "submission_key")]
    copied = ", ".join(columns)
    # Thousands of items held by the unit in one statement (the unit's counts: a row trigger per
    # item), then a breached resolution clock for each (the overdue rows: a row trigger per clock
    # and the counts' statement trigger), then the overdue rows refilled as `flask stats rebuild`
    # does (the statement triggers on thousands of rows deleted and inserted).
    db.session.execute(sa.text(
        f"INSERT INTO feedback (code, {copied}) SELECT 'LOCK-' || g, {copied} "
        "FROM feedback, generate_series(1, :n) g WHERE feedback.id = :id"), {"n": ITEMS, "id": model.id})
    db.session.execute(sa.text(
        "INSERT INTO deadline (feedback_id, unit_id, clock, sequence, legal_basis, day_type, period_days, "
        "starts_at, due_at, extensions, created_at, breached_at) "
        "SELECT id, current_unit_id, 'resolution', 9, 'test', 'calendar', 15, received_at - interval '20 days', "
        "received_at - interval '5 days', 0, received_at, received_at - interval '5 days' + interval '1 minute' "
        "FROM feedback WHERE code LIKE 'LOCK-%'"))
    late = db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem))
    assert late is not None and late >= ITEMS
    assert rebuild_overdue(db.session()) >= ITEMS

    held = _advisory_locks_held()
    assert 0 < held[1868] <= BUCKETS, held
    assert held.get(1869, 0) <= BUCKETS, held
    # Still what they keep: every unit's counts equal a recount of the items.
    assert _counts_kept() == _counts_recounted()
