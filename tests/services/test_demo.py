"""The demo data (services.demo): exact contents for Quảng Ninh, only into an empty database, idempotent."""

from __future__ import annotations


import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Event, Feedback, Locality, LocalityLevel, Role, RoutingRule, Topic, Unit, UnitKind, User
from feedback.services.accounts.passwords import verify_password
from feedback.services.demo import commune_slug, load_demo, short_name
from feedback.services.directory.provinces import UnknownProvince
from tests.conftest import Enqueued, rolled_back_session
from tests.factories import make_user
from tests.times import TUESDAY_MORNING

REQUIRED_TOPICS = {
    "Đất đai và giải phóng mặt bằng", "Môi trường", "Rác thải", "Nước thải", "Tiếng ồn", "Giao thông và hạ tầng",
    "Đường giao thông", "Chiếu sáng", "Điện và nước", "Thủ tục hành chính", "An ninh trật tự", "Y tế", "Giáo dục",
    "Chính sách xã hội", "Khác",
}


def table_sizes() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Locality, Topic, Unit, RoutingRule, User)}


def one(model: type, **where: object) -> object:
    return db.session.scalars(select(model).filter_by(**where)).one()


def test_demo_loads_quang_ninh_with_exact_contents(db_session: Session) -> None:
    summary = load_demo(TUESDAY_MORNING, items=0)

    assert summary.loaded
    assert (summary.province_name, summary.communes, summary.villages) == ("Thành phố Quảng Ninh", 54, 162)
    province = one(Locality, code="22")
    communes = db.session.scalars(select(Locality).where(Locality.parent_id == province.id)).all()
    assert len(communes) == 54

    committees = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.COMMUNE_COMMITTEE)).all()
    assert sorted(u.name for u in committees) == sorted(f"UBND {c.name}" for c in communes)
    assert {u.locality_id for u in committees} == {c.id for c in communes}
    provincial = one(Unit, code="UBND-22")
    assert (provincial.name, provincial.kind) == ("UBND Thành phố Quảng Ninh", UnitKind.PROVINCE_COMMITTEE)
    assert {u.parent_id for u in committees} == {provincial.id}
    fronts = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.FRONT_COMMITTEE)).all()
    front_province = one(Unit, code="MTTQ-22")
    assert front_province.name == "Ủy ban MTTQ Việt Nam Thành phố Quảng Ninh"
    assert sorted(u.name for u in fronts if u.parent_id == front_province.id) == sorted(
        f"Ủy ban MTTQ Việt Nam {c.name}" for c in communes)
    assert one(Unit, code="DIENLUC-22").name == "Công ty Điện lực Quảng Ninh"
    assert one(Unit, code="NUOCSACH-22").kind == UnitKind.UTILITY
    all_units = db.session.scalars(select(Unit)).all()
    assert all(u.email == f"{u.code.lower()}@demo.gopy.local" for u in all_units)

    for commune in communes:
        villages = db.session.scalars(select(Locality).where(Locality.parent_id == commune.id)).all()
        assert len(villages) == 3, commune.name
        expected_kind = "khu phố" if commune.kind == "phường" else "thôn"
        assert {v.kind for v in villages} == {expected_kind}
        assert all(v.path == f"{commune.path}{v.id}/" for v in villages)
    ha_tu = one(Locality, code="06652")
    ha_tu_villages = db.session.scalars(select(Locality).where(Locality.parent_id == ha_tu.id))
    assert sorted(v.name for v in ha_tu_villages) == ["Khu phố 1", "Khu phố 2", "Khu phố 3"]
    remote_communes = {v.parent.name for v in db.session.scalars(select(Locality).where(Locality.remote))}
    assert {"Đặc khu Vân Đồn", "Đặc khu Cô Tô", "Xã Hoành Mô"} <= remote_communes
    assert "Phường Hà Tu" not in remote_communes

    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    assert REQUIRED_TOPICS <= {t.name for t in topics.values()}
    environment = topics["moi-truong"]
    assert {t.name for t in topics.values() if t.parent_id == environment.id} == {"Rác thải", "Nước thải", "Tiếng ồn"}
    assert topics["moi-truong.rac-thai"].path == f"/{environment.id}/{topics['moi-truong.rac-thai'].id}/"
    assert topics["moi-truong.rac-thai"].depth == 2

    rule = db.session.scalars(select(RoutingRule).where(RoutingRule.topic_id == environment.id)).one()
    assert (rule.kind, rule.unit.name, rule.locality_id) == (Kind.PETITION, "Sở Nông nghiệp và Môi trường", province.id)
    assert one(RoutingRule, topic_id=topics["dien-nuoc"].id).unit.code == "DIENLUC-22"
    assert one(RoutingRule, topic_id=topics["thu-tuc-hanh-chinh"].id).unit.code == "TTPVHCC-22"


def test_demo_accounts_can_log_in_with_the_printed_passwords(db_session: Session) -> None:
    summary = load_demo(TUESDAY_MORNING, items=0)

    accounts = {a.username: a for a in summary.accounts}
    assert set(accounts) == {"admin", "canbo.hatu", "lanhdao.hatu", "mttq.tinh"}
    assert accounts["admin"].password == "admin-demo-2026"
    for account in summary.accounts:
        user = one(User, username=account.username)
        assert verify_password(user.password_hash, account.password)
        assert user.roles == {account.role}
    assert one(User, username="canbo.hatu").memberships[0].unit.name == "UBND Phường Hà Tu"
    assert one(User, username="lanhdao.hatu").has_role(Role.UNIT_HEAD)
    monitor = one(User, username="mttq.tinh").memberships[0]
    assert (monitor.role, monitor.territory.code, monitor.unit.code) == (Role.FRONT_MONITOR, "22", "MTTQ-22")


def test_loading_twice_adds_nothing(db_session: Session) -> None:
    load_demo(TUESDAY_MORNING, items=0)
    before = table_sizes()

    second = load_demo(TUESDAY_MORNING, items=0)

    assert not second.loaded
    assert table_sizes() == before
    assert before["Unit"] == 2 + 8 + 2 * 54  # province UBND and Front, 8 provincial bodies, 2 per commune
    assert before["RoutingRule"] == 5


def test_demo_refuses_a_database_that_has_accounts(db_session: Session) -> None:
    make_user("someone", Role.ADMIN)

    summary = load_demo(TUESDAY_MORNING, items=0)

    assert not summary.loaded
    assert table_sizes()["Locality"] == 0


def test_another_province_can_be_chosen(db_session: Session) -> None:
    summary = load_demo(TUESDAY_MORNING, province_code="01", items=0)

    assert summary.province_name == "Thành phố Hà Nội"
    first = db.session.scalars(select(Locality).where(Locality.level == LocalityLevel.COMMUNE)
                               .order_by(Locality.code)).first()
    assert first is not None
    assert f"canbo.{commune_slug(first)}" in {a.username for a in summary.accounts}
    assert one(Unit, code="DIENLUC-01").name == "Công ty Điện lực Hà Nội"


def test_an_unknown_province_is_refused(db_session: Session) -> None:
    with pytest.raises(UnknownProvince):
        load_demo(TUESDAY_MORNING, province_code="98", items=0)


def test_names_without_prefixes() -> None:
    assert short_name(Locality(name="Tỉnh Lào Cai")) == "Lào Cai"
    assert short_name(Locality(name="Thành phố Quảng Ninh")) == "Quảng Ninh"
    assert commune_slug(Locality(name="Phường Hà Tu", kind="phường")) == "hatu"
    assert commune_slug(Locality(name="Đặc khu Vân Đồn", kind="đặc khu")) == "vandon"


def test_villages_imported_before_the_demo_keep_their_names(db_session: Session) -> None:
    import io

    from feedback.services.directory.provinces import import_provinces
    from feedback.services.directory.villages import import_villages

    import_provinces("22")
    import_villages(io.StringIO("code,name,kind,commune_code,remote\n06652-001,Tổ dân phố 7,tổ dân phố,06652,0\n"))

    load_demo(TUESDAY_MORNING, items=0)

    assert one(Locality, code="06652-001").name == "Tổ dân phố 7"
    assert one(Locality, code="06652-002").name == "Khu phố 2"



def test_demo_routes_complaints_and_denunciations_to_the_communes_committee(db_session: Session) -> None:
    """Proves issue #6 item 6 on the demo data: a khiếu nại or tố cáo from a village of Phường Hà
    Tu, whatever its topic (also those with a province-wide rule for any kind, such as
    "Thủ tục hành chính → Trung tâm Phục vụ hành chính công"), is assigned to UBND Phường Hà Tu,
    while a phản ánh on the same topic still follows the demo rule."""
    from typing import cast

    from feedback.services.routing.route import route_item
    from tests.factories import Directory, make_feedback

    load_demo(TUESDAY_MORNING, items=0)
    village = cast(Locality, one(Locality, code="06652-001"))
    ward_committee = cast(Unit, one(Unit, code="UBND-06652"))
    report_goes_to = {"thu-tuc-hanh-chinh": "TTPVHCC-22", "dien-nuoc": "DIENLUC-22", "khac": "UBND-06652"}
    for topic_code, report_unit in report_goes_to.items():
        topic = cast(Topic, one(Topic, code=topic_code))
        items = {kind: make_feedback(cast(Directory, None), kind=kind, locality=village, topic=topic)
                 for kind in (Kind.REPORT, Kind.COMPLAINT, Kind.DENUNCIATION)}
        db.session.commit()

        routed = {kind: route_item(item.id, now=TUESDAY_MORNING).unit_id for kind, item in items.items()}

        assert routed[Kind.REPORT] == cast(Unit, one(Unit, code=report_unit)).id, topic_code
        assert routed[Kind.COMPLAINT] == routed[Kind.DENUNCIATION] == ward_committee.id, topic_code


# --- the demo items are deterministic (their contents: tests/services/test_demo_items.py) ---

def demo_items() -> list[Feedback]:
    return list(db.session.scalars(select(Feedback).order_by(Feedback.received_at, Feedback.id)))


def demo_snapshot() -> list[tuple[object, ...]]:
    """What a load made, without ids, codes and tokens (sequences are not rolled back)."""
    return [
        (item.received_at, item.kind, item.title, item.body, item.status, item.locality.code, item.topic.code,
         item.current_unit.code if item.current_unit else None, item.accepted_at, item.answered_at,
         tuple(db.session.execute(select(Event.action, Event.at, Event.public).where(Event.feedback_id == item.id)
                                  .order_by(Event.seq)).all()),
         tuple(sorted((d.clock, d.sequence, d.due_at, d.met_at, d.closed_at) for d in item.deadlines)))
        for item in demo_items()
    ]


SAME_ITEMS = 60  # enough for every plan and rating path; a full load takes about a minute


def test_two_loads_into_empty_databases_make_the_same_items(app: Flask, enqueued: Enqueued) -> None:
    snapshots = []
    for _ in range(2):
        with rolled_back_session(app):
            assert load_demo(TUESDAY_MORNING, items=SAME_ITEMS).items == SAME_ITEMS
            snapshots.append(demo_snapshot())

    assert len(snapshots[0]) == SAME_ITEMS
    assert snapshots[0] == snapshots[1]
