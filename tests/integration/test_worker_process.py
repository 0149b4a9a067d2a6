"""A real ``celery -A worker.app worker`` process against the real Redis and PostgreSQL routes every
item exactly once, even when each message is delivered twice, and re-routes a returned item."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from feedback import jobs
from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.domain.status import Status
from feedback.models import Assignment, Event, Feedback, Notification
from feedback.services.routing.transfer import TransferOutcome, return_item
from tests.conftest import TEST_REDIS_URL
from tests.factories import make_directory, make_feedback
from tests.integration.processes import log_tail, start_worker, stop, wait_until
from tests.services.routing_rows import add_rule

pytestmark = pytest.mark.integration

ITEMS = 40


def count(*where: object) -> int:
    value = db.session.scalar(sa.select(sa.func.count()).select_from(Feedback).where(*where))  # type: ignore[arg-type]
    db.session.rollback()  # no transaction left open between polls
    return int(value or 0)


def broker_idle(client: redis.Redis) -> bool:
    """No message waiting and none delivered but unacknowledged (acks_late)."""
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def test_real_worker_routes_each_item_once_and_reroutes_a_returned_one(committed_db: None, tmp_path: Path) -> None:
    broker = redis.Redis.from_url(TEST_REDIS_URL)
    broker.flushdb()  # this suite's own database number: drop messages left by an earlier run
    d = make_directory()
    add_rule(d.environment_dept, locality=d.ha_tu, topic=d.environment)
    # Real time: the worker routes at its own clock.
    items = [make_feedback(d, topic=d.waste if i % 2 else d.land, title=f"Ý kiến {i}", received_at=datetime.now(UTC))
             for i in range(ITEMS)]
    db.session.commit()
    ids = [item.id for item in items]
    log = tmp_path / "worker.log"

    worker = start_worker(TEST_REDIS_URL, log)
    try:
        for feedback_id in ids:  # every message twice: a redelivery must not assign twice
            assert jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
            assert jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
        routed = wait_until(lambda: count(Feedback.id.in_(ids), Feedback.status == Status.ASSIGNED) == ITEMS, 60)
        assert routed, log_tail(log)
        assert wait_until(lambda: broker_idle(broker), 30), log_tail(log)

        # A unit returns one item: the worker routes it again, without that unit.
        returned = next(item for item in items if item.topic_id == d.waste.id)
        result = return_item(returned.id, unit_id=d.environment_dept.id, reason="Thuộc thẩm quyền phường",
                             actor=Actor.cli("can-bo-so"), now=datetime.now(UTC))
        assert result.outcome is TransferOutcome.REROUTING
        rerouted = wait_until(
            lambda: count(Feedback.id == returned.id, Feedback.current_unit_id == d.ubnd_ha_tu.id) == 1, 30)
        assert rerouted, log_tail(log)
    finally:
        stop(worker)

    per_item = dict(db.session.execute(
        sa.select(Assignment.feedback_id, sa.func.count()).where(Assignment.feedback_id.in_(ids))
        .group_by(Assignment.feedback_id)
    ).all())
    assert per_item == {i: (2 if i == returned.id else 1) for i in ids}
    assigned_events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id.in_(ids), Event.action == "assigned"))
    assert assigned_events == ITEMS + 1
    notices = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.feedback_id.in_(ids), Notification.kind == "assigned"))
    assert notices == ITEMS + 1
    by_unit = dict(db.session.execute(
        sa.select(Feedback.current_unit_id, sa.func.count()).where(Feedback.id.in_(ids)).group_by(Feedback.current_unit_id)
    ).all())
    assert by_unit == {d.environment_dept.id: ITEMS // 2 - 1, d.ubnd_ha_tu.id: ITEMS // 2 + 1}
