"""The CSV and XLSX writers of the Front dashboard's tables (feedback.services.monitoring.exports):
every kind of cell, and text that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from flask import Flask
from openpyxl import load_workbook

from feedback.services.monitoring import Rate, Table, to_csv, to_xlsx

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
TABLE = Table(
    "Số liệu: [thử]",
    ["Mã", "=Tên"],
    [
        ["UBND-06652", "UBND Phường Hà Tu", 3, 0.5, Rate(2 / 3), None, date(2026, 3, 31),
         datetime(2026, 3, 3, 2, 0, tzinfo=UTC), -4],
        *[[text, text] for text in DANGEROUS],
    ],
)


def test_csv_cells() -> None:
    """Proves: UTF-8 with a BOM; counts and numbers as written (a negative number stays a number);
    a rate as a 4-decimal fraction; None empty; a date ISO; a time in Vietnam's time; every text
    that starts a formula (header included) gets a leading apostrophe."""
    data = to_csv(TABLE)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Mã", "'=Tên"]
    assert rows[1] == ["UBND-06652", "UBND Phường Hà Tu", "3", "0.5", "0.6667", "", "2026-03-31", "2026-03-03 09:00",
                       "-4"]
    assert [row[0] for row in rows[2:]] == ["'" + text for text in DANGEROUS]


def test_xlsx_cells() -> None:
    """Proves: numbers are numeric cells; a rate is a fraction formatted as a percentage; None an
    empty cell; a time is Vietnam's local time; text that starts a formula is stored as text
    (type "s") with a leading apostrophe, never as a formula; the sheet name drops the characters
    XLSX forbids."""
    book = load_workbook(io.BytesIO(to_xlsx([TABLE])))
    sheet = book["Số liệu thử"]
    assert [c.value for c in sheet[1]][:2] == ["Mã", "'=Tên"]
    row = sheet[2]
    assert [c.value for c in row[:4]] == ["UBND-06652", "UBND Phường Hà Tu", 3, 0.5]
    assert row[4].value == 2 / 3 and row[4].number_format == "0.0%"
    assert row[5].value is None
    assert row[7].value == datetime(2026, 3, 3, 9, 0) and row[8].value == -4 and row[8].data_type == "n"
    texts = [sheet.cell(row=number, column=1) for number in range(3, 3 + len(DANGEROUS))]
    # lxml writes a carriage return as "&#13;": the text reads back as it was, apostrophe first.
    assert [c.value for c in texts] == ["'" + text for text in DANGEROUS]
    assert {c.data_type for c in texts} == {"s"}
    assert not any(str(c.value).startswith("=") for r in sheet.iter_rows() for c in r if c.value is not None)


class Marked(str):
    """A str subclass (as markupsafe's Markup or a lazy translation): not one of the exact types
    the writers look up, so it takes their general path."""


ODD = Table("Khác", ["a", "b", "c", "d", "e"], [[True, False, 2 / 3, Marked("=2+2"), Marked("Thôn 3")]])


def test_cells_of_other_types_take_the_general_path() -> None:
    """Proves: a bool is 1/0 in CSV and a boolean cell in XLSX; a float is rounded to 4 decimals
    in CSV; text of a str subclass is neutralised like any text (CSV and XLSX)."""
    rows = list(csv.reader(io.StringIO(to_csv(ODD).decode("utf-8-sig"), newline="")))
    assert rows[1] == ["1", "0", "0.6667", "'=2+2", "Thôn 3"]
    row = load_workbook(io.BytesIO(to_xlsx([ODD])))["Khác"][2]
    assert [c.value for c in row] == [True, False, 2 / 3, "'=2+2", "Thôn 3"]
    assert [c.data_type for c in row] == ["b", "b", "n", "s", "s"]


def test_xlsx_sheets_are_written_row_by_row_with_their_styles() -> None:
    """Proves (openpyxl's write-only mode): one sheet per table in order, named from the title
    (31 characters at most; an empty name numbered); bold headings, the first row frozen; a date
    and a time carry their own number formats, an untouched cell none ("General")."""
    long = Table("Một tên bảng rất dài, dài hơn ba mươi mốt ký tự", ["x"], [[date(2026, 3, 31)]])
    book = load_workbook(io.BytesIO(to_xlsx([TABLE, long, Table("???", ["y"], [])])))
    assert book.sheetnames == ["Số liệu thử", long.title[:31], "Sheet3"]
    sheet = book["Số liệu thử"]
    assert all(cell.font.b for cell in sheet[1][:2]) and not any(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A2" and book["Sheet3"].freeze_panes == "A2"
    row = sheet[2]
    assert row[6].value == datetime(2026, 3, 31) and row[6].number_format == "dd/mm/yyyy"
    assert row[7].number_format == "dd/mm/yyyy hh:mm" and row[2].number_format == "General"
    assert book[long.title[:31]]["A2"].number_format == "dd/mm/yyyy"
    assert [c.value for c in book["Sheet3"][1]] == ["y"] and book["Sheet3"].max_row == 1


def test_the_overdue_and_items_tables_name_each_rows_kind_clock_and_status(app: Flask) -> None:
    """Proves: the overdue list's and the items' tables name each row's own kind, clock and status
    (each name is looked up once per table: rows of the same kind share it, rows of another kind
    get theirs), in the request's language."""
    from datetime import timedelta

    from flask_babel import force_locale

    from feedback.domain.status import Kind, Status
    from feedback.services.kinds import kind_name
    from feedback.services.monitoring import DrillRow, items_table, overdue_table
    from feedback.services.statistics import OverdueRow

    due = datetime(2026, 3, 1, 3, tzinfo=UTC)
    kinds = [Kind.REPORT, Kind.COMPLAINT, Kind.REPORT, Kind.DENUNCIATION]
    clocks = ["resolution", "acceptance", "acceptance", "resolution"]
    statuses = [Status.IN_PROGRESS, Status.ANSWERED, Status.IN_PROGRESS, Status.RECEIVED]
    late = [OverdueRow(i, f"QN-{i}", 7, "U-7", "Đơn vị", kind, 1, "Chủ đề", 2, "Thôn", clock, due, timedelta(days=i))
            for i, (kind, clock) in enumerate(zip(kinds, clocks, strict=True))]
    lines = [DrillRow(code=f"QN-{i}", title="Tiêu đề", kind=kind, status=status, unit=None, topic="Chủ đề",
                      locality="Thôn", received_at=due, next_due_at=None, overdue=i % 2 == 0)
             for i, (kind, status) in enumerate(zip(kinds, statuses, strict=True))]
    for language in ("vi", "en"):
        with app.test_request_context("/"), force_locale(language):
            overdue = overdue_table(late, clock_label=lambda clock: f"clock:{clock}")
            items = items_table(lines, status_label=lambda status: f"status:{status.value}")
            names = [kind_name(kind) for kind in kinds]
        assert [row[3] for row in overdue.rows] == names
        assert [row[6] for row in overdue.rows] == [f"clock:{clock}" for clock in clocks]
        assert [row[2] for row in items.rows] == names
        assert [row[3] for row in items.rows] == [f"status:{status.value}" for status in statuses]
        assert [row[9] for row in items.rows][1::2] == ["", ""] and all(row[9] for row in items.rows[0::2])
