"""A unit's handling of an item: answers (one per answer cycle, with its approval), requests for
more information, internal notes and extension requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.domain.handling import DraftStatus
from feedback.extensions import Model
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum, utcnow


class Answer(Model):
    """The unit's answer of one cycle (1, then one more per reopening): drafted by an officer,
    submitted, approved and published by the unit head (or returned with a comment).

    ``version`` grows with every write: an officer saves against the version they read, so two
    officers drafting at once cannot overwrite each other (the second is told). Once published,
    ``unit_id``/``unit_code``/``unit_name`` are the unit as it was at that moment, frozen for
    ratings and statistics.
    """

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("feedback_id", "cycle", name="uq_answer_cycle"),
        # The public answered items, newest first, all of them or one unit's (migration 0031).
        Index("ix_answer_published", "published_at", "id",
              postgresql_where=text("status = 'published'"), sqlite_where=text("status = 'published'")),
        Index("ix_answer_unit_published", "unit_code", "published_at", "id",
              postgresql_where=text("status = 'published'"), sqlite_where=text("status = 'published'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[DraftStatus] = mapped_column(str_enum(DraftStatus), default=DraftStatus.DRAFT)
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_comment: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    unit_code: Mapped[str] = mapped_column(SHORT)
    unit_name: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InfoRequest(Model):
    """The unit asks the resident for more information; the clocks pause until the answer."""

    __tablename__ = "info_request"
    __table_args__ = (
        # One open request per item at a time.
        Index(
            "uq_info_request_open_per_feedback",
            "feedback_id",
            unique=True,
            postgresql_where=text("answered_at IS NULL"),
            sqlite_where=text("answered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Note(Model):
    """An internal note of the unit on an item: never shown to the resident or the public."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExtensionRequest(Model):
    """An officer asks for more time with a reason; the unit head grants or refuses it.

    ``outcome`` is None while pending, then "granted" or "refused"; ``due_at`` is the new due
    date when granted.
    """

    __tablename__ = "extension_request"
    __table_args__ = (
        Index(
            "uq_extension_request_pending_per_feedback",
            "feedback_id",
            unique=True,
            postgresql_where=text("decided_at IS NULL"),
            sqlite_where=text("decided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    complexity: Mapped[str | None] = mapped_column(String(24))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
