"""Counting the SQL statements a piece of code sends: performance tests assert counts, not timings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
