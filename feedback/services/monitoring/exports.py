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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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


def _csv_cell(value: Cell) -> object:
    """One cell as ``csv.writer`` writes it (it writes None as "" and a number with ``str``)."""
    if value is None:
        return ""
    if isinstance(value, Rate):
        return f"{value.value:.4f}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return round(value, 4) if isinstance(value, float) else value
    if isinstance(value, datetime):
        return f"{_local(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def _as_is(value: Cell) -> Cell:
    return value


def _rounded(value: float) -> float:
    return round(value, 4)


# The cells of the common types, written by a lookup of their exact type rather than the chain of
# isinstance tests of ``_csv_cell`` (which writes any other type, subclasses included): a
# province's overdue list at 10,000,000 items has 55,000 rows of 9 cells.
_CSV_BY_TYPE: dict[type, Callable[[Any], object]] = {str: safe_text, int: _as_is, type(None): _as_is,
                                                      float: _rounded}


def to_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark (Excel then reads Vietnamese letters right),
    comma-separated, CRLF line ends, headers first."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(header) for header in table.headers])
    writer_for = _CSV_BY_TYPE.get
    writer.writerows([writer_for(type(value), _csv_cell)(value) for value in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


# The number formats of the cells that carry one (every other cell keeps Excel's "General").
RATE_FORMAT, TIME_FORMAT, DATE_FORMAT = "0.0%", "dd/mm/yyyy hh:mm", "dd/mm/yyyy"


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> object:
    """One cell for ``sheet.append``: a number or None as is; text neutralised (``safe_text``:
    it then never starts with "=", which openpyxl would store as a formula); a rate, a time (in
    Vietnam's time) or a date as a cell with its number format."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Rate):
        cell = WriteOnlyCell(sheet, value.value)
        cell.number_format = RATE_FORMAT
    elif isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, _local(value))
        cell.number_format = TIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
    else:
        return safe_text(str(value))
    return cell


# As for the CSV, the common types are told by their exact type; ``_xlsx_cell`` writes the others.
_XLSX_AS_IS = frozenset({int, float, type(None)})


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one XLSX workbook, a sheet each (bold headers, frozen first row), written
    row by row (openpyxl's write-only mode: no cell objects kept for the whole sheet)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for number, table in enumerate(tables, start=1):
        title = "".join(c for c in table.title if c not in "[]:*?/\\")[:31] or f"Sheet{number}"
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"  # before the first row: write-only mode writes the sheet's view first
        headers = []
        for header in table.headers:
            cell = WriteOnlyCell(sheet, safe_text(str(header)))
            cell.font = bold
            headers.append(cell)
        sheet.append(headers)
        for row in table.rows:
            sheet.append([safe_text(value) if type(value) is str else value if type(value) in _XLSX_AS_IS
                          else _xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
