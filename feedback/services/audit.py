"""Writing the audit log: every change of an item appends one hash-chained event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from feedback.domain.events import Actor, EventAction
from feedback.extensions import db
from feedback.models import Event, Feedback
from feedback.models.audit import event_hash, event_payload
from feedback.services.database import (
    SHAPE_ROWS,
    BoundWrite,
    among,
    insert_rows,
    on_postgresql,
    per_shape,
    rows_insert,
    rows_params,
)


def record_event(
    item: Feedback,
    action: EventAction,
    *,
    actor: Actor,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = True,
) -> Event:
    """Append an event for ``item`` in the current transaction (the caller commits).

    ``action`` and ``actor`` are stored as their texts (``actor.user_id`` as ``actor_user_id``).

    The event is chained to the item's previous event; the unique (feedback_id, seq) index
    refuses a concurrent writer that read the same predecessor, so the chain never forks.
    """
    event = chained_event(item, action, actor=actor, at=at, before=before, after=after, public=public)
    db.session.add(event)
    return event


def chained_event(
    item: Feedback,
    action: EventAction,
    *,
    actor: Actor,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = True,
) -> Event:
    """The event ``record_event`` appends, chained and hashed, not added to the session (a new
    item's first event without an ORM object: ``first_event_row``). The chain's end it was
    chained to is remembered as for ``record_event``."""
    if item.id is None:
        db.session.flush()
    tails: dict[int, tuple[int, str]] = db.session.info.setdefault(_CHAIN_TAILS, {})
    last = tails.get(item.id)
    if last is not None:
        # What the query below would have flushed first (callers rely on their changes being sent),
        # except events: several of them then go in one INSERT.
        if any(not isinstance(o, Event) for o in db.session.new) or any(
                db.session.is_modified(o) for o in db.session.dirty):
            db.session.flush()
    else:
        row = db.session.execute(
            select(Event.seq, Event.hash).where(Event.feedback_id == item.id).order_by(Event.seq.desc()).limit(1)
        ).first()
        last = (row.seq, row.hash) if row else (0, "")
    event = Event(
        feedback_id=item.id,
        seq=last[0] + 1,
        action=action.value,
        actor=str(actor),
        actor_user_id=actor.user_id,
        at=at,
        before=before,
        after=after,
        locality_id=item.locality_id,
        topic_id=item.topic_id,
        unit_id=item.current_unit_id,
        public=public,
        prev_hash=last[1],
    )
    event.hash = event.compute_hash()
    tails[item.id] = (event.seq, event.hash)
    return event


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event for ``record_events``: what ``record_event`` takes, with the item's snapshot
    (locality, topic, current unit) given as values instead of read from a loaded Feedback."""

    feedback_id: int
    action: EventAction
    actor: Actor
    at: datetime
    locality_id: int | None
    topic_id: int | None
    unit_id: int | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    public: bool = True


def record_events(events: Sequence[NewEvent]) -> int:
    """Append ``events`` in the current transaction, each chained to its item's previous event in
    the order given (two events of one item: the second follows the first), the caller commits.

    Set-based ``record_event`` for a batch writer (the deadline scan): one read of the chain ends
    of all the items, one multi-row INSERT, no ORM objects. The same unique (feedback_id, seq)
    index refuses a concurrent writer that read the same predecessor: the INSERT then raises
    IntegrityError and nothing of it is written. Returns the number of events written.
    """
    if not events:
        return 0
    rows = chained_rows(events)
    table = Event.__table__
    assert isinstance(table, Table)
    insert_rows(table, rows)
    return len(rows)


def chained_rows(events: Sequence[NewEvent]) -> list[dict[str, Any]]:
    """The columns of ``events`` as ``record_events`` writes them (each chained to its item's
    previous event in the order given, hashed), remembered as the ends of their items' chains in
    this transaction, for a caller that writes them itself (``events_insert``). Reads the chain's
    end of an item only when this transaction has not read or written it yet."""
    tails: dict[int, tuple[int, str]] = db.session.info.setdefault(_CHAIN_TAILS, {})
    unknown = sorted({e.feedback_id for e in events} - tails.keys())
    if unknown:
        tails.update(chain_ends(unknown))
    rows: list[dict[str, Any]] = []
    for e in events:
        seq, prev = tails.get(e.feedback_id, (0, ""))
        row = _event_row(e, seq + 1, prev)
        tails[e.feedback_id] = (seq + 1, row["hash"])
        rows.append(row)
    return rows


def events_insert(rows: Sequence[dict[str, Any]]) -> BoundWrite:
    """The INSERT of event ``rows`` (``chained_rows``, at least one, all with the same columns) as
    a statement with its values, for ``statistics.execute_together`` beside other writes: built
    once per number of rows and process (``database.rows_insert``)."""
    if not rows:
        raise ValueError("events_insert needs at least one row")
    columns = tuple(rows[0])
    return BoundWrite(_events_statement(len(rows), columns, on_postgresql()), rows_params("event", columns, rows),
                      kept=len(rows) <= SHAPE_ROWS)


@per_shape
def _events_statement(count: int, columns: tuple[str, ...], _postgres: bool) -> Any:
    return rows_insert(Event.__table__, columns, count, "event")


def first_event_row(event: NewEvent) -> dict[str, Any]:
    """The columns of the first event of a new item (it has no event yet: the chain starts), hashed
    as ``record_event`` hashes it, and remembered as the end of the item's chain in this
    transaction; for a caller that writes it in a statement of its own (the intake writes a new
    item and its first event in one INSERT) without an ORM object."""
    row = _event_row(event, 1, "")
    db.session.info.setdefault(_CHAIN_TAILS, {})[event.feedback_id] = (1, row["hash"])
    return row


def _event_row(e: NewEvent, seq: int, prev: str) -> dict[str, Any]:
    """The columns of ``e`` as the ``seq``-th event of its item, chained to ``prev``, with its hash."""
    row: dict[str, Any] = dict(feedback_id=e.feedback_id, seq=seq, action=e.action.value, actor=str(e.actor),
                               actor_user_id=e.actor.user_id, at=e.at, before=e.before, after=e.after,
                               locality_id=e.locality_id, topic_id=e.topic_id, unit_id=e.unit_id,
                               public=e.public, prev_hash=prev)
    row["hash"] = event_hash(event_payload(feedback_id=e.feedback_id, seq=seq, action=row["action"],
                                           actor=row["actor"], at=e.at, before=e.before, after=e.after,
                                           prev_hash=prev))
    return row


def chain_ends(feedback_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """The (seq, hash) of the latest event of each item of ``feedback_ids`` that has one, in one
    statement (a range of the (feedback_id, seq) index per item)."""
    if not feedback_ids:
        return {}
    latest = (
        select(Event.feedback_id, func.max(Event.seq).label("seq"))
        .where(among(Event.feedback_id, feedback_ids))
        .group_by(Event.feedback_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Event.feedback_id, Event.seq, Event.hash)
        .join(latest, (Event.feedback_id == latest.c.feedback_id) & (Event.seq == latest.c.seq))
    ).all()
    return {row.feedback_id: (row.seq, row.hash) for row in rows if row.feedback_id is not None}


def chain_end_columns(feedback_id: Any) -> tuple[Any, Any]:
    """Scalar subqueries of the (seq, hash) of the latest event of ``feedback_id`` (a column or a
    value): a caller that reads an item can read its chain's end in the same statement and pass
    it to ``remember_chain_end``."""
    latest = select(Event.seq, Event.hash).where(Event.feedback_id == feedback_id).order_by(Event.seq.desc()).limit(1)
    return (latest.with_only_columns(Event.seq).scalar_subquery(),
            latest.with_only_columns(Event.hash).scalar_subquery())


def remember_chain_end(feedback_id: int, seq: int | None, hash_: str | None) -> None:
    """Tell ``record_event`` the end of the item's chain as just read (None, None: no event yet),
    in this transaction: its next event is chained to it without reading it again."""
    db.session.info.setdefault(_CHAIN_TAILS, {})[feedback_id] = (seq or 0, hash_ or "")


# The last (seq, hash) of each item's chain written in the session's current transaction, so that
# a use case writing several events of one item (routing writes two) reads the chain's end once.
# Forgotten whenever a transaction or savepoint ends, committed or rolled back: the next event
# reads the end from the database again.
_CHAIN_TAILS = "audit_chain_tails"


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_chain_tails(session: Session, transaction: SessionTransaction) -> None:
    # A flush runs in a subtransaction of its own: its end changes nothing of the chain.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_CHAIN_TAILS, None)


def verify_chain(feedback_id: int) -> bool:
    """True when every event of the item still hashes to what was recorded and links to its predecessor."""
    prev = ""
    for event in db.session.scalars(select(Event).where(Event.feedback_id == feedback_id).order_by(Event.seq)):
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return False
        prev = event.hash
    return True
