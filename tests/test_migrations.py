"""The migrations build the schema from an empty database, and the models do not drift from it."""

from __future__ import annotations

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
