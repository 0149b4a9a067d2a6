"""Test data: a small directory (one province, two communes, villages, topics, units) and items.

Functions, not fixtures, so that every test states what it builds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from feedback.domain.paths import child_path
from feedback.domain.status import Kind, Status
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Feedback, Locality, LocalityLevel, Topic, Unit, UnitKind
from feedback.models.users import Membership, Role, User
from tests.times import TUESDAY_MORNING


def add_locality(code: str, name: str, kind: str, level: LocalityLevel, parent: Locality | None = None,
                 remote: bool = False) -> Locality:
    loc = Locality(code=code, name=name, kind=kind, level=level, parent=parent, remote=remote,
                   search_name=fold(name))
    db.session.add(loc)
    db.session.flush()
    loc.path = child_path(parent.path if parent else None, loc.id)
    return loc


def add_topic(code: str, name: str, parent: Topic | None = None, **extra: object) -> Topic:
    topic = Topic(code=code, name=name, parent=parent, depth=(parent.depth + 1) if parent else 1, **extra)
    db.session.add(topic)
    db.session.flush()
    topic.path = child_path(parent.path if parent else None, topic.id)
    return topic


def add_unit(code: str, name: str, kind: UnitKind, locality: Locality | None = None,
             parent: Unit | None = None, email: str | None = None) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, locality=locality, parent=parent,
                email=email or f"{code.lower()}@example.test")
    db.session.add(unit)
    db.session.flush()
    return unit


@dataclass
class Directory:
    province: Locality
    ha_tu: Locality
    van_don: Locality
    village: Locality
    remote_village: Locality
    environment: Topic
    waste: Topic
    land: Topic
    other: Topic
    province_committee: Unit
    ubnd_ha_tu: Unit
    ubnd_van_don: Unit
    environment_dept: Unit
    front_province: Unit
    front_ha_tu: Unit
    extra: dict[str, object] = field(default_factory=dict)


def make_directory() -> Directory:
    """Quảng Ninh (22) → Phường Hà Tu (06652) → Tổ 1; Đặc khu Vân Đồn (06994) → Thôn Đài Van (remote)."""
    province = add_locality("22", "Thành phố Quảng Ninh", "thành phố", LocalityLevel.PROVINCE)
    ha_tu = add_locality("06652", "Phường Hà Tu", "phường", LocalityLevel.COMMUNE, province)
    van_don = add_locality("06994", "Đặc khu Vân Đồn", "đặc khu", LocalityLevel.COMMUNE, province)
    village = add_locality("06652-001", "Tổ dân phố 1", "tổ dân phố", LocalityLevel.VILLAGE, ha_tu)
    remote_village = add_locality("06994-001", "Thôn Đài Van", "thôn", LocalityLevel.VILLAGE, van_don, remote=True)
    environment = add_topic("moi-truong", "Môi trường")
    waste = add_topic("moi-truong.rac-thai", "Rác thải", environment)
    land = add_topic("dat-dai", "Đất đai và giải phóng mặt bằng")
    other = add_topic("khac", "Khác")
    province_committee = add_unit("UBND-22", "UBND Thành phố Quảng Ninh", UnitKind.PROVINCE_COMMITTEE, province)
    ubnd_ha_tu = add_unit("UBND-06652", "UBND Phường Hà Tu", UnitKind.COMMUNE_COMMITTEE, ha_tu, province_committee)
    ubnd_van_don = add_unit("UBND-06994", "UBND Đặc khu Vân Đồn", UnitKind.COMMUNE_COMMITTEE, van_don,
                            province_committee)
    environment_dept = add_unit("SNNMT-22", "Sở Nông nghiệp và Môi trường", UnitKind.DEPARTMENT, province,
                                province_committee)
    front_province = add_unit("MTTQ-22", "Ủy ban MTTQ Việt Nam Thành phố Quảng Ninh", UnitKind.FRONT_COMMITTEE,
                              province)
    front_ha_tu = add_unit("MTTQ-06652", "Ủy ban MTTQ Việt Nam Phường Hà Tu", UnitKind.FRONT_COMMITTEE, ha_tu,
                           front_province)
    return Directory(province, ha_tu, van_don, village, remote_village, environment, waste, land, other,
                     province_committee, ubnd_ha_tu, ubnd_van_don, environment_dept, front_province, front_ha_tu)


def make_feedback(directory: Directory, *, kind: Kind = Kind.REPORT, locality: Locality | None = None,
                  topic: Topic | None = None, status: Status = Status.RECEIVED,
                  received_at: datetime = TUESDAY_MORNING, title: str = "Rác thải tồn đọng",
                  **extra: object) -> Feedback:
    """An item inserted directly (bypassing the form), with a valid-looking code."""
    item = Feedback(
        kind=kind,
        title=title,
        body="Rác không được thu gom ba ngày nay.",
        locality=locality or directory.village,
        topic=topic or directory.waste,
        status=status,
        received_at=received_at,
        token_hash=secrets.token_hex(32),
        submitter_name="Nguyễn Văn A" if kind.needs_identity else None,
        submitter_phone="0912345678" if kind.needs_identity else None,
        **extra,
    )
    db.session.add(item)
    db.session.flush()
    item.code = f"QN-26-{item.id:06d}-X"
    return item


def make_user(username: str, role: Role, password: str = "mat-khau-dung-1", unit: Unit | None = None,
              territory: Locality | None = None) -> User:
    from feedback.services.accounts.passwords import hash_password

    user = User(username=username, password_hash=hash_password(password), full_name=username)
    user.memberships.append(Membership(role=role, unit=unit, territory=territory))
    db.session.add(user)
    db.session.flush()
    return user
