"""The migrations build the schema from an empty database, and the models do not drift from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from config import TestConfig
from feedback.extensions import db


def test_upgrade_to_head_leaves_no_model_drift(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_table_exists(app: Flask) -> None:
    with app.app_context():
        names = set(sa.inspect(db.engine).get_table_names())
    assert {"feedback", "locality", "topic", "unit", "routing_rule", "event", "deadline", "assignment"} <= names


def test_audit_events_cannot_be_updated_in_the_database(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text("INSERT INTO event (seq, action, actor, at, public, prev_hash, hash) VALUES (1, 'x', 'y', now(), true, '', '')"))
        try:
            conn.execute(sa.text("UPDATE event SET action = 'changed'"))
        except sa.exc.DBAPIError as error:
            assert "append-only" in str(error)
        else:
            raise AssertionError("an audit event was updated")
        finally:
            trans.rollback()


def test_0007_splits_the_end_reason_of_existing_assignments_and_back(app: Flask) -> None:
    """Proves: rows written before 0007 ("not_competent: <words>") become the named reason plus the
    words, any other text survives as words, and the downgrade puts back exactly what was there."""
    from flask_migrate import downgrade, upgrade

    from feedback import create_app
    from tests.conftest import TEST_DB_URL, create_test_database

    url = sa.make_url(TEST_DB_URL).set(database=f"{sa.make_url(TEST_DB_URL).database}_0007")
    create_test_database(url.render_as_string(hide_password=False))
    other_app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
                           UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # create_app made the other app's Celery the default
    old = [(1, "not_competent: Thuộc thẩm quyền UBND phường"), (2, "not_competent: "), (3, "hết hạn"), (4, None)]
    try:
        with other_app.app_context():
            migrations = other_app.config["MIGRATIONS_DIR"]
            upgrade(directory=migrations, revision="0001")
            with db.engine.begin() as conn:
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no feedback or unit rows
                for row_id, reason in old:
                    conn.execute(sa.text(
                        "INSERT INTO assignment (id, feedback_id, unit_id, explanation, assigned_at, ended_at, "
                        "end_reason) VALUES (:id, :id, 1, '', now(), "
                        "CASE WHEN CAST(:reason AS text) IS NULL THEN NULL ELSE now() END, :reason)"),
                        {"id": row_id, "reason": reason})
            upgrade(directory=migrations, revision="0007")
            with db.engine.connect() as conn:
                converted = conn.execute(sa.text(
                    "SELECT end_reason, end_reason_text FROM assignment ORDER BY id")).all()
                with pytest.raises(sa.exc.IntegrityError):
                    conn.execute(sa.text("UPDATE assignment SET end_reason = 'whatever' WHERE id = 1"))
            downgrade(directory=migrations, revision="0001")
            with db.engine.connect() as conn:
                restored = conn.execute(sa.text("SELECT id, end_reason FROM assignment ORDER BY id")).all()
            db.engine.dispose()
    finally:
        engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        engine.dispose()

    assert converted == [("not_competent", "Thuộc thẩm quyền UBND phường"), ("not_competent", ""),
                         (None, "hết hạn"), (None, None)]
    assert [tuple(row) for row in restored] == old


def _migrated_to(url: str, app: Flask) -> Flask:
    from feedback import create_app

    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # create_app made the other app's Celery the default
    return other


def _places_fill_and_back(other: Flask) -> tuple[list[Any], list[Any], list[Any]]:
    """At 0023 an overdue item in a village and one in a commune (kept by 0019's triggers); up to
    0024, a move of the village's item to the commune, then back down to 0023 and a third clock
    breached. Returns (rows after 0024, after the move, rows after the downgrade)."""
    from datetime import UTC, datetime

    from flask_migrate import downgrade, upgrade

    from feedback.models import Deadline
    from tests.factories import make_directory, make_feedback

    migrations = other.config["MIGRATIONS_DIR"]
    read = "SELECT feedback_id, locality_id, commune_id, village_id FROM overdue_item ORDER BY feedback_id"
    places = ("SELECT 'commune', commune_id, sum(n) FROM overdue_tally WHERE commune_id IS NOT NULL "
              "GROUP BY commune_id HAVING sum(n) <> 0 UNION ALL SELECT 'village', village_id, sum(n) "
              "FROM overdue_tally WHERE village_id IS NOT NULL GROUP BY village_id HAVING sum(n) <> 0")
    with other.app_context():
        upgrade(directory=migrations, revision="0023")
        d = make_directory()
        at = datetime(2026, 11, 2, 3, tzinfo=UTC)
        items = [make_feedback(d, locality=place) for place in (d.village, d.van_don, d.ha_tu)]
        for item in items:
            db.session.add(Deadline(feedback_id=item.id, unit_id=d.ubnd_ha_tu.id, clock="resolution", legal_basis="",
                                    day_type="working", period_days=10, starts_at=at, due_at=at,
                                    breached_at=at if item is not items[2] else None))
        db.session.flush()
        ids = [item.id for item in items]
        village, ha_tu, van_don = d.village.id, d.ha_tu.id, d.van_don.id
        db.session.commit()
        db.session.close()  # no transaction of the test's holds a lock that the migrations wait for
        upgrade(directory=migrations, revision="0024")
        with db.engine.begin() as conn:
            filled = [tuple(r) for r in conn.execute(sa.text(read))]
            tallied = {tuple(r) for r in conn.execute(sa.text(places))}
            conn.execute(sa.text("UPDATE feedback SET locality_id = :p WHERE id = :i"),
                         {"p": van_don, "i": ids[0]})
            moved = [tuple(r) for r in conn.execute(sa.text(read))]
            tallied_moved = {tuple(r) for r in conn.execute(sa.text(places))}
        downgrade(directory=migrations, revision="0023")
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE deadline SET breached_at = due_at WHERE feedback_id = :i"), {"i": ids[2]})
            back = [tuple(r) for r in conn.execute(sa.text(
                "SELECT feedback_id, locality_id FROM overdue_item ORDER BY feedback_id"))]
        expected = [(ids[0], village, ha_tu, village), (ids[1], van_don, van_don, None)]
        assert filled == expected
        assert moved == [(ids[0], van_don, van_don, None), expected[1]]
        assert tallied == {("commune", ha_tu, 1), ("commune", van_don, 1), ("village", village, 1)}
        assert tallied_moved == {("commune", van_don, 2)}
        assert back == [(ids[0], van_don), (ids[1], van_don), (ids[2], ha_tu)]
        db.session.remove()
        db.engine.dispose()
    return filled, moved, back


def test_0024_fills_the_overdue_places_and_back_on_postgresql(app: Flask) -> None:
    """Proves: rows kept before 0024 get their commune and village in the upgrade and are
    tallied, the new triggers copy them and move the tally, and after the downgrade 0019's
    triggers keep the table again."""
    from tests.conftest import TEST_DB_URL, create_test_database

    url = sa.make_url(TEST_DB_URL).set(database=f"{sa.make_url(TEST_DB_URL).database}_0024")
    create_test_database(url.render_as_string(hide_password=False))
    try:
        _places_fill_and_back(_migrated_to(url.render_as_string(hide_password=False), app))
    finally:
        engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        engine.dispose()


def test_0024_fills_the_overdue_places_and_back_on_sqlite(app: Flask, tmp_path: Path) -> None:
    """The same on SQLite (the table is copied to make its commune NOT NULL)."""
    _places_fill_and_back(_migrated_to(f"sqlite:///{tmp_path / 'feedback.sqlite3'}", app))


def _unit_counts_fill_and_back(other: Flask) -> None:
    """At 0026 three items held by a unit (one overdue by a breached clock, one received, held by
    none); up to 0027 the counts are filled from them and kept by the triggers (a status change,
    a clock met); back down to 0026 the table and its triggers are gone and items still change."""
    from datetime import UTC, datetime

    from flask_migrate import downgrade, upgrade

    from feedback.domain.status import Status
    from feedback.models import Deadline
    from tests.factories import make_directory, make_feedback

    migrations = other.config["MIGRATIONS_DIR"]
    read = "SELECT unit_id, status, late, facet, value, n FROM unit_item_count WHERE n <> 0 AND facet IN ('all', 'kind')"
    with other.app_context():
        upgrade(directory=migrations, revision="0026")
        d = make_directory()
        at = datetime(2026, 11, 2, 3, tzinfo=UTC)
        unit = d.ubnd_ha_tu.id
        items = [make_feedback(d, status=Status.ASSIGNED, current_unit_id=unit),
                 make_feedback(d, status=Status.IN_PROGRESS, current_unit_id=unit),
                 make_feedback(d)]
        db.session.add(Deadline(feedback_id=items[1].id, unit_id=unit, clock="resolution", legal_basis="",
                                day_type="working", period_days=10, starts_at=at, due_at=at, breached_at=at))
        db.session.flush()
        ids = [item.id for item in items]
        db.session.commit()
        db.session.close()
        upgrade(directory=migrations, revision="0027")
        with db.engine.begin() as conn:
            filled = sorted(tuple(r) for r in conn.execute(sa.text(read)))
            conn.execute(sa.text("UPDATE feedback SET status = 'in_progress' WHERE id = :i"), {"i": ids[0]})
            conn.execute(sa.text("UPDATE deadline SET met_at = due_at WHERE feedback_id = :i"), {"i": ids[1]})
            moved = sorted(tuple(r) for r in conn.execute(sa.text(read)))
        downgrade(directory=migrations, revision="0026")
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE feedback SET status = 'answered', current_unit_id = :u WHERE id = :i"),
                         {"u": unit, "i": ids[2]})
            gone = "unit_item_count" not in sa.inspect(conn).get_table_names()
        db.session.remove()
        db.engine.dispose()
    assert filled == [(unit, "assigned", 0, "all", "", 1), (unit, "assigned", 0, "kind", "report", 1),
                      (unit, "in_progress", 1, "all", "", 1), (unit, "in_progress", 1, "kind", "report", 1)]
    assert moved == [(unit, "in_progress", 0, "all", "", 2), (unit, "in_progress", 0, "kind", "report", 2)]
    assert gone


def test_0027_fills_the_unit_counts_and_back_on_postgresql(app: Flask) -> None:
    """Proves: items held before 0027 are counted in the upgrade (overdue apart), the triggers
    move the counts, and the downgrade removes the table and its triggers."""
    from tests.conftest import TEST_DB_URL, create_test_database

    url = sa.make_url(TEST_DB_URL).set(database=f"{sa.make_url(TEST_DB_URL).database}_0027")
    create_test_database(url.render_as_string(hide_password=False))
    try:
        _unit_counts_fill_and_back(_migrated_to(url.render_as_string(hide_password=False), app))
    finally:
        engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        engine.dispose()


def test_0027_fills_the_unit_counts_and_back_on_sqlite(app: Flask, tmp_path: Path) -> None:
    """The same on SQLite."""
    _unit_counts_fill_and_back(_migrated_to(f"sqlite:///{tmp_path / 'feedback.sqlite3'}", app))


def test_0029_buckets_the_item_locks_and_back_on_postgresql(app: Flask) -> None:
    """Proves: 0029 rewrites every per-item (1868) and per-place (1869) advisory lock of the
    kept-state triggers to its bucket (id modulo 1,024), and the downgrade gives back 0028's
    functions exactly."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import TEST_DB_URL, create_test_database

    url = sa.make_url(TEST_DB_URL).set(database=f"{sa.make_url(TEST_DB_URL).database}_0029")
    create_test_database(url.render_as_string(hide_password=False))
    read = ("SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
            "WHERE prosrc LIKE '%pg_advisory_xact_lock%(186%' ORDER BY proname")
    try:
        other = _migrated_to(url.render_as_string(hide_password=False), app)
        migrations = other.config["MIGRATIONS_DIR"]
        with other.app_context():
            upgrade(directory=migrations, revision="0028")
            before = dict(db.session.execute(sa.text(read)).all())
            db.session.remove()
            upgrade(directory=migrations, revision="0029")
            after = dict(db.session.execute(sa.text(read)).all())
            db.session.remove()
            downgrade(directory=migrations, revision="0028")
            back = dict(db.session.execute(sa.text(read)).all())
            db.session.remove()
            db.engine.dispose()
        assert set(before) == set(after) == {
            "overdue_item_facts", "overdue_item_places", "overdue_item_refresh", "unit_item_count_item",
            "unit_item_count_late_delete", "unit_item_count_late_insert"}
        assert not any("% 1024" in text for text in before.values())
        for name, text in after.items():
            locks = [line for line in text.splitlines() if "pg_advisory_xact_lock" in line]
            assert locks and all("% 1024" in line for line in locks), (name, locks)
        assert back == before
    finally:
        engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        engine.dispose()


def test_0030_widens_the_period_index_and_orders_the_overdue_rows_and_back(app: Flask, tmp_path: Path) -> None:
    """Proves: 0030 gives ``ix_stat_fact_day`` the item after the day and adds
    ``ix_overdue_item_due`` (due_at, deadline_id); the downgrade gives back 0029's indexes."""
    from flask_migrate import downgrade, upgrade

    other = _migrated_to(f"sqlite:///{tmp_path / 'feedback.sqlite3'}", app)
    migrations = other.config["MIGRATIONS_DIR"]

    def indexes() -> dict[str, list[str]]:
        found = sa.inspect(db.engine)
        listed = {i["name"]: list(i["column_names"]) for table in ("stat_fact", "overdue_item")
                  for i in found.get_indexes(table)}
        db.session.remove()
        return {name: columns for name, columns in listed.items()
                if name in ("ix_stat_fact_day", "ix_overdue_item_due")}

    with other.app_context():
        upgrade(directory=migrations, revision="0029")
        before = indexes()
        upgrade(directory=migrations, revision="0030")
        after = indexes()
        downgrade(directory=migrations, revision="0029")
        back = indexes()
        db.engine.dispose()
    assert before == back == {"ix_stat_fact_day": ["measure", "day"]}
    assert after == {"ix_stat_fact_day": ["measure", "day", "feedback_id"],
                     "ix_overdue_item_due": ["due_at", "deadline_id"]}
