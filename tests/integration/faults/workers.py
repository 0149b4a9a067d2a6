"""Helpers of the fault tests that drive real worker processes: stopping a task at a chosen
statement with a table lock held by the test, finding the worker's pool children, counting."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import sqlalchemy as sa

from feedback.extensions import db


@contextmanager
def table_locked(database_url: str, table: str) -> Iterator[sa.Connection]:
    """Hold ``LOCK TABLE table IN SHARE MODE`` until the block ends: other sessions may read the
    table but every INSERT, UPDATE or DELETE on it waits, in the middle of its transaction."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'LOCK TABLE "{table}" IN SHARE MODE'))
            try:
                yield conn
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def waiting_on_lock(locker: sa.Connection, statement_part: str) -> bool:
    """Whether another session of the database waits for a lock while running a statement that
    holds ``statement_part`` (e.g. ``INSERT INTO assignment``, which routing now sends inside a
    ``WITH``), spaces and case aside."""
    # pg_stat_activity is read once per transaction, and the locker's transaction stays open.
    locker.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
    rows = locker.execute(sa.text(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND wait_event_type = 'Lock'"
    )).scalars().all()
    wanted = " ".join(statement_part.upper().split())
    return any(wanted in " ".join(query.upper().split()) for query in rows)


def activity(locker: sa.Connection) -> str:
    """The other sessions of the database and what they wait for (for failure messages)."""
    locker.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
    rows = locker.execute(sa.text(
        "SELECT pid, datname, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid()"
    )).all()
    return "\n".join(" | ".join(str(v) for v in row) for row in rows)


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (the prefork pool of a Celery worker), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def broker_idle(client: redis.Redis) -> bool:
    """No message waiting and none delivered but unacknowledged (acks_late)."""
    return int(client.llen("celery")) == 0 and int(client.hlen("unacked")) == 0


def count(statement: sa.Select[tuple[int]]) -> int:
    value = db.session.scalar(statement)
    db.session.rollback()  # no transaction left open between polls
    return int(value or 0)
