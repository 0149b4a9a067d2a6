"""Importing villages from CSV (services.villages): all or nothing, every problem by line."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel
from feedback.services.directory.provinces import import_provinces
from feedback.services.directory.villages import CsvImportError, import_villages

HEADER = "code,name,kind,commune_code,remote\n"
GOOD = (
    HEADER
    + "06652-001,Tổ dân phố 1,tổ dân phố,06652,0\n"
    + "06994-001,Thôn Đài Van,Thôn,06994,có\n"
    + "06841-001,Bản Khe Tiền,bản,6841,\n"
)


@pytest.fixture
def quang_ninh(db_session: Session) -> Session:
    import_provinces("22")
    return db_session


def villages() -> dict[str, Locality]:
    return {v.code: v for v in db.session.scalars(select(Locality).where(Locality.level == LocalityLevel.VILLAGE))}


def village_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Locality).where(Locality.level == LocalityLevel.VILLAGE)) or 0


def refused(text: str) -> list[tuple[int, str | None]]:
    """Import ``text``, expect a refusal, and return the (line, column) of each error."""
    with pytest.raises(CsvImportError) as caught:
        import_villages(io.StringIO(text))
    assert all(error.message for error in caught.value.errors)
    return [(error.line, error.column) for error in caught.value.errors]


def test_good_file_creates_villages_under_their_communes(quang_ninh: Session) -> None:
    counts = import_villages(io.StringIO(GOOD))

    assert counts.of(LocalityLevel.VILLAGE).created == 3
    found = villages()
    dai_van = found["06994-001"]
    commune = db.session.scalars(select(Locality).where(Locality.code == "06994")).one()
    assert (dai_van.name, dai_van.kind, dai_van.remote, dai_van.search_name) == (
        "Thôn Đài Van", "thôn", True, "thon dai van")
    assert dai_van.parent_id == commune.id
    assert dai_van.path == f"{commune.path}{dai_van.id}/"
    assert found["06652-001"].remote is False
    # an empty remote is "no"; a commune code without its leading zero (spreadsheets) is accepted
    assert found["06841-001"].remote is False
    assert found["06841-001"].parent.code == "06841"


def test_second_import_is_idempotent_and_updates_changed_rows(quang_ninh: Session) -> None:
    import_villages(io.StringIO(GOOD))
    again = import_villages(io.StringIO(GOOD.replace("Bản Khe Tiền", "Bản Khe Tiền Mới")))

    counts = again.of(LocalityLevel.VILLAGE)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 2)
    assert village_count() == 3
    assert villages()["06841-001"].name == "Bản Khe Tiền Mới"


def test_a_byte_order_mark_before_the_header_is_ignored(quang_ninh: Session) -> None:
    # Excel's "CSV UTF-8" starts with U+FEFF; read as plain UTF-8 it sticks to the first column name
    counts = import_villages(io.StringIO("\ufeff" + GOOD))

    assert counts.of(LocalityLevel.VILLAGE).created == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_kept(quang_ninh: Session) -> None:
    text = (
        HEADER
        + "06652-001,Tổ dân phố 1,tổ dân phố,06652,0\n"  # line 2: good, yet must not be kept
        + "06652-002,Tổ dân phố 2,tổ dân phố,06652,có lẽ\n"  # line 3: remote not yes/no
        + "\n"  # line 4: blank, skipped
        + "06652-003,,tổ dân phố,06652,1\n"  # line 5: name missing
        + "06652-004,Tổ 4,tổ dân phố,99999,1\n"  # line 6: unknown commune
        + f"06652-005,{'x' * 256},tổ dân phố,06652,1\n"  # line 7: name too long
    )
    before = village_count()

    errors = refused(text)

    assert errors == [(3, "remote"), (5, "name"), (6, "commune_code"), (7, "name")]
    assert village_count() == before == 0


def test_a_code_repeated_in_the_file_is_refused_at_its_second_line(quang_ninh: Session) -> None:
    text = HEADER + "A-1,Thôn 1,thôn,06724,0\nA-2,Thôn 2,thôn,06724,0\nA-1,Thôn 3,thôn,06724,0\n"

    with pytest.raises(CsvImportError) as caught:
        import_villages(io.StringIO(text))

    [error] = caught.value.errors
    assert (error.line, error.column) == (4, "code")
    assert "2" in error.message  # names the first line
    assert "Dòng 4" in str(error)
    assert village_count() == 0


def test_a_code_of_a_commune_cannot_be_a_village_code(quang_ninh: Session) -> None:
    assert refused(HEADER + "06658,Thôn 1,thôn,06652,0\n") == [(2, "code")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("code,name,kind,commune_code\n", [(1, "remote")]),
        ("code,name,kind,commune_code,remote,note\n", [(1, "note")]),
        ("code,name,kind,commune_code,remote,remote\n", [(1, "remote")]),
    ],
)
def test_missing_unknown_or_repeated_columns_are_refused_at_line_one(quang_ninh: Session, header: str,
                                                                       expected: list[tuple[int, str]]) -> None:
    assert refused(header + "A-1,Thôn 1,thôn,06724,0\n") == expected


def test_columns_may_come_in_any_order_and_any_case(quang_ninh: Session) -> None:
    counts = import_villages(io.StringIO(" Name ,CODE,remote,commune_code,kind\nThôn 1,A-1,1,06724,thôn\n"))

    assert counts.of(LocalityLevel.VILLAGE).created == 1
    assert villages()["A-1"].remote is True


def test_an_empty_file_or_a_short_row_is_refused(quang_ninh: Session) -> None:
    assert refused("") == [(1, None)]
    assert refused(HEADER + "A-1,Thôn 1,thôn\n") == [(2, None)]


def test_a_cell_beyond_the_csv_modules_limit_is_refused_at_its_line(quang_ninh: Session) -> None:
    """Proves: a cell over 131,072 characters is a refusal naming its line, in the header or in a
    row (found by probing: ``flask directory import-villages`` ended with a csv.Error traceback)."""
    assert refused("x" * 140_000 + "\n") == [(1, None)]
    assert refused(HEADER + "06652-001,Tổ 1,tổ dân phố,06652,0\n" + f"06652-002,{'x' * 140_000},thôn,06652,0\n") == [
        (3, None)]
    assert village_count() == 0


def test_line_numbers_count_line_breaks_inside_quoted_fields(quang_ninh: Session) -> None:
    text = HEADER + '"A-1","Thôn\nMột",thôn,06724,0\nA-2,Thôn 2,thôn,06724,sai\n'

    assert refused(text) == [(4, "remote")]


def test_decomposed_vietnamese_is_stored_composed(quang_ninh: Session) -> None:
    import unicodedata

    import_villages(io.StringIO(HEADER + unicodedata.normalize("NFD", "A-1,Thôn Đồng Rì,thôn,06724,0\n")))

    assert villages()["A-1"].name == "Thôn Đồng Rì"
