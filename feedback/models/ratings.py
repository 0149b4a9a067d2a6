"""The resident's judgement: one rating per answer cycle, and the reopenings of unsatisfied items.

Both are facts with timestamps, attributed to the unit that published the answer as it was at
that moment (id, code and name copied from the Answer: a later rename or transfer changes
nothing), and indexed by (unit, time) so statistics count them per unit and period without
rescanning events (DESIGN.md §6).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.domain.satisfaction import Reason
from feedback.extensions import Model
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum, utcnow


class Rating(Model):
    """The resident's rating of the answer of one cycle: score 1..5, a reason below 3, an
    optional comment. Changed in place within 7 days (``changed_at``); ``rated_at`` stays the
    first time it was given."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("feedback_id", "cycle", name="uq_rating_cycle"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_rating_unit_rated_at", "unit_id", "rated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[Reason | None] = mapped_column(str_enum(Reason))
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    unit_code: Mapped[str] = mapped_column(SHORT)
    unit_name: Mapped[str] = mapped_column(NAME)


class Reopening(Model):
    """An unsatisfied resident reopened the answer of ``cycle``: the item went back to ``unit``
    (the one that answered) for a new answer cycle. One per cycle."""

    __tablename__ = "reopening"
    __table_args__ = (
        UniqueConstraint("feedback_id", "cycle", name="uq_reopening_cycle"),
        Index("ix_reopening_unit_reopened_at", "unit_id", "reopened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[Reason | None] = mapped_column(str_enum(Reason))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    unit_code: Mapped[str] = mapped_column(SHORT)
    unit_name: Mapped[str] = mapped_column(NAME)
