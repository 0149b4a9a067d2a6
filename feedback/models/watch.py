"""What the Front watches beyond the figures: hot spots found by the daily check, and the monthly
briefing reports (giao ban) kept as generated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.models.directory import Locality, Topic, Unit
from feedback.models.types import UTCDateTime, utcnow


class HotSpot(Model):
    """One surge of items of one topic in one commune (``feedback.domain.hotspots``), from the day
    it was first found to the last day the daily check still found it.

    The pair and its first day are unique: two checks running at once make one row, and the
    committee's notification is keyed on the row (told once). The counts are those of the latest
    check that found it; ``peak_count`` the highest 7-day count seen.
    """

    __tablename__ = "hot_spot"
    __table_args__ = (
        UniqueConstraint("locality_id", "topic_id", "started_on", name="uq_hot_spot_pair_start"),
        Index("ix_hot_spot_last_seen_on", "last_seen_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    started_on: Mapped[date] = mapped_column(Date)
    last_seen_on: Mapped[date] = mapped_column(Date)
    recent_count: Mapped[int] = mapped_column(Integer)
    baseline_count: Mapped[int] = mapped_column(Integer)
    peak_count: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    locality: Mapped[Locality] = relationship()
    topic: Mapped[Topic] = relationship()


class BriefingReport(Model):
    """The monthly briefing report (giao ban) of one territory for one month, as generated.

    ``data`` is the snapshot the HTML page and the XLSX file are drawn from (figures, ranking,
    overdue list, hot spots, recommendations), so a later rename or recount never changes a report
    that was handed out. One per (territory, month): the beat task never makes a second one.
    """

    __tablename__ = "briefing_report"
    __table_args__ = (UniqueConstraint("territory_id", "month", name="uq_briefing_report_territory_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("locality.id"))
    # The first day of the month reported on.
    month: Mapped[date] = mapped_column(Date)
    committee_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    territory: Mapped[Locality] = relationship()
    committee: Mapped[Unit | None] = relationship()
