"""Importing provinces and communes from the vietnam-provinces package (services.directory)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from vietnam_provinces import Province, Ward

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel
from feedback.services.directory.provinces import (
    CodeConflict,
    UnknownProvince,
    import_provinces,
    normalize_province_code,
    source_size,
)
from feedback.services.directory.villages import VillageRow, save_villages
from tests.factories import add_locality


def package_communes(province: int) -> dict[str, str]:
    """The package's communes of ``province``: zero-padded code → name (the expected data)."""
    return {f"{int(w.code):05d}": w.name for w in Ward.iter_all() if int(w.province_code) == province}


def count(level: LocalityLevel) -> int:
    return db.session.scalar(select(func.count()).select_from(Locality).where(Locality.level == level)) or 0


def by_code(code: str) -> Locality:
    return db.session.scalars(select(Locality).where(Locality.code == code)).one()


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the SQL statements sent to the database (an executemany counts once)."""
    seen: list[str] = []

    def listen(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def test_one_province_imports_its_communes_with_names_kinds_codes_and_paths(db_session: Session) -> None:
    counts = import_provinces("22")

    expected = package_communes(22)
    assert len(expected) == 54  # the package's Quảng Ninh after the 2025 reorganisation
    assert (counts.of(LocalityLevel.PROVINCE).created, counts.of(LocalityLevel.COMMUNE).created) == (1, 54)
    province = by_code("22")
    assert (province.name, province.level, province.parent_id) == ("Thành phố Quảng Ninh", LocalityLevel.PROVINCE, None)
    assert province.kind == next(p for p in Province.iter_all() if int(p.code) == 22).division_type.value
    assert province.path == f"/{province.id}/"
    communes = db.session.scalars(select(Locality).where(Locality.parent_id == province.id)).all()
    assert {c.code: c.name for c in communes} == expected
    ha_tu = by_code("06652")
    assert (ha_tu.name, ha_tu.kind, ha_tu.search_name) == ("Phường Hà Tu", "phường", "phuong ha tu")
    assert ha_tu.path == f"/{province.id}/{ha_tu.id}/"
    assert {c.kind for c in communes} == {"phường", "xã", "đặc khu"}
    assert count(LocalityLevel.COMMUNE) == 54  # no other province was touched


def test_second_import_creates_nothing_and_restores_a_changed_name(db_session: Session) -> None:
    import_provinces("22")
    ha_tu = by_code("06652")
    ha_tu_id = ha_tu.id
    ha_tu.name = "Phường Hà Tu cũ"
    db.session.commit()

    counts = import_provinces("22")

    assert counts.created == 0
    assert counts.of(LocalityLevel.COMMUNE).updated == 1
    assert counts.unchanged == 54  # the province and 53 communes
    assert count(LocalityLevel.COMMUNE) == 54
    again = by_code("06652")
    assert (again.id, again.name, again.search_name) == (ha_tu_id, "Phường Hà Tu", "phuong ha tu")


def test_all_provinces_match_the_package_and_are_imported_in_bulk(db_session: Session) -> None:
    wards = len(list(Ward.iter_all()))
    assert source_size(None) == 34 + wards

    with statements() as sent:
        counts = import_provinces(None)

    assert counts.of(LocalityLevel.PROVINCE).created == 34
    assert counts.of(LocalityLevel.COMMUNE).created == wards
    assert (count(LocalityLevel.PROVINCE), count(LocalityLevel.COMMUNE)) == (34, wards)
    # bulk: a fixed handful of batched statements, never one per locality
    assert len(sent) < 50, len(sent)
    orphan_paths = db.session.scalar(
        select(func.count()).select_from(Locality).where(~Locality.path.like("/%/%/"), Locality.level == "commune")
    )
    assert orphan_paths == 0


def test_progress_reports_every_source_record(db_session: Session) -> None:
    reported: list[int] = []

    import_provinces("22", progress=reported.append)

    assert sum(reported) == source_size("22") == 55


def test_a_commune_moved_back_to_its_province_moves_its_villages_paths(db_session: Session) -> None:
    import_provinces("22")
    other = add_locality("99", "Tỉnh Thử", "tỉnh", LocalityLevel.PROVINCE)
    save_villages([VillageRow("06652-001", "Khu phố 1", "khu phố", "06652")])
    ha_tu = by_code("06652")
    village = by_code("06652-001")
    ha_tu.parent_id, ha_tu.path = other.id, f"/{other.id}/{ha_tu.id}/"
    village.path = f"{ha_tu.path}{village.id}/"
    db.session.commit()

    counts = import_provinces("22")

    assert counts.of(LocalityLevel.COMMUNE).updated == 1
    db.session.expire_all()
    province = by_code("22")
    assert by_code("06652").parent_id == province.id
    assert by_code("06652-001").path == f"/{province.id}/{ha_tu.id}/{village.id}/"


@pytest.mark.parametrize("code", ["99", "abc", "", "220"])
def test_an_unknown_province_is_refused_and_nothing_is_written(db_session: Session, code: str) -> None:
    with pytest.raises(UnknownProvince):
        import_provinces(code)
    assert count(LocalityLevel.PROVINCE) == 0


def test_province_codes_are_zero_padded() -> None:
    assert normalize_province_code("1") == "01"
    assert normalize_province_code(22) == "22"


def test_a_package_code_held_by_a_village_is_a_conflict(db_session: Session) -> None:
    commune = add_locality("99999", "Xã Thử", "xã", LocalityLevel.COMMUNE)
    add_locality("06652", "Thôn lạc mã", "thôn", LocalityLevel.VILLAGE, commune)

    with pytest.raises(CodeConflict):
        import_provinces("22")
    assert count(LocalityLevel.PROVINCE) == 0
