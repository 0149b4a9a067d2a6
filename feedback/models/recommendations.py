"""Supervision recommendations (kiến nghị sau giám sát, BTTND kiến nghị).

A recommendation travels through the unit's inbox as a ``Feedback`` row of origin
``supervision`` (its title, text, files, clock, answer and audit chain are that item's), so the
unit answers it through the same draft and approval path as a resident's item. This row says
what only a recommendation has: who issued it and as which body, the unit it is addressed to
(frozen code and name, as an answer freezes them), and the resident item it is about, if any.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.domain.recommendations import RecommendationSource
from feedback.extensions import Model
from feedback.models.directory import Unit
from feedback.models.feedback import Feedback
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum, utcnow
from feedback.models.users import User


class Recommendation(Model):
    """One recommendation: ``feedback_id`` is the item that carries it through the unit's hands."""

    __tablename__ = "recommendation"
    __table_args__ = (
        # Counts per unit and period (issued), and the unit's list.
        Index("ix_recommendation_unit_issued_at", "unit_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), unique=True)
    source: Mapped[RecommendationSource] = mapped_column(str_enum(RecommendationSource, 16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    unit_code: Mapped[str] = mapped_column(SHORT)
    unit_name: Mapped[str] = mapped_column(NAME)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The Front committee (or other unit) of the issuer's membership, when it names one.
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    about_feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Feedback] = relationship(foreign_keys=[feedback_id])
    about: Mapped[Feedback | None] = relationship(foreign_keys=[about_feedback_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    issuer_unit: Mapped[Unit | None] = relationship(foreign_keys=[issuer_unit_id])
    issuer: Mapped[User] = relationship()
