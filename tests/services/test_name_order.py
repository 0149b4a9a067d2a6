"""Every list of names a person picks from or reads is in Vietnamese alphabetical order
(``feedback.domain.text.name_key``), not in code-point order where "Đ" and "Ủ" come after "Z"
(found by the probe in the monitor's, the admin's, the rules', the recommendation form's and the
inbox's option lists; the resident's form already sorted so).

The names are chosen so that code-point order differs from the expected one; each list is
compared on the names this module adds (the directory's own keep their place among them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from feedback.domain.status import Status
from feedback.domain.text import name_key
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Membership, Role, Topic, Unit, UnitKind, User
from feedback.services import handling, items, monitoring, recommendations, routing, workspace
from feedback.services.access import viewer_for
from feedback.services.statistics.grouping import ordered
from tests.factories import Directory, add_locality, add_topic, add_unit, make_directory, make_feedback, make_user
from tests.times import TUESDAY_MORNING

# In the order a Vietnamese reader expects; code points put the Đ and Ủ names after "Zeta".
UNITS = ["Ban quản lý dự án", "Đội Quản lý trật tự đô thị", "Ủy ban kiểm tra", "Zeta Công ty nước sạch"]
TOPICS = ["Ánh sáng đô thị", "Đất đai và giải phóng mặt bằng", "Khác", "Môi trường", "Zalo hỗ trợ"]
COMMUNES = ["Xã Đầm Hà", "Phường Hà Tu", "Đặc khu Vân Đồn"]  # by the name without the kind word
VILLAGES = ["Tổ dân phố 1", "Tổ dân phố 2", "Tổ dân phố 10", "Khu Đồng Mỏ"]  # numbers as numbers
OFFICERS = ["Ánh Nguyễn", "Đỗ Văn Bình", "lanh-dao", "Zô Thị Hoa"]


@dataclass
class Named:
    directory: Directory
    units: list[Unit]
    topics: dict[str, Topic]
    dam_ha: Locality
    head: User
    monitor: User


def only(names: Iterable[str], wanted: Iterable[str]) -> list[str]:
    keep = set(wanted)
    return [name for name in names if name in keep]


@pytest.fixture
def named(db_session: Session) -> Named:
    d = make_directory()
    dam_ha = add_locality("06700", "Xã Đầm Hà", "xã", LocalityLevel.COMMUNE, d.province)
    add_locality("06652-010", "Tổ dân phố 10", "tổ dân phố", LocalityLevel.VILLAGE, d.ha_tu)
    add_locality("06652-002", "Tổ dân phố 2", "tổ dân phố", LocalityLevel.VILLAGE, d.ha_tu)
    add_locality("06652-900", "Khu Đồng Mỏ", "khu", LocalityLevel.VILLAGE, d.ha_tu)
    topics = {t.name: t for t in (d.land, d.other, d.environment)}
    topics["Zalo hỗ trợ"] = add_topic("zalo", "Zalo hỗ trợ")
    topics["Ánh sáng đô thị"] = add_topic("anh-sang", "Ánh sáng đô thị")
    units = [add_unit(f"U-{n}", name, UnitKind.OTHER, d.ha_tu) for n, name in enumerate(reversed(UNITS))]
    head = make_user("lanh-dao", Role.UNIT_HEAD, unit=units[0])
    for unit in units[1:]:
        head.memberships.append(Membership(role=Role.UNIT_HEAD, unit=unit))
    for username, full_name in (("a", "Zô Thị Hoa"), ("b", "Đỗ Văn Bình"), ("c", "Ánh Nguyễn")):
        make_user(username, Role.OFFICER, unit=units[0]).full_name = full_name
    monitor = make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province)
    db.session.flush()
    return Named(d, units, topics, dam_ha, head, monitor)


def test_the_monitors_choices_are_in_vietnamese_order(named: Named) -> None:
    (territory,) = monitoring.territories_of(viewer_for(named.monitor))
    assert only([c.name for c in monitoring.unit_choices(territory)], UNITS) == UNITS
    units = [c.name for c in monitoring.unit_choices(territory)]
    assert units.index("UBND Đặc khu Vân Đồn") < units.index("UBND Phường Hà Tu")
    assert [c.name for c in monitoring.commune_choices(territory)] == COMMUNES
    _, villages = monitoring.village_choices(territory, named.directory.ha_tu.id)
    assert [c.name for c in villages] == VILLAGES
    topics = [c.name.removeprefix("— ") for c in monitoring.topic_choices()]
    assert only(topics, TOPICS) == TOPICS
    assert topics.index("Rác thải") == topics.index("Môi trường") + 1  # a child right after its parent


def test_the_admin_and_rule_choices_are_in_vietnamese_order(named: Named) -> None:
    assert only([u.name for u in items.units_for_filter()], UNITS) == UNITS
    assert only([u.name for u in items.units_for_handover()], UNITS) == UNITS
    assert only([u.name for u in routing.units_for_rules()], UNITS) == UNITS
    communes = [loc.name for loc in routing.upper_localities() if loc.level is LocalityLevel.COMMUNE]
    assert communes == COMMUNES
    assert only([t.name for t in routing.all_topics()], TOPICS) == TOPICS


def test_the_recommendation_form_offers_units_in_vietnamese_order(named: Named) -> None:
    offered = [u.name for u in recommendations.addressable_units(viewer_for(named.monitor))]
    assert offered == sorted(offered, key=name_key)
    assert offered.index("UBND Đặc khu Vân Đồn") < offered.index("UBND Phường Hà Tu")


def test_the_inbox_filters_are_in_vietnamese_order(named: Named) -> None:
    d = named.directory
    places = [named.dam_ha, d.village, d.remote_village]
    for n, name in enumerate(TOPICS):
        unit = named.units[n % len(named.units)]
        make_feedback(d, topic=named.topics.get(name, d.waste), locality=places[n % len(places)],
                      status=Status.ASSIGNED, current_unit_id=unit.id, received_at=TUESDAY_MORNING)
    db.session.flush()
    page = workspace.inbox(viewer_for(named.head), workspace.InboxFilters(), page=1, per_page=25,
                           now=TUESDAY_MORNING)
    assert [o.label for o in page.units] == UNITS
    assert [o.label for o in page.counts.topics] == TOPICS
    assert [o.label for o in page.counts.communes] == COMMUNES


def test_the_officers_to_assign_are_in_vietnamese_order(named: Named) -> None:
    item = make_feedback(named.directory, status=Status.ASSIGNED, current_unit_id=named.units[0].id)
    item.code = "QN-26-000999-X"
    db.session.flush()
    assert [o.name for o in handling.offered(named.head, item.code).officers] == OFFICERS


def test_the_statistics_tables_are_in_vietnamese_order() -> None:
    keyed = {n: (f"U{n}", name) for n, name in enumerate(reversed(UNITS))}
    assert [keyed[i][1] for i in ordered("unit", keyed)] == UNITS
