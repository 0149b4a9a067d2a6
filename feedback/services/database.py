"""The one place that asks which database the session talks to. PostgreSQL in production; SQLite
for a first look (Quick start), which has one writer and no row locks. Services that need a
PostgreSQL-only feature ask here instead of reading the dialect themselves."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, wraps
from typing import Any, NamedTuple, cast

import psycopg
from psycopg import _queries as psycopg_queries
from sqlalchemy import (
    JSON,
    Engine,
    Executable,
    Integer,
    Table,
    TextClause,
    any_,
    bindparam,
    event,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.sqltypes import NullType

from feedback.extensions import db

# Errors that say "the database cannot be reached now", not "this request is wrong": a refused or
# lost connection (OperationalError, also a deadlock victim or a server shutting down), a broken
# driver connection (InterfaceError), no free connection in the pool in time (PoolTimeout). A
# page answers them with 503 "try again"; a task retries them.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)


# Where a pooled connection notes when it was last given back (its pool record's ``info``).
_IDLE_SINCE = "feedback.idle_since"


def ping_after_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection of ``engine`` before lending it only when it has lain unused for
    more than ``seconds``: a dead one (the server restarted, the connection was cut while idle) is
    then replaced before the request uses it, with every older connection of the pool.

    This replaces SQLAlchemy's ``pool_pre_ping``, which checks at every checkout: one round trip
    of each request (one in seven of a form POST's, issue #11). A connection given back moments
    ago by a request that committed on it is alive but for a failure of the last ``seconds``;
    such a failure surfaces at the request's first statement as a disconnect: that request is
    answered 503 "try again" (``DATABASE_UNAVAILABLE``), SQLAlchemy invalidates the pool, and
    the next request connects afresh. A server that cannot be reached at all answers every
    request 503, as before. Call it once per engine.
    """
    dialect = engine.dialect

    def note_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since <= seconds:
            return  # a new connection, or one in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool replaces this connection and every older one, and tries again.
                raise InvalidatePoolError(str(error)) from error
            raise

    event.listen(engine, "checkin", note_idle)
    event.listen(engine, "checkout", ping_if_idle)


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def commit_each_statement() -> bool:
    """Until the session's transaction ends (its commit or rollback), let each statement of the
    session commit by itself (PostgreSQL autocommit): no BEGIN and no COMMIT, two round trips.

    Only for a use case whose writes are one statement and that takes no lock it needs later,
    such as a submission (reads, then the item, its attachments and its event in one INSERT):
    a single statement is all or nothing without a transaction, and under READ COMMITTED each
    statement reads its own snapshot inside one anyway. Returns whether it applies: not on
    SQLite, nor when the session has begun already or is bound to a connection (a test's outer
    transaction); its statements then run in one transaction as before. The connection is given
    back to the pool in its usual mode when the session's transaction ends.
    """
    session = db.session()
    if session.in_transaction() or not isinstance(session.get_bind(), Engine) or not on_postgresql():
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def dialect_insert(table: Any) -> Any:
    """An INSERT on ``table`` of the session's dialect, which offers ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (PostgreSQL's or SQLite's, the same API)."""
    return postgresql.insert(table) if on_postgresql() else sqlite.insert(table)


# Statements of ``rows_insert`` of at most this many rows are kept per shape; larger ones (a
# refresh of many items at once, rare) are built for their call, as a multi-row VALUES that
# SQLAlchemy does not cache either: one statement of thousands of parameters per row count ever
# seen would otherwise stay in memory. At least one answer's histogram rows (its five spans in
# each of ``rollups.HISTOGRAM_DIMENSIONS``: 20): with 16, one answer's chained upsert was built
# and compiled at every call (84 ms against 25 ms with the 15 rows of three dimensions, at load 10).
SHAPE_ROWS = 20


class BoundWrite(NamedTuple):
    """A write whose values are named bind parameters (``rows_insert``), with the values of this
    execution; ``kept``: the statement is kept per shape (``per_shape``), not built for this call."""

    statement: Executable
    params: dict[str, Any]
    kept: bool = True


def per_shape(build: Callable[..., Any]) -> Callable[..., Any]:
    """``build(count, *rest)`` (a statement for ``count`` rows) kept per arguments when ``count``
    is at most SHAPE_ROWS, else called for each use."""
    kept = lru_cache(maxsize=256)(build)

    @wraps(build)
    def shaped(count: int, *rest: Any) -> Any:
        return kept(count, *rest) if count <= SHAPE_ROWS else build(count, *rest)

    return shaped


def rows_insert(table: Any, columns: tuple[str, ...], count: int, prefix: str) -> Any:
    """An INSERT of ``count`` rows of ``columns`` into ``table``, in the session's dialect (with
    ``on_conflict_do_nothing``/``_do_update`` to add), whose values are bind parameters named
    ``<prefix>_<row>_<column>`` (``rows_params``): up to SHAPE_ROWS rows, built once per shape and
    process and cached compiled by SQLAlchemy, where an INSERT of literal rows (``.values([...])``,
    even of one row) is constructed at every call and compiled at every execution (SQLAlchemy does
    not cache a multi-row VALUES). Several rows go as ``INSERT … SELECT … UNION ALL SELECT …`` on
    PostgreSQL (in that order), as a multi-row VALUES on SQLite and beyond SHAPE_ROWS. Callers keep
    what they add to it with ``per_shape``."""
    return _rows_insert(count, table, columns, prefix, on_postgresql())


@per_shape
def _rows_insert(count: int, table: Table, columns: tuple[str, ...], prefix: str, postgres: bool) -> Any:
    if count < 1:
        raise ValueError("rows_insert needs at least one row")
    stmt: Any = postgresql.insert(table) if postgres else sqlite.insert(table)

    def value(row: int, name: str) -> Any:
        return bindparam(f"{prefix}_{row}_{name}", type_=table.c[name].type)

    if count == 1:
        return stmt.values({name: value(0, name) for name in columns})
    if postgres and count <= SHAPE_ROWS:
        rows = union_all(*(select(*(value(row, name).label(name) for name in columns)) for row in range(count)))
        return stmt.from_select(list(columns), rows)
    return stmt.values([{name: value(row, name) for name in columns} for row in range(count)])


def rows_params(prefix: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The bind parameters of ``rows_insert(…, prefix)`` for ``rows`` (each with ``columns``)."""
    return {f"{prefix}_{i}_{name}": row[name] for i, row in enumerate(rows) for name in columns}


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


# psycopg turns a statement's ``%(name)s`` placeholders into PostgreSQL's ``$n`` with a regular
# expression, and remembers the result only for statements shorter than 4,096 bytes with at most
# 50 parameters (``psycopg._queries``: a cache of varying multi-row INSERTs had grown past 100 MB).
# Routing's last statement (its events, notices, fact and a dozen rollups: about 200 parameters)
# was parsed at every execution: 10 % of routing's CPU (issue #11). The statements of
# ``execute_kept`` are a bounded set, kept per shape: their conversion is remembered here, by their
# text, when they are compiled (``driver_statement``), and the cursors of the application's
# PostgreSQL connections (``KeptCursor``, named in the engine's ``connect_args``) look there first.
_CONVERSIONS: dict[str, tuple[str, Any]] = {}


class _KeptQuery(psycopg_queries.PostgresQuery):
    """psycopg's conversion of a query, taken from ``_CONVERSIONS`` for a kept statement."""

    def convert(self, query: Any, vars: Any) -> None:
        kept = _CONVERSIONS.get(query) if vars is not None and isinstance(query, str) else None
        if kept is None or kept[0] != self._tx.encoding:
            super().convert(query, vars)
            return
        self.query, self._want_formats, self._order, self._parts = kept[1]
        self.dump(vars)


class KeptCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, which converts the statements of ``execute_kept`` once per process."""

    __slots__ = ()
    _query_cls = _KeptQuery


def _remember_conversion(sql: str, encoding: str) -> None:
    if len(_CONVERSIONS) >= 512:  # more shapes than ``driver_statement`` keeps: start again
        _CONVERSIONS.clear()
    _CONVERSIONS[sql] = (encoding, psycopg_queries._query2pg_nocache(sql.encode(encoding), encoding))


def int_array_param(name: str) -> Any:
    """A PostgreSQL ``INTEGER[]`` parameter named ``name`` whose value is the array's text
    (``int_array``). psycopg dumps a list parameter element by element in Python, a regular
    expression each: 3 ms of CPU for a province's 1,452 villages, where the text is one join.

    The parameter has no type of its own (psycopg sends a ``str`` as of unknown type), so that
    PostgreSQL takes it as an ``INTEGER[]`` and reads the text once: cast from ``VARCHAR``, the
    array was parsed again for every row the condition was tested on (``id = ANY(…)`` over
    the 1,507 localities: 200 ms at each view)."""
    return sql_cast(bindparam(name, type_=NullType()), postgresql.ARRAY(Integer))


def int_array(values: Iterable[int | str]) -> str:
    """``values`` (integers, or their text) as the text of a PostgreSQL integer array: ``{1,2,3}``."""
    return "{" + ",".join(map(str, map(int, values))) + "}"


def read_rows(session: Session, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Any]:
    """Every row of ``statement`` (plain columns, no ORM entity) as ``session.execute`` gives them:
    the session autoflushed first, the same values through the columns' result processors, but
    read on the session's connection, without the ORM's result processing (about 0.5 µs a row:
    a province's dashboard by village reads about 6,000 rows of sums, stored medians, names and
    overdue counts), and in one fetch (iterating a result fetches its rows one by one, each a
    call through SQLAlchemy and psycopg)."""
    if session.autoflush:
        session.flush()  # what the session's own execute would send first
    return session.connection().execute(statement, params or {}).all()


class DriverStatement(NamedTuple):
    """A statement kept per shape, compiled once for one dialect (``driver_statement``): its text,
    the bind processor of each named parameter that has one, and the values of its fixed ones."""

    sql: str
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    fixed: dict[str, Any]


# Room for every shape ``statistics.execute_together`` keeps (128) beside the others.
@lru_cache(maxsize=256)
def driver_statement(statement: ClauseElement, dialect: Any) -> DriverStatement | None:
    """``statement`` (one kept per shape, whose values are named bind parameters) compiled once for
    ``dialect``, for ``execute_kept``; None for a dialect of positional parameters (SQLite). Only
    for statements whose every value is given by the caller or fixed in the statement (no column
    default computed at execution, no expanding list)."""
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.positional:
        return None
    if any(getattr(compiled, name, None) for name in ("insert_prefetch", "update_prefetch",
                                                                             "postfetch")):
        raise ValueError("driver_statement needs no default computed at execution")
    processors: list[tuple[str, Callable[[Any], Any]]] = []
    fixed: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if bind.expanding or bind.literal_execute or compiled.escaped_bind_names.get(name, name) != name:
            raise ValueError(f"driver_statement cannot pass the parameter {name}")
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((name, process))
        if not bind.required:
            fixed[name] = bind.effective_value
    return DriverStatement(compiled.string, tuple(processors), fixed)


def _kept_conversion(prepared: DriverStatement, connection: Any) -> None:
    """Remember psycopg's conversion of ``prepared`` for the encoding of ``connection`` (a
    PostgreSQL connection with ``KeptCursor``s), once."""
    driver = connection.connection.driver_connection
    if getattr(driver, "cursor_factory", None) is not KeptCursor:
        return
    encoding = driver.info.encoding
    kept = _CONVERSIONS.get(prepared.sql)
    if kept is None or kept[0] != encoding:
        _remember_conversion(prepared.sql, encoding)


def execute_kept(statement: ClauseElement, params: dict[str, Any], session: Session | None = None) -> Any:
    """Execute ``statement`` (kept per shape, see ``driver_statement``) with ``params`` on the
    session's connection, as ``db.session.execute`` would (the same text, the same values after
    the same bind processors, the session autoflushed, errors wrapped and a lost connection
    handled by SQLAlchemy) but as driver SQL: neither the statement's cache key nor the ORM's
    execution is made again for each call, which cost a submission more CPU than its round trip
    (issue #11). Returns the result:
    plain rows of the driver's values, no result processing (an enumeration's column gives its
    text); on SQLite (positional parameters) ``session.execute``'s, as usual. ``session``: the
    application's (``db.session``) unless another is given."""
    session = session if session is not None else db.session()
    if session.autoflush:
        session.flush()  # what the session's own execute would send first (nothing, in a POST)
    connection = session.connection()
    prepared = driver_statement(statement, connection.dialect)
    if prepared is None:
        return session.execute(cast(Executable, statement), params)
    _kept_conversion(prepared, connection)
    values = dict(prepared.fixed)
    values.update(params)
    for name, process in prepared.processors:
        if name in values:
            values[name] = process(values[name])
    return connection.exec_driver_sql(prepared.sql, values)
