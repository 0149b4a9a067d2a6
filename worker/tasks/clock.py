"""The time a task acts at: the current UTC time, or an explicit ISO instant (tests, catch-up runs)."""

from __future__ import annotations

from datetime import UTC, datetime


def task_now(now: str | None) -> datetime:
    """``now`` parsed from an aware ISO string, else the current UTC time. Raises ValueError
    for a naive string: services only take aware UTC times."""
    if now is None:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(now)
    if parsed.tzinfo is None:
        raise ValueError(f"naive time given: {now}")
    return parsed.astimezone(UTC)
