"""Managing staff accounts: create one with its membership, change a password, list them.

Authentication itself lives in feedback.services.accounts.passwords; this module is what the
``flask users`` commands (and later the administrators' pages) call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Membership, Role, Unit, UnitKind, User
from feedback.services.accounts.passwords import hash_password

# Long passphrases beat complex short ones (NIST SP 800-63B §5.1.1.2 asks for at least 8;
# staff accounts see residents' personal data, so a little more).
MIN_PASSWORD_LENGTH = 10
MAX_USERNAME_LENGTH = 64  # models.users.User.username


class AccountError(ValueError):
    """The account cannot be created or changed; ``str()`` is a Vietnamese message for the user."""


class WeakPassword(AccountError):
    """The password is shorter than MIN_PASSWORD_LENGTH."""


@dataclass(frozen=True)
class UserSummary:
    """One line of ``list_users``."""

    username: str
    full_name: str
    active: bool
    roles: tuple[str, ...]
    units: tuple[str, ...]
    territories: tuple[str, ...]
    last_login_at: datetime | None


def check_password(password: str) -> None:
    """Raise ``WeakPassword`` unless ``password`` has at least MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(_("Mật khẩu quá yếu: cần ít nhất %(min)d ký tự.", min=MIN_PASSWORD_LENGTH))


def create_user(username: str, role: Role, *, password: str, now: datetime, unit_code: str | None = None,
                territory_code: str | None = None, full_name: str = "", email: str | None = None) -> User:
    """Create an active account with one membership, and commit.

    Rules: officers and unit heads belong to a unit; a Front monitor needs a Front committee
    or a territory (the committee's locality when only the committee is given); a member of
    the People's Inspection Board needs a territory. Raises ``WeakPassword``, or
    ``AccountError`` when the username is taken or empty, a code is unknown or a rule above is
    broken; nothing is written then. Not idempotent: a second call with the same username raises.
    """
    username = username.strip()
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise AccountError(_("Tên đăng nhập phải có từ 1 đến %(max)d ký tự.", max=MAX_USERNAME_LENGTH))
    check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("Tên đăng nhập %(username)s đã có.", username=username))
    unit = _unit(unit_code) if unit_code else None
    territory = _locality(territory_code) if territory_code else None
    if role in (Role.OFFICER, Role.UNIT_HEAD) and unit is None:
        raise AccountError(_("Cán bộ và lãnh đạo đơn vị phải thuộc một đơn vị."))
    if role == Role.FRONT_MONITOR:
        if unit is not None and unit.kind != UnitKind.FRONT_COMMITTEE:
            raise AccountError(_("%(unit)s không phải Ủy ban MTTQ.", unit=unit.name))
        territory = territory or (unit.locality if unit is not None else None)
        if territory is None:
            raise AccountError(_("Cán bộ MTTQ cần một Ủy ban MTTQ hoặc một địa bàn."))
    if role == Role.INSPECTION_BOARD and territory is None:
        raise AccountError(_("Thành viên Ban Thanh tra nhân dân cần một địa bàn."))
    if role == Role.INSPECTION_BOARD and territory is not None and territory.level is LocalityLevel.PROVINCE:
        # The Board is elected per thôn and watches its commune (domain.access); a province-wide
        # member would log in to pages that all refuse them.
        raise AccountError(_("Ban Thanh tra nhân dân thuộc một xã, phường hoặc thôn: hãy chọn địa bàn cấp xã hoặc thôn."))

    user = User(username=username, password_hash=hash_password(password), full_name=full_name, email=email,
                active=True, created_at=now)
    user.memberships.append(Membership(role=role, unit=unit, territory=territory))
    db.session.add(user)
    db.session.commit()
    return user


def set_password(username: str, password: str) -> None:
    """Replace the password of ``username`` and commit.

    Every session and remember-me cookie of the user ends (its session version is bumped).
    Raises ``WeakPassword``, or ``AccountError`` when there is no such user. Idempotent in
    effect: the same password set twice still verifies (the hash differs, its salt is new).
    """
    check_password(password)
    user = db.session.scalars(select(User).where(User.username == username.strip())).one_or_none()
    if user is None:
        raise AccountError(_("Không có tài khoản %(username)s.", username=username))
    user.password_hash = hash_password(password)
    # The old password may be known to someone else: every session and remember-me cookie ends.
    user.session_version += 1
    db.session.commit()


def list_users() -> list[UserSummary]:
    """Every account by username, with roles, unit names and territory names (three queries)."""
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.unit),
                 selectinload(User.memberships).selectinload(Membership.territory))
        .order_by(User.username)
    )
    return [
        UserSummary(
            username=user.username,
            full_name=user.full_name,
            active=user.active,
            roles=tuple(m.role.value for m in user.memberships),
            units=tuple(m.unit.name for m in user.memberships if m.unit is not None),
            territories=tuple(m.territory.name for m in user.memberships if m.territory is not None),
            last_login_at=user.last_login_at,
        )
        for user in users
    ]


def _unit(code: str) -> Unit:
    unit = db.session.scalars(select(Unit).where(Unit.code == code.strip())).one_or_none()
    if unit is None:
        raise AccountError(_("Không có đơn vị mã %(code)s.", code=code))
    return unit


def _locality(code: str) -> Locality:
    locality = db.session.scalars(select(Locality).where(Locality.code == code.strip())).one_or_none()
    if locality is None:
        raise AccountError(_("Không có địa bàn mã %(code)s.", code=code))
    return locality
