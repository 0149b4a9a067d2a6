"""Staff accounts, their roles and memberships of units or Front committees."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.domain.access import Role
from feedback.extensions import Model
from feedback.models.directory import Locality, Unit
from feedback.models.types import UTCDateTime, str_enum, utcnow

__all__ = ["Membership", "Role", "User"]  # Role is defined in the domain (access rules)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every session and remember-me cookie carries the version it was made with (get_id); logout
    # and a password change bump it, which ends every session of the user at its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Failed logins since the last successful one: told to the owner at the next login.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative token: "<id>:<session_version>" (see feedback.auth.sessions)."""
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> set[Role]:
        return {m.role for m in self.memberships}

    def has_role(self, role: Role) -> bool:
        return role in self.roles


class Membership(Model):
    """User ↔ unit or Front committee, with a role and a territory (locality subtree)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="uq_membership_user_role_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit | None] = relationship()
    territory: Mapped[Locality | None] = relationship()
