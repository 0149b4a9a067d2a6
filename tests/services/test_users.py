"""Staff account management (services.users)."""

from __future__ import annotations


import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Role, User
from feedback.services.accounts.passwords import verify_password
from feedback.services.accounts.users import AccountError, WeakPassword, create_user, list_users, set_password
from tests.factories import make_directory
from tests.times import TUESDAY_MORNING



def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_an_officer_is_created_with_a_hashed_password_and_a_membership(db_session: Session) -> None:
    make_directory()

    user = create_user("canbo.hatu", Role.OFFICER, password="mot-mat-khau-dai", now=TUESDAY_MORNING, unit_code="UBND-06652")

    assert user.password_hash != "mot-mat-khau-dai"
    assert verify_password(user.password_hash, "mot-mat-khau-dai")
    assert [(m.role, m.unit.name) for m in user.memberships] == [(Role.OFFICER, "UBND Phường Hà Tu")]
    assert user.created_at == TUESDAY_MORNING


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_a_password_under_ten_characters_is_refused(db_session: Session, password: str) -> None:
    with pytest.raises(WeakPassword, match="ít nhất 10 ký tự"):
        create_user("admin", Role.ADMIN, password=password, now=TUESDAY_MORNING)
    assert users() == 0


def test_ten_characters_are_enough(db_session: Session) -> None:
    create_user("admin", Role.ADMIN, password="0123456789", now=TUESDAY_MORNING)
    assert users() == 1


@pytest.mark.parametrize(
    ("role", "unit_code", "territory_code"),
    [
        (Role.OFFICER, None, None),  # an officer needs a unit
        (Role.UNIT_HEAD, "NO-SUCH", None),  # unknown unit
        (Role.FRONT_MONITOR, "UBND-06652", None),  # a Front monitor's unit is a Front committee
        (Role.FRONT_MONITOR, None, None),
        (Role.INSPECTION_BOARD, None, "no-such"),
        (Role.INSPECTION_BOARD, None, "22"),  # the Board belongs to a commune, never to the province
    ],
)
def test_memberships_that_make_no_sense_are_refused(db_session: Session, role: Role, unit_code: str | None,
                                                     territory_code: str | None) -> None:
    make_directory()
    with pytest.raises(AccountError):
        create_user("x", role, password="mot-mat-khau-dai", now=TUESDAY_MORNING, unit_code=unit_code,
                    territory_code=territory_code)
    assert users() == 0


def test_a_front_monitor_gets_the_territory_of_its_committee(db_session: Session) -> None:
    directory = make_directory()

    user = create_user("mttq", Role.FRONT_MONITOR, password="mot-mat-khau-dai", now=TUESDAY_MORNING, unit_code="MTTQ-22")

    assert user.memberships[0].territory_id == directory.province.id


def test_a_username_is_unique(db_session: Session) -> None:
    create_user("admin", Role.ADMIN, password="mot-mat-khau-dai", now=TUESDAY_MORNING)
    with pytest.raises(AccountError, match="đã có"):
        create_user(" admin ", Role.ADMIN, password="mot-mat-khau-dai", now=TUESDAY_MORNING)


def test_set_password_replaces_the_hash_and_refuses_weak_ones(db_session: Session) -> None:
    create_user("admin", Role.ADMIN, password="mot-mat-khau-dai", now=TUESDAY_MORNING)

    with pytest.raises(WeakPassword):
        set_password("admin", "ngan")
    set_password("admin", "mat-khau-moi-hon")

    user = db.session.scalars(select(User)).one()
    assert verify_password(user.password_hash, "mat-khau-moi-hon")
    assert not verify_password(user.password_hash, "mot-mat-khau-dai")
    with pytest.raises(AccountError):
        set_password("nobody", "mat-khau-moi-hon")


def test_list_users_names_roles_and_units(db_session: Session) -> None:
    make_directory()
    create_user("b.officer", Role.OFFICER, password="mot-mat-khau-dai", now=TUESDAY_MORNING, unit_code="UBND-06652")
    create_user("a.admin", Role.ADMIN, password="mot-mat-khau-dai", now=TUESDAY_MORNING)

    rows = list_users()

    assert [(r.username, r.roles, r.units) for r in rows] == [
        ("a.admin", ("admin",), ()), ("b.officer", ("officer",), ("UBND Phường Hà Tu",))]
