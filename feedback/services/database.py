"""The one place that asks which database the session talks to. PostgreSQL in production; SQLite
for a first look (Quick start), which has one writer and no row locks. Services that need a
PostgreSQL-only feature ask here instead of reading the dialect themselves."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Integer, Table, TextClause, any_, literal, text
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


def insert_rows(table: Table, rows: Sequence[dict[str, Any]], *, skip_conflicts_on: str | None = None,
                returning: str | None = None) -> list[Any]:
    """INSERT ``rows`` (dicts with the same keys, column names of ``table``) in one statement, in the
    session's transaction; with ``skip_conflicts_on`` (a unique column) a row whose value there
    exists already is skipped (ON CONFLICT DO NOTHING); returns the ``returning`` column of the rows
    written ([] without it).

    On PostgreSQL each column travels as one array and the rows are ``unnest``-ed server side: the
    statement text is the same whatever the number of rows (compiled and parsed once per process,
    where a multi-row VALUES list of N rows costs N times the placeholders to build, send and parse).
    On SQLite an executemany of one compiled INSERT.
    """
    if not rows:
        return []
    columns = list(rows[0])
    if not on_postgresql():
        stmt: Any = sqlite.insert(table)
        if skip_conflicts_on is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=[skip_conflicts_on])
        if returning is None:
            db.session.execute(stmt, list(rows))
            return []
        return list(db.session.scalars(stmt.returning(table.c[returning]), list(rows)))
    sql, processors = _unnest_insert(table, tuple(columns), skip_conflicts_on, returning)
    params = {f"c{i}": [process(row[name]) for row in rows] if process else [row[name] for row in rows]
              for i, (name, process) in enumerate(zip(columns, processors, strict=True))}
    result = db.session.execute(sql, params)
    return list(result.scalars()) if returning is not None else []


@lru_cache(maxsize=64)
def _unnest_insert(table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None,
                   returning: str | None) -> tuple[TextClause, list[Callable[[Any], Any] | None]]:
    """The PostgreSQL ``INSERT … SELECT … FROM unnest(arrays)`` of ``insert_rows`` and the bind
    processor of each column (JSON goes as text, serialised as SQLAlchemy's JSON type does)."""
    dialect = postgresql.dialect()
    casts: list[str] = []
    selects: list[str] = []
    processors: list[Callable[[Any], Any] | None] = []
    for i, name in enumerate(columns):
        column = table.c[name]
        if isinstance(column.type, JSON):
            casts.append(f"CAST(:c{i} AS text[])")
            selects.append(f"CAST(c{i} AS json)")
            processors.append(json.dumps)
        else:
            casts.append(f"CAST(:c{i} AS {column.type.compile(dialect=dialect)}[])")
            selects.append(f"c{i}")
            processors.append(column.type.bind_processor(dialect))
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(selects)} "
           f"FROM unnest({', '.join(casts)}) AS v({names})")
    if skip_conflicts_on is not None:
        sql += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {returning}"
    return text(sql), processors


def among(column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` as a condition whose statement text does not depend on how many values
    there are: ``= ANY(array)`` on PostgreSQL (the same text every time, so it is compiled once and,
    repeated, prepared by the server), an IN list on SQLite. ``column`` is an integer column."""
    if on_postgresql():
        return column == any_(literal(list(values), postgresql.ARRAY(Integer)))
    return column.in_(values)
