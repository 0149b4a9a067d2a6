"""The catalogue's one-service lookup (the POST's) agrees with the whole list (the GET's)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.services.open311.catalog import service, services
from tests.factories import add_topic
from tests.statements import recorded_statements


def test_one_service_is_the_one_the_list_offers_and_nothing_else_is(db_session: Session) -> None:
    waste = add_topic("WASTE", "Môi trường", name_en="Environment")
    bins = add_topic("BINS", "Rác thải", parent=waste, default_kind=Kind.REPORT)
    add_topic("BULKY", "Rác cồng kềnh", parent=bins, name_en="Bulky waste")
    add_topic("OLD-BINS", "Thùng rác cũ", parent=bins, active=False)
    closed = add_topic("ROADS", "Giao thông", active=False)
    add_topic("POTHOLES", "Ổ gà", parent=closed)  # active, under an inactive topic: not offered
    add_topic("LAND", "Đất đai", default_kind=Kind.COMPLAINT)
    offered = {s.code: s for s in services()}
    assert set(offered) == {"WASTE", "BINS", "BULKY", "LAND"}
    for code in ("WASTE", "BINS", "BULKY", "OLD-BINS", "ROADS", "POTHOLES", "LAND", "NOPE", ""):
        assert service(code) == offered.get(code), code
    bulky = service("BULKY")
    assert bulky is not None and bulky.group.name == "Môi trường" and bulky.group.name_en == "Environment"


def test_one_service_is_one_statement(db_session: Session) -> None:
    waste = add_topic("WASTE", "Môi trường")
    add_topic("BINS", "Rác thải", parent=add_topic("SORTING", "Phân loại", parent=waste))
    db.session.flush()
    with recorded_statements() as statements:
        found = service("BINS")
    assert found is not None and found.group.name == "Môi trường"
    assert len(statements) == 1
