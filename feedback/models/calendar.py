"""The working calendar's administrator overrides (the holidays themselves come from ``holidays``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime, utcnow


class CalendarOverride(Model):
    """An administrator's change to the public-holiday calendar: an extra day off or a worked day."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    is_day_off: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
