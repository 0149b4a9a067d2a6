"""Routing's first assignment writes plain rows, no ORM object (``assignments._assign_first``,
issue #11): the assignment and its clocks in one statement, both events in the notices'
statement. These tests prove that it writes what the session's path writes for the same item
(``assign`` through the ORM: the assignment and clocks flushed, the events added, the notices
queued, the facts counted by the refresh before the commit), on PostgreSQL and on SQLite."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import (
    Assignment,
    Deadline,
    Event,
    Feedback,
    Notification,
    StatFact,
)
from feedback.services.audit import verify_chain
from feedback.services.routing import route as routing
from feedback.services.routing.route import RouteOutcome, route_item
from tests.factories import Directory, make_directory, make_feedback
from tests.services.routing_rows import add_rule
from tests.sqlite_apps import migrated_sqlite_app
from tests.times import ROUTED_AT


@pytest.fixture
def directory(db_session: Session) -> Directory:
    d = make_directory()
    db.session.commit()
    return d


@pytest.fixture
def sqlite_directory(app: Flask, tmp_path: Path) -> Iterator[Directory]:
    """The same directory on a fresh SQLite file built by the migrations."""
    with migrated_sqlite_app(app, tmp_path):
        d = make_directory()
        db.session.commit()
        yield d


def _columns(model: Any, *, leave_out: tuple[str, ...] = ()) -> list[Any]:
    # JSON columns as their stored text: JSON null and SQL NULL must be told apart.
    return [sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else c
            for c in model.__table__.columns if c.name not in ("id", "feedback_id", *leave_out)]


def _written(item_id: int) -> dict[str, Any]:
    """Every row routing wrote about item ``item_id``, without the ids that differ between two items
    (its own, its assignment's, its clocks'), its code named ``CODE``."""
    item = db.session.get(Feedback, item_id)
    assert item is not None and item.code
    assignment_id = db.session.scalar(sa.select(Assignment.id).where(Assignment.feedback_id == item_id))
    clock_ids = list(db.session.scalars(sa.select(Deadline.id).where(Deadline.feedback_id == item_id)
                                        .order_by(Deadline.id)))
    clocks = {clock_id: f"CLOCK{n}" for n, clock_id in enumerate(clock_ids)}

    def plain(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.replace(item.code or "", "CODE")
        value = value.replace(f"assigned:{assignment_id}", "assigned:ASSIGNMENT")
        value = value.replace(f"resident:{item_id}:routed:{assignment_id}", "resident:ITEM:routed:ASSIGNMENT")
        value = value.replace(f"receipt:{item_id}", "receipt:ITEM")
        if value.startswith('{"deadlines"'):  # the "deadlines_set" event's clocks, by their ids
            after = json.loads(value)
            for clock in after["deadlines"]:
                clock["id"] = clocks[clock["id"]]
            return json.dumps(after, sort_keys=True)
        return value

    def rows(model: Any, order: Any, leave_out: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(plain(v) for v in row) for row in db.session.execute(
            sa.select(*_columns(model, leave_out=leave_out)).where(model.feedback_id == item_id).order_by(order))]

    db.session.expire_all()
    return {
        "item": tuple(db.session.execute(sa.select(Feedback.status, Feedback.current_unit_id, Feedback.routing_rule_id,
                                             Feedback.routing_explanation, Feedback.updated_at)
                                   .where(Feedback.id == item_id)).one()),
        "assignment": rows(Assignment, Assignment.id),
        "deadline": rows(Deadline, Deadline.id),
        # the chain's hashes cover the item's id: checked by verify_chain instead
        "event": rows(Event, Event.seq, leave_out=("hash", "prev_hash")),
        "notification": rows(Notification, Notification.id),
        "stat_fact": rows(StatFact, StatFact.id),
    }


def _routed_both_ways(directory: Directory) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two items alike (a resident's report with an email, routed by a rule): the first given as
    routing gives a new item (plain rows), the second through the session's path."""
    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    items = [make_feedback(directory, locality=directory.village, topic=directory.waste,
                           submitter_email="dan@example.vn") for _ in range(2)]
    db.session.commit()
    written = []
    for item, first in zip(items, (True, False), strict=True):
        target = routing.choose_target(item, ROUTED_AT, held_before=False)
        assert target.first and target.unit.id == directory.environment_dept.id
        routing.give(item, dataclasses.replace(target, first=first), ROUTED_AT)
        db.session.commit()
        assert verify_chain(item.id)
        written.append(_written(item.id))
    return written[0], written[1]


def _index(model: Any, name: str) -> int:
    return [c.name for c in _columns(model)].index(name)


def _check(plain_rows: dict[str, Any], through_session: dict[str, Any]) -> None:
    assert plain_rows == through_session
    assert len(plain_rows["deadline"]) == 2
    assert [row[1] for row in plain_rows["event"]] == ["assigned", "deadlines_set"]
    assert "CLOCK1" in plain_rows["event"][1][6], plain_rows["event"][1]  # the clocks' ids in the event
    keys = [row[_index(Notification, "dedupe_key")] for row in plain_rows["notification"]]
    assert keys == ["assigned:ASSIGNMENT", "resident:ITEM:routed:ASSIGNMENT"]
    assert len(plain_rows["stat_fact"]) == 1


def test_a_first_assignment_writes_the_rows_of_the_sessions_path_on_postgresql(directory: Directory) -> None:
    _check(*_routed_both_ways(directory))


def test_a_first_assignment_writes_the_rows_of_the_sessions_path_on_sqlite(sqlite_directory: Directory) -> None:
    _check(*_routed_both_ways(sqlite_directory))


def test_route_item_on_sqlite_claims_gives_and_skips_a_second_run(sqlite_directory: Directory) -> None:
    """The claim and the plain rows on SQLite (one INSERT each, the ORM's statements there):
    routed once, a second run skips, the item's clocks and events are there once."""
    item = make_feedback(sqlite_directory, submitter_email="dan@example.vn")
    db.session.commit()
    item_id = item.id
    first, second = route_item(item_id, now=ROUTED_AT, confirm=True), route_item(item_id, now=ROUTED_AT, confirm=True)
    assert (first.outcome, second.outcome) == (RouteOutcome.ASSIGNED, RouteOutcome.SKIPPED)
    rows = _written(item_id)
    assert rows["item"][:2] == ("assigned", sqlite_directory.ubnd_ha_tu.id)
    assert len(rows["assignment"]) == 1 and len(rows["deadline"]) == 2
    assert [row[1] for row in rows["event"]] == ["assigned", "deadlines_set"]
    keys = [row[_index(Notification, "dedupe_key")] for row in rows["notification"]]
    assert keys == ["receipt:ITEM", "assigned:ASSIGNMENT", "resident:ITEM:routed:ASSIGNMENT"]
    assert verify_chain(item_id)
