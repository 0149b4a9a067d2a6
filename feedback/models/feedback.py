"""One feedback item and what hangs on it: attachments, assignments to units, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, column, event, func, inspect, text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.domain.assignments import EndReason
from feedback.domain.status import Channel, Kind, Origin, Status
from feedback.extensions import Model
from feedback.models.directory import Locality, RoutingRule, Topic, Unit
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum, utcnow


class Feedback(Model):
    """An item sent by a resident. Personal data lives only here and is never shown publicly."""

    __tablename__ = "feedback"
    __table_args__ = (
        # The sweep looks for items stranded in `received`.
        Index("ix_feedback_status_received_at", "status", "received_at"),
        # Newest first, for everyone and per unit (staff lists).
        Index("ix_feedback_received_at", "received_at"),
        Index("ix_feedback_unit_received_at", "current_unit_id", "received_at"),
        # A place's items of some days: a hot spot's items (its commune and villages, its weeks),
        # a probe per place; on the place alone the days were read for every place (migration 0032).
        Index("ix_feedback_locality_received_at", "locality_id", "received_at"),
        # The administrator's search (part of the title, or of the code without its dashes) over
        # the whole history: trigram indexes (PostgreSQL's pg_trgm, migration 0034), where LIKE
        # '%…%' read every item (5.8 s at 1,000,000 items).
        Index("ix_feedback_title_trgm", "title", postgresql_using="gin",
              postgresql_ops={"title": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_feedback_code_trgm", func.replace(column("code"), "-", "").label("code_compact"),
              postgresql_using="gin", postgresql_ops={"code_compact": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # The unit inbox and its counts read the open items a unit holds, never its history
        # (issue #11): the statuses of ``feedback.services.workspace.inbox.OPEN_STATUSES``.
        Index(
            "ix_feedback_open_unit",
            "current_unit_id",
            "received_at",
            postgresql_where=text("status IN ('assigned', 'in_progress')"),
            sqlite_where=text("status IN ('assigned', 'in_progress')"),
        ),
        # The inbox's counts per status of a unit's items (answered, closed, rejected: capped
        # counts over its history) read this index only; a status tab's page (nearest clock
        # first) and its "due soon" counts read it in order (migration 0033: on the unit and the
        # status only, the answered tab sorted every answered item of the unit for 25 rows).
        Index("ix_feedback_unit_status", "current_unit_id", "status", "next_due_at", "received_at", "id"),
        # The inbox's counts of a unit's open items by kind, topic, place, officer and origin
        # read this index only (PostgreSQL; issue #11: 10-75 ms each from the table at 10 M items),
        # the overdue ones too (their ids: ``id`` included, migration 0023).
        Index(
            "ix_feedback_open_facets",
            "current_unit_id",
            "status",
            postgresql_include=["origin", "kind", "topic_id", "locality_id", "assigned_officer_id", "received_at",
                                "id"],
            postgresql_where=text("status IN ('assigned', 'in_progress')"),
            sqlite_where=text("status IN ('assigned', 'in_progress')"),
        ),
        # The inbox's order, nearest running clock first: its first page is a top-N read of one
        # unit's open items (issue #11 d), not a sort of all of them (migration 0023). With the
        # status (PostgreSQL, migration 0027), "due soon" in a status tab reads this index only.
        Index(
            "ix_feedback_open_next_due",
            "current_unit_id",
            "next_due_at",
            "received_at",
            "id",
            postgresql_include=["status"],
            postgresql_where=text("status IN ('assigned', 'in_progress')"),
            sqlite_where=text("status IN ('assigned', 'in_progress')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set right after the row gets its id (the id is the code's sequence number).
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    # sha256 of the resident's secret token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Recognises a repeated POST (double click, reload) so it makes one item: never the form's key
    # itself but the digest of key, sender's session and content (feedback.domain.repeats).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    complaint_round: Mapped[int] = mapped_column(Integer, default=1)
    is_complex: Mapped[bool] = mapped_column(Boolean, default=False)
    several_places: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    submitter_name: Mapped[str | None] = mapped_column(String(120))
    submitter_phone: Mapped[str | None] = mapped_column(String(32))
    submitter_email: Mapped[str | None] = mapped_column(String(255))
    consent_share_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.WEB)
    # A link to a photo or video the sender gave instead of a file (Open311 ``media_url``): stored
    # as given, shown to staff as a link, never fetched, never public.
    media_url: Mapped[str | None] = mapped_column(String(2048))
    # A resident's item, or a supervision recommendation carried through the unit's hands
    # (feedback.models.recommendations): resident pages, routing and resident figures take only
    # the first.
    origin: Mapped[Origin] = mapped_column(str_enum(Origin), default=Origin.RESIDENT,
                                           server_default=Origin.RESIDENT.value)
    # The language the resident used ("vi", "en"; None before it was recorded): their emails use it.
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[Status] = mapped_column(str_enum(Status), default=Status.RECEIVED)
    current_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id"))
    routing_explanation: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Handling (feedback.services.handling): the officer the unit head gave it to, when the unit
    # accepted it (thụ lý), the item it duplicates (when refused as a duplicate), and the latest
    # published answer: when, and by which unit (frozen: the unit of that moment).
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The due time of the item's nearest running clock (not met, closed or paused); None when
    # none runs. Written only by triggers on ``deadline`` (migration 0023), in the transaction
    # that changes a clock: never set it here. The unit inbox orders by it.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    locality: Mapped[Locality] = relationship()
    topic: Mapped[Topic] = relationship()
    current_unit: Mapped[Unit | None] = relationship(foreign_keys=[current_unit_id])
    routing_rule: Mapped[RoutingRule | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="feedback", order_by="Attachment.id")
    deadlines: Mapped[list[Deadline]] = relationship(back_populates="feedback", order_by="Deadline.id")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="feedback", order_by="Assignment.id")


class Attachment(Model):
    """A file sent with an item, stored outside the web root under a random name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(NAME)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set for a file of the unit's answer; None for the resident's own files.
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), index=True)

    feedback: Mapped[Feedback] = relationship(back_populates="attachments")


class Assignment(Model):
    """Which unit holds the item and since when. A transfer ends one and opens the next."""

    __tablename__ = "assignment"
    __table_args__ = (
        # At most one open assignment per item: a second routing run cannot assign twice.
        Index(
            "uq_assignment_open_per_feedback",
            "feedback_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id"))
    explanation: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason, 32))
    # The unit's own words when it ended the assignment (e.g. why it is not its competence).
    end_reason_text: Mapped[str | None] = mapped_column(Text)

    feedback: Mapped[Feedback] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()


# The clocks the deadline scan may wake: running (not met, closed or paused), not yet breached,
# with a next notice (the predicate of ix_deadline_wake; the scan's own conditions).
_WAKE = ("notify_at IS NOT NULL AND met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL "
         "AND breached_at IS NULL")


class Deadline(Model):
    """One clock of an item: its legal basis, day type, start, due time, pauses, met or breached.

    ``closed_at`` is set when the clock stops (met, superseded or the item closed); open clocks are
    scanned through the partial index on ``due_at``. ``breached_at`` is a recorded fact: calendar
    changes recompute ``due_at`` of open clocks but never rewrite a breach. Open, unbreached
    clocks are scanned through the partial index on ``due_at``.
    """

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("feedback_id", "clock", "sequence", name="uq_deadline_clock"),
        # The reminder scan reads clocks still running and not yet breached, by due time: its
        # cost follows the number of items coming due, not all items or all overdue ones.
        Index(
            "ix_deadline_open_due",
            "due_at",
            postgresql_where=text("closed_at IS NULL AND breached_at IS NULL"),
            sqlite_where=text("closed_at IS NULL AND breached_at IS NULL"),
        ),
        # The deadline scan's only read: the running clocks whose next notice has come, in its
        # (notify_at, id) order (issue #11). A tick costs what falls due in it, not what is open
        # inside the reminder window; partial on exactly the scan's conditions, so that the planner
        # needs no other index for them (migration 0028).
        Index(
            "ix_deadline_wake",
            "notify_at",
            "id",
            postgresql_where=text(_WAKE),
            sqlite_where=text(_WAKE),
        ),
        # An item's running clocks by due time: the inbox's "nearest clock" order and its
        # "due soon" count read this index only, not the deadline rows (issue #11).
        Index(
            "ix_deadline_running_item",
            "feedback_id",
            "due_at",
            postgresql_where=text("met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL"),
            sqlite_where=text("met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL"),
        ),
        # The running clocks by due time: the inbox's "due soon" reads those due within two
        # working days as one set (for the items whose nearest clock is already past), not every
        # running clock (migration 0023).
        Index(
            "ix_deadline_running_due",
            "due_at",
            "feedback_id",
            postgresql_where=text("met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL"),
            sqlite_where=text("met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Read by item through uq_deadline_clock (feedback_id first), the cascade from feedback too.
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    clock: Mapped[str] = mapped_column(SHORT)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    legal_basis: Mapped[str] = mapped_column(Text)
    day_type: Mapped[str] = mapped_column(String(16))
    period_days: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the deadline scan next has something to do for this clock (a reminder or the breach):
    # never later than that instant, possibly earlier; None once nothing is left (stopped, paused,
    # breached). Set to ``first_wake`` when the row is written and whenever its due time or state
    # changes (the default and the listener below); the scan moves it to the exact next instant
    # (``feedback.domain.reminders.next_notice_at``). A core UPDATE that changes ``due_at``,
    # ``paused_at``, ``met_at``, ``closed_at`` or ``breached_at`` must set it too.
    notify_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=lambda ctx: _default_wake(ctx))

    feedback: Mapped[Feedback] = relationship(back_populates="deadlines")
    unit: Mapped[Unit | None] = relationship()


# How long before its due time a clock is first looked at by the scan: longer than any run of two
# working days back from a due day (Tết and its weekends are under two weeks), so no reminder is
# late; the scan then knows the exact instant of the first reminder and waits for it.
FIRST_WAKE_BEFORE_DUE = timedelta(days=31)
# The columns whose change moves the next notice of a clock.
_NOTICE_FACTS = ("due_at", "paused_at", "met_at", "closed_at", "breached_at")


def first_wake(due_at: datetime | None, *, paused_at: datetime | None = None, met_at: datetime | None = None,
               closed_at: datetime | None = None, breached_at: datetime | None = None) -> datetime | None:
    """The ``notify_at`` of a clock with these facts before the scan has seen it: ``due_at`` less
    ``FIRST_WAKE_BEFORE_DUE`` while it runs (open, unpaused, unbreached), else None."""
    if due_at is None or any(x is not None for x in (paused_at, met_at, closed_at, breached_at)):
        return None
    return due_at - FIRST_WAKE_BEFORE_DUE


def _default_wake(context: DefaultExecutionContext) -> datetime | None:
    row: dict[str, Any] = context.get_current_parameters()
    due = row.get("due_at")
    if isinstance(due, datetime) and due.tzinfo is None:  # SQLite's bound form of UTCDateTime
        due = due.replace(tzinfo=UTC)
    return first_wake(due, **{k: row.get(k) for k in _NOTICE_FACTS[1:]})


@event.listens_for(Deadline, "before_update")
def _rewake(_mapper: Any, _connection: Any, deadline: Deadline) -> None:
    """A clock whose due time or state changed through the ORM is looked at again from ``first_wake``."""
    state = inspect(deadline)
    if any(state.attrs[name].history.has_changes() for name in _NOTICE_FACTS):
        deadline.notify_at = first_wake(deadline.due_at, paused_at=deadline.paused_at, met_at=deadline.met_at,
                                        closed_at=deadline.closed_at, breached_at=deadline.breached_at)
