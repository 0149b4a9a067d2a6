"""The routing tasks, run as task functions (no eager mode), each twice: one outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.jobs import REROUTE_FEEDBACK, ROUTE_FEEDBACK, SWEEP_RECEIVED
from feedback.models import Assignment, Deadline, Event, Notification, WorkerHeartbeat
from feedback.services.routing import transfer
from tests.conftest import Enqueued
from tests.factories import make_directory, make_feedback
from tests.services.routing_rows import add_rule
from tests.times import ROUTED_AT, SWEEP_AT, TUESDAY_MORNING, WED_04_MAR_0900
from worker.tasks.routing import reroute_feedback, route_feedback, sweep_received


def count(model: type, *where: object) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_tasks_are_registered_under_the_shared_names() -> None:
    """The web app sends these names; the worker must answer to them, with a retry policy."""
    assert (route_feedback.name, reroute_feedback.name, sweep_received.name) == (
        ROUTE_FEEDBACK, REROUTE_FEEDBACK, SWEEP_RECEIVED)
    assert route_feedback.autoretry_for and route_feedback.retry_backoff and route_feedback.acks_late


def test_route_task_twice_assigns_once(db_session: Session) -> None:
    """Two deliveries of the same message: one assignment, two clocks, one notice, one event."""
    d = make_directory()
    item = make_feedback(d)
    db.session.commit()

    first = route_feedback(item.id, now=ROUTED_AT.isoformat())
    second = route_feedback(item.id, now=ROUTED_AT.isoformat())

    assert (first["outcome"], second["outcome"]) == ("assigned", "skipped")
    assert first["unit_id"] == d.ubnd_ha_tu.id
    assert count(Assignment, Assignment.feedback_id == item.id) == 1
    assert count(Deadline, Deadline.feedback_id == item.id) == 2
    assert count(Notification, Notification.feedback_id == item.id) == 1
    assert count(Event, Event.feedback_id == item.id, Event.action == "assigned") == 1


def test_route_task_for_a_missing_item_does_nothing(db_session: Session) -> None:
    assert route_feedback(987654321)["outcome"] == "missing"


def test_reroute_task_twice_assigns_the_next_unit_once(db_session: Session, enqueued: Enqueued) -> None:
    """After a return, two deliveries of the re-route message: one new assignment, to the
    fallback unit (the returning department is skipped)."""
    d = make_directory()
    add_rule(d.environment_dept, locality=d.ha_tu)
    item = make_feedback(d)
    db.session.commit()
    route_feedback(item.id, now=ROUTED_AT.isoformat())
    transfer.return_item(item.id, unit_id=d.environment_dept.id, reason="Không thuộc thẩm quyền",
                         actor=Actor.cli("can-bo"), now=WED_04_MAR_0900)

    first = reroute_feedback(item.id, now=WED_04_MAR_0900.isoformat())
    second = reroute_feedback(item.id, now=WED_04_MAR_0900.isoformat())

    assert (first["outcome"], second["outcome"]) == ("assigned", "skipped")
    assert first["unit_id"] == d.ubnd_ha_tu.id
    assert count(Assignment, Assignment.feedback_id == item.id) == 2
    assert count(Assignment, Assignment.feedback_id == item.id, Assignment.ended_at.is_(None)) == 1


def test_sweep_task_twice_resends_the_stranded_item_and_routing_still_assigns_once(
    db_session: Session, enqueued: Enqueued
) -> None:
    """The sweep run twice sends the stranded item twice (harmless) and records its heartbeat;
    running the two resulting messages gives one assignment."""
    d = make_directory()
    item = make_feedback(d, received_at=TUESDAY_MORNING)
    db.session.commit()

    first = sweep_received(now=SWEEP_AT.isoformat())
    second = sweep_received(now=SWEEP_AT.isoformat())

    assert first == second == {"found": 1, "sent": 1}
    assert enqueued == [(ROUTE_FEEDBACK, item.id)] * 2
    outcomes = [route_feedback(*args)["outcome"] for _name, *args in enqueued]
    assert sorted(outcomes) == ["assigned", "skipped"]
    assert count(Assignment, Assignment.feedback_id == item.id) == 1
    assert sweep_received(now=SWEEP_AT.isoformat()) == {"found": 0, "sent": 0}
    heartbeat = db.session.get(WorkerHeartbeat, "sweep_received")
    assert heartbeat is not None and heartbeat.last_run_at == SWEEP_AT


@pytest.mark.parametrize(("configured", "age_minutes", "found"), [
    (2, 1, 0),  # one minute old, threshold 2 minutes: not stranded yet
    (2, 3, 1),  # three minutes old: stranded, sent again
    (5, 3, 0),  # the same item under a longer configured threshold: held back
    (1, 3, 1),
])
def test_sweep_task_uses_the_configured_threshold(app: Flask, db_session: Session, enqueued: Enqueued,
                                                  monkeypatch: pytest.MonkeyPatch, configured: int,
                                                  age_minutes: int, found: int) -> None:
    """Proves: the task takes STRANDED_AFTER_MINUTES from the configuration, both ways: an item
    older than it is found and sent to routing once, a younger one is left alone."""
    monkeypatch.setitem(app.config, "STRANDED_AFTER_MINUTES", configured)
    d = make_directory()
    item = make_feedback(d, received_at=TUESDAY_MORNING)
    db.session.commit()

    now = TUESDAY_MORNING + timedelta(minutes=age_minutes)
    assert sweep_received(now=now.isoformat()) == {"found": found, "sent": found}
    assert enqueued == [(ROUTE_FEEDBACK, item.id)] * found


@pytest.mark.parametrize(("language", "subject_start", "page_language"), [
    ("vi", "Đã tiếp nhận ý kiến của bạn", None),
    ("en", "We have received your feedback", "en"),
    (None, "Đã tiếp nhận ý kiến của bạn", None),  # recorded before the language was
])
def test_route_task_queues_one_confirmation_in_the_residents_language(
        db_session: Session, language: str | None, subject_start: str, page_language: str | None) -> None:
    """Proves issue #6 item 5 (confirmation): a resident who gave an email gets exactly one
    confirmation (two deliveries of the routing message, one row keyed receipt:<id>), addressed
    to them, in the language they used, with the code and the public tracking link, and without
    the secret link, the title, the body or their name."""
    from urllib.parse import parse_qs, urlsplit

    d = make_directory()
    item = make_feedback(d, kind=Kind.DENUNCIATION, submitter_email="nguoi.gui@example.vn", language=language,
                         title="Ông Bê nhận tiền")
    db.session.commit()

    route_feedback(item.id, now=ROUTED_AT.isoformat())
    route_feedback(item.id, now=ROUTED_AT.isoformat())

    [row] = db.session.scalars(sa.select(Notification).where(Notification.kind == "receipt")).all()
    assert (row.dedupe_key, row.recipient_email, row.feedback_id) == (
        f"receipt:{item.id}", "nguoi.gui@example.vn", item.id)
    assert row.subject.startswith(subject_start) and str(item.code) in row.subject
    [url] = [word for word in row.body.split() if word.startswith("http")]
    parts = urlsplit(url)
    assert parts.path == f"/t/{item.code}"  # the public page, not /t/<code>/<token>
    assert parse_qs(parts.query).get("lang") == ([page_language] if page_language else None)
    for private in ("Ông Bê nhận tiền", item.body, "Nguyễn Văn A", "0912345678"):
        assert private not in row.body and private not in row.subject


def test_no_confirmation_without_an_email_address(db_session: Session) -> None:
    """Proves no confirmation row is written for an item without an email address."""
    d = make_directory()
    item = make_feedback(d)
    db.session.commit()

    route_feedback(item.id, now=ROUTED_AT.isoformat())

    assert count(Notification, Notification.kind == "receipt") == 0


def test_route_task_writes_the_confirmation_with_the_units_notice_in_one_transaction(db_session: Session) -> None:
    """Issue #11: the route task's confirmation email is no longer a transaction of its own
    before the routing (an item read, an INSERT, a commit): it goes first in the routing's one
    INSERT of notices, so the resident's confirmation still has the lower id (the mailer sends
    it first). The whole task, statistics included, is 8 statements (issue #11 item 2; the
    commune's People's Committee chooses the unit here: no rule applies), the last writing the
    notices with the item's fact and rollups."""
    from tests.statements import recorded_statements

    d = make_directory()
    item = make_feedback(d, submitter_email="dan@example.vn")
    db.session.commit()
    item_id = item.id
    db.session.expunge_all()

    with recorded_statements() as statements:
        outcome = route_feedback(item_id, now=ROUTED_AT.isoformat())

    sent = [s for s in statements if "SAVEPOINT" not in s]
    assert outcome["outcome"] == "assigned"
    assert len([s for s in sent if "INSERT INTO notification" in s]) == 1, sent
    assert len([s for s in sent if s.startswith("SELECT feedback.id, feedback.code")]) == 1, sent
    assert len(sent) <= 8, "\n".join(sent)
    rows = db.session.execute(sa.select(Notification.kind, Notification.id).where(
        Notification.feedback_id == item_id).order_by(Notification.id)).all()
    assert [kind for kind, _id in rows] == ["receipt", "assigned", "resident_routed"], rows
