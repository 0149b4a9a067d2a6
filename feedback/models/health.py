"""The worker's heartbeats, read by the health check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime, utcnow


class WorkerHeartbeat(Model):
    """Last time a periodic job ran; /healthz reads the beat's age from here."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
