"""The plain reads of ``feedback.services.database``: an integer array given to PostgreSQL as its
text (``int_array``, ``int_array_param``) and rows read on the session's connection
(``read_rows``) as the session's own execute reads them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.models import Locality, LocalityLevel
from feedback.services.database import int_array, int_array_param, read_rows


def test_an_int_array_is_the_text_postgresql_reads_as_that_array(db_session: Session) -> None:
    """Proves: ``int_array`` writes ``{…}`` of the integers (or of their text), and the parameter
    cast by ``int_array_param`` is that array, in order, on PostgreSQL; an empty one is empty."""
    assert int_array([3, 1, 2]) == "{3,1,2}"
    assert int_array(["12", 7]) == "{12,7}"
    assert int_array([]) == "{}"
    read = sa.select(sa.func.unnest(int_array_param("ids")))
    assert list(db_session.scalars(read, {"ids": int_array([5, 1_000_000, -2])})) == [5, 1_000_000, -2]
    assert list(db_session.scalars(read, {"ids": int_array([])})) == []


def test_read_rows_gives_the_sessions_rows_and_flushes_first(db_session: Session) -> None:
    """Proves: ``read_rows`` of a statement of columns gives the rows ``session.execute`` gives
    (the same values, typed by the columns), and a row added to the session and not yet flushed
    is among them, as the session's autoflush would send it first."""
    place = Locality(code="RR-1", name="Thôn Đọc Hàng", kind="Thôn", level=LocalityLevel.VILLAGE)
    db_session.add(place)
    statement = (sa.select(Locality.id, Locality.code, Locality.name, Locality.level)
                 .where(Locality.code.in_(sa.bindparam("codes", expanding=True))))
    read = read_rows(db_session, statement, {"codes": ["RR-1"]})
    assert [tuple(row) for row in read] == [(place.id, "RR-1", "Thôn Đọc Hàng", LocalityLevel.VILLAGE)]
    assert [tuple(row) for row in db_session.execute(statement, {"codes": ["RR-1"]})] == [tuple(read[0])]


def test_an_int_array_parameter_is_sent_untyped_for_the_server_to_read_once(db_session: Session) -> None:
    """Proves: the parameter of ``int_array_param`` has no type of its own in the SQL (no
    ``::VARCHAR``), so PostgreSQL types it ``INTEGER[]`` and parses the text once: cast from
    ``VARCHAR``, ``id = ANY(…)`` parsed the array again for every row it tested (200 ms for a
    province's villages), which the plan shows as a filter on a ``cstring`` cast."""
    statement = sa.select(Locality.id).where(Locality.id == sa.any_(int_array_param("ids")))
    sql = str(statement.compile(dialect=db_session.get_bind().dialect))
    assert "CAST(%(ids)s AS INTEGER[])" in sql and "VARCHAR" not in sql
    explained = db_session.connection().exec_driver_sql(f"EXPLAIN {sql}", {"ids": int_array(range(1, 2000))})
    plan = "\n".join(row[0] for row in explained)
    assert "cstring" not in plan
