"""Tables of the Front dashboard as CSV and XLSX files: the same figures as the page.

A ``Table`` is what the page shows (headers, then rows of cells); ``to_csv`` and ``to_xlsx`` write
it. Text cells go through ``feedback.domain.spreadsheet.safe_text`` (no formula ever runs);
numbers stay numbers; a rate is a fraction 0..1 (a percentage format in XLSX), and a figure with
no denominator is an empty cell, never 0. Times are written in Vietnam's time. No personal data
ever goes into a table: the callers build them from statistics and item lines only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Font

from feedback.domain.calendar import VN_TZ
from feedback.domain.spreadsheet import safe_text

__all__ = ["Rate", "Table", "to_csv", "to_xlsx"]


@dataclass(frozen=True)
class Rate:
    """A fraction 0..1 shown as a percentage (a rate with no denominator is None, not a Rate)."""

    value: float


Cell = str | int | float | Rate | date | datetime | None


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: ``title`` names the sheet (at most 31 characters in XLSX)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def _local(moment: datetime) -> datetime:
    return moment.astimezone(VN_TZ).replace(tzinfo=None) if moment.tzinfo else moment


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Rate):
        return f"{value.value:.4f}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(round(value, 4) if isinstance(value, float) else value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def to_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark (Excel then reads Vietnamese letters right),
    comma-separated, CRLF line ends, headers first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _put(cell: XlsxCell, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, Rate):
        cell.value = value.value
        cell.number_format = "0.0%"
    elif isinstance(value, datetime):
        cell.value = _local(value)
        cell.number_format = "dd/mm/yyyy hh:mm"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "dd/mm/yyyy"
    elif isinstance(value, int | float):
        cell.value = value
    else:
        # openpyxl stores a string starting with "=" as a formula: neutralise, then force text.
        cell.value = safe_text(value)
        cell.data_type = "s"


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one XLSX workbook, a sheet each (bold headers, frozen first row)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for number, table in enumerate(tables, start=1):
        title = "".join(c for c in table.title if c not in "[]:*?/\\")[:31] or f"Sheet{number}"
        sheet = book.create_sheet(title)
        for column, header in enumerate(table.headers, start=1):
            cell = sheet.cell(row=1, column=column)
            _put(cell, header)
            cell.font = Font(bold=True)
        for row_number, row in enumerate(table.rows, start=2):
            for column, value in enumerate(row, start=1):
                _put(sheet.cell(row=row_number, column=column), value)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
