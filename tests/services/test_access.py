"""The one access rule as a query (issue #7 item 3): on PostgreSQL, ``visible_items_filter``
returns exactly the items the domain's ``may_see`` allows, for viewers of every role built from
real accounts, over a generated set of items; the staff list and item page read through it."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from sqlalchemy.orm import Session

from feedback.domain.access import ANONYMOUS, Grant, Viewer, may_see, may_see_personal_data
from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Assignment, Feedback, LocalityLevel, Membership, Role, Unit, User
from feedback.services.access import item_facts, viewer_for, visible_items_filter
from feedback.services.items import admin_view
from tests.factories import Directory, add_locality, make_directory, make_feedback, make_user
from tests.times import A_WEEK_LATER, TUESDAY_MORNING



def generated_items(d: Directory, count: int = 60) -> list[Feedback]:
    """Items spread over every locality level (and another province), held by various units or
    none, some passed on from one unit to another (ended assignments), with and without consent.
    Seeded: repeatable."""
    rng = random.Random(7)
    elsewhere = add_locality("01", "Thành phố Hà Nội", "thành phố", LocalityLevel.PROVINCE)
    places = [d.province, d.ha_tu, d.van_don, d.village, d.remote_village, elsewhere]
    units: list[Unit | None] = [None, d.ubnd_ha_tu, d.ubnd_van_don, d.environment_dept, d.province_committee]
    items = []
    for n in range(count):
        current = rng.choice(units)
        earlier = rng.sample([u for u in units if u is not None and u is not current], k=rng.randint(0, 2))
        item = make_feedback(d, locality=rng.choice(places), received_at=TUESDAY_MORNING + timedelta(minutes=n),
                             status=Status.ASSIGNED if current is not None else Status.RECEIVED,
                             current_unit_id=current.id if current is not None else None,
                             consent_share_contact=rng.random() < 0.5)
        for i, unit in enumerate(earlier):
            db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=item.received_at,
                                      ended_at=item.received_at + timedelta(hours=i + 1), end_reason="not_competent"))
        if current is not None:
            db.session.add(Assignment(feedback_id=item.id, unit_id=current.id, assigned_at=item.received_at))
        items.append(item)
    db.session.flush()
    db.session.expire_all()  # facts are read back from the rows, assignments included
    return items


def accounts(d: Directory) -> dict[str, object]:
    """One account per role (and the awkward ones), as the login would hand them to a view."""
    both = make_user("canbo.kiem.mttq", Role.OFFICER, unit=d.ubnd_ha_tu)
    both.memberships.append(Membership(role=Role.FRONT_MONITOR, unit=d.front_province, territory=d.van_don))
    inactive = make_user("quantri.cu", Role.ADMIN)
    inactive.active = False
    return {
        "administrator": make_user("quantri", Role.ADMIN),
        "officer, UBND Hà Tu": make_user("canbo.hatu", Role.OFFICER, unit=d.ubnd_ha_tu),
        "unit head, UBND Vân Đồn": make_user("lanhdao.vandon", Role.UNIT_HEAD, unit=d.ubnd_van_don),
        "officer, department": make_user("canbo.so", Role.OFFICER, unit=d.environment_dept),
        "Front monitor, province": make_user("mttq.tinh", Role.FRONT_MONITOR, unit=d.front_province,
                                             territory=d.province),
        "Front monitor, Hà Tu": make_user("mttq.hatu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu),
        "Inspection Board, Tổ dân phố 1": make_user("bttnd.to1", Role.INSPECTION_BOARD, territory=d.village),
        "officer of Hà Tu and Front monitor of Vân Đồn": both,
        "inactive administrator": inactive,
        "anonymous": AnonymousUserMixin(),
    }


def test_the_query_filter_returns_exactly_what_the_rule_allows(db_session: Session) -> None:
    """Proves: for every role, the SQL filter on PostgreSQL and may_see over item_facts agree item
    by item, and each viewer sees a proper, non-trivial share (so agreement is not vacuous)."""
    d = make_directory()
    items = generated_items(d)
    users = accounts(d)
    db.session.flush()
    seen_counts = {}
    for name, user in users.items():
        viewer = viewer_for(user)
        in_sql = set(db.session.scalars(sa.select(Feedback.id).where(visible_items_filter(viewer))))
        in_python = {item.id for item in items if may_see(viewer, item_facts(item))}
        assert in_sql == in_python, name
        seen_counts[name] = len(in_python)
    assert seen_counts["administrator"] == len(items)
    assert seen_counts["anonymous"] == seen_counts["inactive administrator"] == 0
    partial = {name: count for name, count in seen_counts.items() if 0 < count < len(items)}
    assert set(partial) == set(users) - {"administrator", "anonymous", "inactive administrator"}, seen_counts


def test_viewer_for_reads_memberships_and_fails_closed(db_session: Session) -> None:
    """Proves: a membership becomes a Grant with the territory as locality ids from the province
    down; anonymous and inactive accounts are ANONYMOUS."""
    d = make_directory()
    users = accounts(d)
    assert viewer_for(users["Inspection Board, Tổ dân phố 1"]).grants == (
        Grant(Role.INSPECTION_BOARD, None, (d.province.id, d.ha_tu.id, d.village.id)),)
    assert viewer_for(users["anonymous"]) is ANONYMOUS and viewer_for(None) is ANONYMOUS
    assert viewer_for(users["inactive administrator"]) is ANONYMOUS
    officer = users["officer, UBND Hà Tu"]
    assert isinstance(officer, User)
    assert viewer_for(officer) == Viewer((Grant(Role.OFFICER, d.ubnd_ha_tu.id),), officer.id)


def test_the_staff_list_and_item_page_read_through_the_filter(db_session: Session) -> None:
    """Proves: list_items lists exactly the viewer's items, item_detail does not find an item the
    viewer may not see, and shows the resident only where the rule allows (the Front)."""
    d = make_directory()
    items = generated_items(d, count=30)
    users = accounts(d)
    front = viewer_for(users["Front monitor, Hà Tu"])
    officer = viewer_for(users["officer, UBND Hà Tu"])
    for viewer in (front, officer):
        listed = admin_view.list_items(viewer=viewer, status=None, unit_id=None, overdue_only=False, page=1,
                                       now=A_WEEK_LATER, per_page=100)
        allowed = {item.code for item in items if may_see(viewer, item_facts(item))}
        assert {row.code for row in listed.items} == allowed and 0 < len(allowed) < len(items)
    hidden = next(item for item in items if not may_see(officer, item_facts(item)))
    with pytest.raises(admin_view.ItemNotFound):
        admin_view.item_detail(str(hidden.code), viewer=officer, now=A_WEEK_LATER)
    watched = next(item for item in items if may_see(front, item_facts(item)))
    detail = admin_view.item_detail(str(watched.code), viewer=front, now=A_WEEK_LATER)
    assert may_see_personal_data(front, item_facts(watched)) and detail.resident is not None
