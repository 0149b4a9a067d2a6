"""record_event stores a named action and an actor value as the same texts, and the same hash
chain, as the log has always held (DESIGN.md §3, Event)."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.events import Actor, EventAction
from feedback.extensions import db
from feedback.models import Role
from feedback.services.audit import record_event, verify_chain
from tests.factories import make_directory, make_feedback, make_user
from tests.times import TUESDAY_MORNING


def test_a_named_action_and_actor_are_stored_and_hashed_as_plain_texts(db_session: Session) -> None:
    """Proves: the row holds "clocks_resumed", the username and the account id, and its hash is the
    sha256 of the canonical payload written with those plain texts, so old chains still verify."""
    item = make_feedback(make_directory())
    user = make_user("quantri", Role.ADMIN)

    record_event(item, EventAction.RECEIVED, actor=Actor.resident(), at=TUESDAY_MORNING)
    record_event(item, EventAction.CLOCKS_RESUMED, actor=Actor.user(user.id, user.username), at=TUESDAY_MORNING,
                 public=False, after={"deadlines": []})
    db.session.flush()

    rows = db.session.execute(sa.text(
        "SELECT seq, action, actor, actor_user_id, prev_hash, hash FROM event WHERE feedback_id = :id ORDER BY seq"),
        {"id": item.id}).all()
    assert [(r.action, r.actor, r.actor_user_id) for r in rows] == [
        ("received", "resident", None), ("clocks_resumed", "quantri", user.id)]
    second = rows[1]
    payload = json.dumps({"feedback_id": item.id, "seq": second.seq, "action": "clocks_resumed", "actor": "quantri",
                          "at": TUESDAY_MORNING.isoformat(), "before": None, "after": {"deadlines": []},
                          "prev": rows[0].hash}, sort_keys=True, ensure_ascii=False, default=str)
    assert second.prev_hash == rows[0].hash
    assert second.hash == hashlib.sha256(payload.encode()).hexdigest()
    assert verify_chain(item.id)


def test_several_events_of_one_item_read_the_chain_end_once_and_a_rolled_back_savepoint_is_forgotten(
    db_session: Session,
) -> None:
    """Proves the chain-end memory (issue #11): three events of one item in one transaction read
    the chain's end once; events written in a savepoint that is rolled back are not chained to
    afterwards (the next event reads the end again); the chain verifies."""
    from tests.statements import recorded_statements

    d = make_directory()
    item = make_feedback(d)
    db.session.flush()
    with recorded_statements() as statements:
        for _ in range(3):
            record_event(item, EventAction.ASSIGNED, actor=Actor.system(), at=TUESDAY_MORNING)
        db.session.flush()
    assert len([s for s in statements if s.startswith("SELECT event.seq")]) == 1

    savepoint = db.session.begin_nested()
    record_event(item, EventAction.ASSIGNED, actor=Actor.system(), at=TUESDAY_MORNING)
    db.session.flush()
    savepoint.rollback()
    last = record_event(item, EventAction.ASSIGNED, actor=Actor.system(), at=TUESDAY_MORNING)
    db.session.flush()
    assert last.seq == 4
    assert verify_chain(item.id)


def test_record_events_chains_many_items_with_one_read_and_one_insert(db_session: Session) -> None:
    """Proves the set-based writer the deadline scan uses: events of two items (one with a chain
    already, one without; two events of the first) are chained in the order given with one read
    of the chain ends and one INSERT, hash exactly as ``record_event``'s (the chains verify), and
    a later ``record_event`` in the same transaction chains on without reading again."""
    from feedback.services.audit import NewEvent, record_events
    from tests.statements import recorded_statements

    d = make_directory()
    first, second = make_feedback(d), make_feedback(d)
    db.session.flush()
    record_event(first, EventAction.RECEIVED, actor=Actor.resident(), at=TUESDAY_MORNING)
    db.session.commit()  # a new transaction: the chain end must be read from the database

    def new(item_id: int) -> NewEvent:
        return NewEvent(feedback_id=item_id, action=EventAction.DEADLINE_BREACHED, actor=Actor.deadline_scan(),
                        at=TUESDAY_MORNING, locality_id=None, topic_id=None, unit_id=None,
                        before={"breached_at": None}, after={"deadline_id": item_id, "escalated_to": [1, 2]})

    with recorded_statements() as statements:
        assert record_events([new(first.id), new(second.id), new(first.id)]) == 3
    assert len([s for s in statements if "FROM event" in s]) == 1
    assert len([s for s in statements if s.startswith("INSERT INTO event")]) == 1
    with recorded_statements() as later:
        last = record_event(first, EventAction.ASSIGNED, actor=Actor.system(), at=TUESDAY_MORNING)
        db.session.flush()
    assert last.seq == 4 and not [s for s in later if "FROM event" in s]

    seqs = db.session.execute(sa.text("SELECT feedback_id, seq FROM event WHERE feedback_id IN (:a, :b) "
                                      "ORDER BY feedback_id, seq"), {"a": first.id, "b": second.id}).all()
    assert [tuple(r) for r in seqs] == [(first.id, 1), (first.id, 2), (first.id, 3), (first.id, 4), (second.id, 1)]
    assert verify_chain(first.id) and verify_chain(second.id)
