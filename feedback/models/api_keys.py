"""Keys of the Open311 API: issued to a client (another city's app, a 311 client), revoked by an
administrator. Only the key's SHA-256 digest is stored; the key itself is shown once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime, utcnow


class ApiKey(Model):
    """One client's key. ``name`` is unique among keys not revoked (a revoked name may be issued
    again); ``rate_limit`` overrides the deployment's per-key limit ("60 per minute")."""

    __tablename__ = "api_key"
    __table_args__ = (
        Index("uq_api_key_active_name", "name", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    # sha256 of the key: the key has 256 random bits, so a plain digest cannot be reversed.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, to tell keys apart on the administrators' page.
    prefix: Mapped[str] = mapped_column(String(12))
    rate_limit: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(120))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
