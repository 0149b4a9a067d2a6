"""Counting the SQL statements a piece of code sends, and its round trips to PostgreSQL: performance
tests assert counts, not timings."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import event

from feedback.extensions import db


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Yield a list that collects the text of every statement sent on ``db.engine`` meanwhile.

    SAVEPOINT and RELEASE are statements too and are counted; BEGIN and COMMIT are not (the DBAPI
    sends them itself).
    """
    statements: list[str] = []
    engine = db.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def recorded_round_trips(engine: Any | None = None) -> Iterator[list[str]]:
    """Yield a list that collects, for every round trip to PostgreSQL made meanwhile on connections
    that ``engine`` (default ``db.engine``) lends from its pool, what the client sent: ``Query
    "BEGIN"``, ``Query "COMMIT"``, ``Parse "SELECT …"`` (a statement with parameters), the pool's
    ping. Taken from libpq's own trace of the protocol: one entry per ``ReadyForQuery`` the
    server answered, so nothing the driver sends by itself escapes it (unlike ``recorded_statements``).

    Only connections checked out of the pool are traced (from before the pool checks them), so it
    sees nothing of a test session bound to one connection (``db_session``): use it with
    ``committed_db``.
    """
    engine = engine if engine is not None else db.engine
    trips: list[str] = []
    traced: dict[int, Any] = {}

    def start(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        trace = tempfile.TemporaryFile()
        traced[id(dbapi_connection)] = trace
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def stop(dbapi_connection: Any, _record: Any) -> None:
        trace = traced.pop(id(dbapi_connection), None)
        if trace is None:
            return
        if dbapi_connection is not None and not dbapi_connection.closed:
            dbapi_connection.pgconn.untrace()
        trips.extend(_round_trips(trace))

    # First among the checkout listeners: the application's own ping (services.database) is one.
    event.listen(engine, "checkout", start, insert=True)
    event.listen(engine, "checkin", stop)
    try:
        yield trips
    finally:
        event.remove(engine, "checkout", start)
        event.remove(engine, "checkin", stop)
        for trace in traced.values():
            trips.extend(_round_trips(trace))


def _round_trips(trace: Any) -> list[str]:
    """One entry per exchange in a libpq trace: the first message the client sent in it (a
    statement's text may span lines: a line that starts no message continues the last one)."""
    trace.seek(0)
    trips: list[str] = []
    first: list[str] = []
    in_first = False
    for line in trace.read().decode("utf-8", "replace").splitlines():
        fields = line.split("\t", 3)
        if len(fields) < 3 or fields[0] not in ("F", "B"):
            if in_first:
                first.append(line.strip())
            continue
        direction, message = fields[0], fields[2]
        in_first = False
        if direction == "F" and not first and message not in ("Sync", "Terminate"):
            first = [message, fields[3].strip() if len(fields) > 3 else ""]
            in_first = True
        elif direction == "B" and message == "ReadyForQuery":
            trips.append(" ".join(part for part in first if part) or "?")
            first = []
    trace.close()
    return trips
