"""What every task shares: the time it acts at and its retry policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

# A lost database connection or a deadlock victim: every task claims by state or relies on
# unique constraints, so running it again is safe (STYLE.md "Tasks that can run twice").
# SMTP failures are not here: the mailer records them on the row and retries with its own backoff.
# Backoff with full jitter waits a random 0..2^n s (at most 300 s) before try n: 12 retries cover
# a database that is away for about 12 minutes on average (a restart, a failover), where 5 tried
# for only about 15 s and then dropped the task (tests/integration/faults/test_database_down_worker.py).
RETRY_ON_DATABASE_ERRORS: dict[str, Any] = dict(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,
    acks_late=True,
)


def task_now(now: str | None) -> datetime:
    """``now`` parsed from an aware ISO string (tests, catch-up runs), else the current UTC time.
    Raises ValueError for a naive string: services only take aware UTC times."""
    if now is None:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(now)
    if parsed.tzinfo is None:
        raise ValueError(f"naive time given: {now}")
    return parsed.astimezone(UTC)
