"""The directory: localities, topics, responsible units and routing rules."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.domain.paths import ids_of
from feedback.domain.status import Kind
from feedback.extensions import Model
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum, utcnow


class LocalityLevel(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    VILLAGE = "village"

    @property
    def depth(self) -> int:
        return {"province": 1, "commune": 2, "village": 3}[self.value]


class Locality(Model):
    """A node of the administrative tree: province → commune (xã, phường, đặc khu) → village.

    ``kind`` and ``name`` are data from the source ("Tỉnh" became "Thành phố" in 2026);
    ``search_name`` is the folded name for accent-insensitive search; ``path`` is the chain of
    ids from the province, "/1/7/", so that a subtree is a prefix query.
    """

    __tablename__ = "locality"
    __table_args__ = (Index("ix_locality_parent_name", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(SHORT)
    level: Mapped[LocalityLevel] = mapped_column(str_enum(LocalityLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="", index=True)
    search_name: Mapped[str] = mapped_column(NAME, default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    ethnic_minority_area: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Locality | None] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return self.level.depth

    def ancestor_ids(self) -> tuple[int, ...]:
        """Ids from the province down to this locality (inclusive)."""
        return ids_of(self.path)

    def __repr__(self) -> str:
        return f"<Locality {self.code} {self.name}>"


class Topic(Model):
    """A subject area (lĩnh vực), with an optional resolution period for comment-like kinds."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(NAME)
    # Shown on English pages; pages fall back to the Vietnamese name when there is none.
    name_en: Mapped[str | None] = mapped_column(NAME)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="")
    depth: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    default_kind: Mapped[Kind | None] = mapped_column(str_enum(Kind))
    # Service-level override for góp ý, phản ánh, kiến nghị (local quy chế); working days.
    resolution_working_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Topic | None] = relationship(remote_side=[id])

    def ancestor_ids(self) -> tuple[int, ...]:
        return ids_of(self.path)


class UnitKind(StrEnum):
    COMMUNE_COMMITTEE = "commune_committee"  # UBND xã/phường/đặc khu
    PROVINCE_COMMITTEE = "province_committee"  # UBND tỉnh/thành phố
    DEPARTMENT = "department"  # sở, ban, ngành
    SERVICE_CENTRE = "service_centre"
    UTILITY = "utility"
    FRONT_COMMITTEE = "front_committee"  # Ủy ban MTTQ
    OTHER = "other"


class Unit(Model):
    """A body responsible for answering (or, for Front committees, for watching)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # The locality the unit is based in and serves (a commune for UBND xã, the province for a department).
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    locality: Mapped[Locality | None] = relationship()


class RoutingRule(Model):
    """(locality subtree, topic subtree, kind or any) → unit, valid between two dates (inclusive)."""

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    kind: Mapped[Kind | None] = mapped_column(str_enum(Kind))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    locality: Mapped[Locality | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    unit: Mapped[Unit] = relationship()

