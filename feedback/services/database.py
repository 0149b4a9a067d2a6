"""The one place that asks which database the session talks to. PostgreSQL in production; SQLite
for a first look (Quick start), which has one writer and no row locks. Services that need a
PostgreSQL-only feature ask here instead of reading the dialect themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from feedback.extensions import db

# Errors that say "the database cannot be reached now", not "this request is wrong": a refused or
# lost connection (OperationalError, also a deadlock victim or a server shutting down), a broken
# driver connection (InterfaceError), no free connection in the pool in time (PoolTimeout). A
# page answers them with 503 "try again"; a task retries them.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def dialect_insert(table: Any) -> Any:
    """An INSERT on ``table`` of the session's dialect, which offers ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (PostgreSQL's or SQLite's, the same API)."""
    return postgresql.insert(table) if on_postgresql() else sqlite.insert(table)
