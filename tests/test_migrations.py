"""The migrations build the schema from an empty database, and the models do not drift from it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

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
