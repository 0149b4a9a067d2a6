"""Imports that run in the worker: the stored upload, its progress and its outcome."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime, str_enum, utcnow


class ImportStatus(StrEnum):
    PENDING = "pending"  # stored, waiting for the worker
    RUNNING = "running"  # claimed by a worker: rows_done grows
    DONE = "done"  # every rule stored
    FAILED = "failed"  # the file had problems (``errors``): nothing stored


class ImportJob(Model):
    """One routing-rules CSV file imported by the worker (large files; small ones import at once).

    ``content`` is the decoded text of the upload; ``errors`` the first problems as displayed
    ("Dòng 3: ..."), ``error_count`` all of them. Progress is ``rows_done`` of ``rows_total``.
    """

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="routing_rules")
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.PENDING, index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
