"""Open data (issue #9 item 6): one row per unit for a period, as CSV and JSON: every active
unit that answers residents, with or without figures in the period, and any other unit (inactive,
or a Front committee, which watches rather than answers) that has some.

The columns are a published contract (``OPEN_DATA_COLUMNS``, in that order). The figures are the
statistics' (DESIGN.md §6), over every item: rates are fractions 0..1, and a rate without a
denominator is empty in CSV and null in JSON, never 0. No personal data: units and counts only.
Text cells of the CSV are neutralised like every export (``feedback.domain.spreadsheet``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from feedback.domain.date_range import BadRange, RangeProblem, parse_range
from feedback.domain.spreadsheet import safe_text
from feedback.extensions import db
from feedback.services.statistics import Figures, Period, Scope, figures

OPEN_DATA_COLUMNS: tuple[str, ...] = (
    "unit_code", "unit_name", "received", "answered", "answered_on_time", "on_time_rate", "overdue_open",
    "median_days_to_answer", "ratings", "satisfied", "satisfaction_rate", "satisfaction_ci_low",
    "satisfaction_ci_high", "reopened",
)
# Columns whose value is a number (the rest are text).
_TEXT_COLUMNS = frozenset({"unit_code", "unit_name"})


class BadPeriod(ValueError):
    """The period asked for cannot be served; ``message`` says why, in the current language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _range_message(problem: RangeProblem) -> str:
    messages = {
        RangeProblem.MISSING: _("Hãy cho cả hai ngày from và to (YYYY-MM-DD), hoặc bỏ cả hai để lấy 12 tháng gần nhất."),
        RangeProblem.NOT_A_DATE: _("Ngày không hợp lệ: hãy viết theo dạng YYYY-MM-DD, ví dụ 2026-03-31."),
        RangeProblem.REVERSED: _("Ngày bắt đầu (from) phải trước hoặc bằng ngày kết thúc (to)."),
        RangeProblem.TOO_EARLY: _("Không có số liệu trước năm 2000."),
        RangeProblem.TOO_LONG: _("Khoảng thời gian quá dài (tối đa 20 năm)."),
        RangeProblem.FUTURE: _("Ngày bắt đầu (from) ở tương lai."),
    }
    return str(messages[problem])


def last_12_months(today: date) -> Period:
    """The default period: the statistics' "last 12 months" as of ``today``."""
    return Period.named("last_12_months", today)


def period_from_args(start: str | None, end: str | None, *, today: date) -> Period:
    """The period named by ``?from=&to=`` (both or neither; neither: the last 12 months).
    Raises BadPeriod with the reason for a bad date, a reversed or absurd range."""
    if not (start or "").strip() and not (end or "").strip():
        return last_12_months(today)
    try:
        first, last = parse_range(start, end, today=today)
    except BadRange as bad:
        raise BadPeriod(_range_message(bad.problem)) from bad
    return Period(first, last)


@dataclass(frozen=True)
class OpenDataTable:
    period: Period
    rows: tuple[dict[str, Any], ...]


def unit_row(row: Figures) -> dict[str, Any]:
    """One unit's figures under the open-data column names (the interval's ends None with it)."""
    low, high = row.satisfaction_ci if row.satisfaction_ci is not None else (None, None)
    return {
        "unit_code": row.key, "unit_name": row.label, "received": row.received, "answered": row.answered,
        "answered_on_time": row.answered_on_time, "on_time_rate": row.on_time_rate,
        "overdue_open": row.overdue_open, "median_days_to_answer": row.median_days_to_answer,
        "ratings": row.ratings, "satisfied": row.satisfied, "satisfaction_rate": row.satisfaction_rate,
        "satisfaction_ci_low": low, "satisfaction_ci_high": high, "reopened": row.reopened,
    }


def open_data(period: Period, *, now: datetime) -> OpenDataTable:
    """One row per unit, by unit code: every active unit that answers residents (counts 0, rates
    None where nothing happened in ``period``) and any other unit with figures in it (an inactive
    unit, a Front committee). Read only."""
    rows = figures(db.session(), period=period, group="unit", scope=Scope(), now=now, every_active_unit=True)
    return OpenDataTable(period, tuple(unit_row(row) for row in sorted(rows, key=lambda r: r.key)))


def _csv_value(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in _TEXT_COLUMNS:
        return safe_text(str(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_csv(table: OpenDataTable) -> str:
    """The table as CSV: the header line ``OPEN_DATA_COLUMNS``, then a line per unit (CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(OPEN_DATA_COLUMNS)
    for row in table.rows:
        writer.writerow([_csv_value(column, row[column]) for column in OPEN_DATA_COLUMNS])
    return out.getvalue()


def to_json(table: OpenDataTable) -> dict[str, Any]:
    """The table as JSON: ``period`` (from, to), ``columns`` and ``units`` (one object a unit,
    with exactly the columns as keys; a rate without a denominator is null)."""
    return {
        "period": {"from": table.period.start.isoformat(), "to": table.period.end.isoformat()},
        "columns": list(OPEN_DATA_COLUMNS),
        "units": [{column: row[column] for column in OPEN_DATA_COLUMNS} for row in table.rows],
    }
