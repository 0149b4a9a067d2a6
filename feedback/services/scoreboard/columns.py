"""The figures of a unit as tables show them (DESIGN.md §6 names, in order): one list for the
public scoreboard, the briefing report's page and its XLSX file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.services.monitoring.exports import Cell, Rate

# (key in the figures, column label, kind): "count" a whole number, "rate" a fraction 0..1 or
# none, "days" a number of days or none. The interval's two ends are keys of their own here,
# read from the figures' ``satisfaction_ci`` pair.
FIGURE_COLUMNS: tuple[tuple[str, LazyString, str], ...] = (
    ("received", _l("Tiếp nhận"), "count"),
    ("answered", _l("Đã trả lời"), "count"),
    ("answered_on_time", _l("Trả lời đúng hạn"), "count"),
    ("on_time_rate", _l("Tỷ lệ đúng hạn"), "rate"),
    ("overdue_open", _l("Đang quá hạn"), "count"),
    ("median_days_to_answer", _l("Số ngày trả lời (trung vị)"), "days"),
    ("transfers", _l("Chuyển đơn"), "count"),
    ("reopened", _l("Mở lại"), "count"),
    ("reopen_rate", _l("Tỷ lệ mở lại"), "rate"),
    ("ratings", _l("Lượt đánh giá"), "count"),
    ("rating_response_rate", _l("Tỷ lệ đánh giá"), "rate"),
    ("satisfied", _l("Hài lòng"), "count"),
    ("satisfaction_rate", _l("Tỷ lệ hài lòng"), "rate"),
    ("satisfaction_ci_low", _l("Khoảng tin cậy 95%: cận dưới"), "rate"),
    ("satisfaction_ci_high", _l("Khoảng tin cậy 95%: cận trên"), "rate"),
)


def figure_value(row: Mapping[str, Any] | object, key: str) -> Any:
    """The value of ``key`` in a figures row (a ``Figures`` or its JSON dict); the interval's ends
    come from ``satisfaction_ci`` (None when it is None)."""
    def get(name: str) -> Any:
        return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)

    if key in ("satisfaction_ci_low", "satisfaction_ci_high"):
        interval = get("satisfaction_ci")
        return None if interval is None else interval[0 if key.endswith("low") else 1]
    return get(key)


def figure_cell(row: Mapping[str, Any] | object, key: str, kind: str) -> Cell:
    """The value as a table cell: a rate as ``Rate`` (a percentage in XLSX), none as an empty
    cell (never 0), days rounded to one decimal."""
    value = figure_value(row, key)
    if value is None:
        return None
    if kind == "rate":
        return Rate(float(value))
    if kind == "days":
        return round(float(value), 1)
    return int(value)
