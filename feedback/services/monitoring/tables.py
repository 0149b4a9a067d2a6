"""The dashboard's tables, said once for the page and for its CSV and XLSX exports: the columns
of a row of figures (``FIGURE_COLUMNS``), and each table as an ``exports.Table``.

The page and the files show the same numbers because both read these columns from the same
``Figures``; rates are fractions (the page shows them as percentages, the XLSX formats them so,
the CSV writes the fraction), a rate with no denominator is empty. No personal data: item tables
hold the code, title, kind, status, unit, topic, place and times only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.status import Status
from feedback.services.kinds import kind_name
from feedback.services.monitoring.dashboard import DrillRow
from feedback.services.monitoring.exports import Cell, Rate, Table
from feedback.services.monitoring.recommendations import RecommendationFigures
from feedback.services.statistics import Figures, OverdueRow

__all__ = ["FIGURE_COLUMNS", "Column", "figures_table", "items_table", "overdue_table", "ranking_table",
           "recommendations_table", "trend_table"]


def _rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


_Key = TypeVar("_Key", bound=Hashable)


def _once_each(label: Callable[[_Key], str]) -> Callable[[_Key], str]:
    """``label`` asked once per distinct value (a kind, a clock, a status) of one table: a
    translated name costs a catalogue lookup, and a province's overdue list has 55,000 rows."""
    known: dict[_Key, str] = {}

    def once(value: _Key) -> str:
        if value not in known:
            known[value] = label(value)
        return known[value]

    return once


@dataclass(frozen=True)
class Column:
    """One column of figures: its name in the URL and files (``key``), its heading, how to read
    its cell from a row, whether it is a rate (shown as a percentage), and the drill-down
    figure whose items are behind it (a count's own items; a rate's numerator, the median's
    answers; None for the interval bounds, whose items are the ratings' column)."""

    key: str
    heading: LazyString
    cell: Callable[[Figures], Cell]
    is_rate: bool = False
    drill: str | None = None


FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("received", _l("Tiếp nhận"), lambda f: f.received, drill="received"),
    Column("answered", _l("Đã trả lời"), lambda f: f.answered, drill="answered"),
    Column("answered_on_time", _l("Trả lời đúng hạn"), lambda f: f.answered_on_time, drill="answered_on_time"),
    Column("on_time_rate", _l("Tỷ lệ đúng hạn"), lambda f: _rate(f.on_time_rate), is_rate=True,
           drill="answered_on_time"),
    Column("overdue_open", _l("Đang quá hạn"), lambda f: f.overdue_open, drill="overdue_open"),
    Column("median_days_to_answer", _l("Số ngày trả lời (trung vị)"),
           lambda f: None if f.median_days_to_answer is None else round(f.median_days_to_answer, 1),
           drill="answered"),
    Column("transfers", _l("Chuyển đơn"), lambda f: f.transfers, drill="transfers"),
    Column("reopened", _l("Bị mở lại"), lambda f: f.reopened, drill="reopened"),
    Column("reopen_rate", _l("Tỷ lệ mở lại"), lambda f: _rate(f.reopen_rate), is_rate=True, drill="reopened"),
    Column("ratings", _l("Lượt đánh giá"), lambda f: f.ratings, drill="ratings"),
    Column("rating_response_rate", _l("Tỷ lệ phản hồi đánh giá"), lambda f: _rate(f.rating_response_rate),
           is_rate=True, drill="ratings"),
    Column("satisfied", _l("Hài lòng"), lambda f: f.satisfied, drill="satisfied"),
    Column("satisfaction_rate", _l("Tỷ lệ hài lòng"), lambda f: _rate(f.satisfaction_rate), is_rate=True,
           drill="satisfied"),
    Column("satisfaction_ci_low", _l("Khoảng tin cậy 95%: cận dưới"),
           lambda f: _rate(f.satisfaction_ci[0] if f.satisfaction_ci else None), is_rate=True),
    Column("satisfaction_ci_high", _l("Khoảng tin cậy 95%: cận trên"),
           lambda f: _rate(f.satisfaction_ci[1] if f.satisfaction_ci else None), is_rate=True),
)


# What each figure counts (DESIGN.md §6), shown under the tables (``macros/figures.html``
# ``definitions``): a Front monitor or a resident reading "118 %" must find why it can pass 100 %.
FIGURE_DEFINITIONS: dict[str, LazyString] = {
    "received": _l("ý kiến được giao cho đơn vị trong kỳ, theo lần giao đầu tiên; ý kiến được chuyển tính cho "
                   "mỗi đơn vị đã nhận."),
    "answered": _l("câu trả lời đơn vị công bố trong kỳ."),
    "answered_on_time": _l("câu trả lời công bố không muộn hơn thời hạn giải quyết đang có hiệu lực (kể cả gia "
                           "hạn hợp lệ; thời gian chờ người gửi bổ sung thông tin không tính)."),
    "on_time_rate": _l("trả lời đúng hạn chia cho đã trả lời."),
    "overdue_open": _l("ý kiến chưa giải quyết xong đã quá một thời hạn, tính đến lúc xem (không theo kỳ)."),
    "median_days_to_answer": _l("trung vị số ngày từ khi đơn vị nhận đến khi công bố câu trả lời, không tính thời "
                                "gian tạm dừng."),
    "transfers": _l("lần đơn vị trả lại ý kiến vì không thuộc thẩm quyền, trong kỳ."),
    "reopened": _l("ý kiến người gửi mở lại sau câu trả lời của đơn vị, trong kỳ."),
    "reopen_rate": _l("bị mở lại chia cho đã trả lời."),
    "ratings": _l("đánh giá của người gửi về câu trả lời của đơn vị, theo ngày đánh giá lần đầu."),
    "rating_response_rate": _l("lượt đánh giá chia cho đã trả lời, cùng kỳ; có thể vượt 100% khi người gửi đánh "
                               "giá trong kỳ cả những câu trả lời của kỳ trước."),
    "satisfied": _l("đánh giá 4 hoặc 5 điểm (hài lòng, rất hài lòng)."),
    "satisfaction_rate": _l("hài lòng chia cho lượt đánh giá."),
    "satisfaction_ci_low": _l("khoảng tin cậy 95% (Wilson) của tỷ lệ hài lòng: với ít lượt đánh giá, khoảng "
                              "rộng; xếp hạng theo cận dưới."),
}


def _figure_cells(row: Figures) -> list[Cell]:
    return [column.cell(row) for column in FIGURE_COLUMNS]


def _headings(*first: str) -> list[str]:
    return [*first, *(str(column.heading) for column in FIGURE_COLUMNS)]


def figures_table(title: str, group_heading: str, rows: Sequence[Figures], total: Figures) -> Table:
    """The figures per group, then the totals row ("Tổng cộng")."""
    body = [[row.key, row.label, *_figure_cells(row)] for row in rows]
    body.append(["", _("Tổng cộng"), *_figure_cells(total)])
    return Table(title, _headings(_("Mã"), group_heading), body)


def ranking_table(ranked: Sequence[Figures], too_few: Sequence[Figures], min_ratings: int) -> Table:
    """The units ranked by the lower end of the interval (rank 1, 2, …), then those with fewer
    than ``min_ratings`` ratings, unranked, marked "quá ít đánh giá"."""
    body: list[list[Cell]] = [[index, row.key, row.label, *_figure_cells(row)] for index, row in enumerate(ranked, 1)]
    note = _("Quá ít đánh giá (dưới %(num)d)", num=min_ratings)
    body += [[note, row.key, row.label, *_figure_cells(row)] for row in too_few]
    return Table(_("Xếp hạng"), _headings(_("Hạng"), _("Mã"), _("Đơn vị")), body)


def trend_table(rows: Sequence[Figures]) -> Table:
    """The monthly trend: one row per month of figures."""
    return Table(_("Theo tháng"), _headings(_("Tháng")), [[row.key, *_figure_cells(row)] for row in rows])


def _late_days(row: OverdueRow) -> float:
    return round(row.late.total_seconds() / 86400, 1)


def overdue_table(rows: Sequence[OverdueRow], clock_label: Callable[[str], str] = str) -> Table:
    """The overdue list now: item, unit, kind, topic, place, clock (named by ``clock_label``),
    due time, days late."""
    headings = [_("Mã ý kiến"), _("Mã đơn vị"), _("Đơn vị"), _("Loại ý kiến"), _("Lĩnh vực"), _("Địa bàn"),
                _("Thời hạn"), _("Hạn"), _("Số ngày quá hạn")]
    kind, clock = _once_each(kind_name), _once_each(clock_label)
    body: list[list[Cell]] = [[row.code, row.unit_code, row.unit_name, kind(row.kind), row.topic_name,
                               row.locality_name, clock(row.clock), row.due_at, _late_days(row)] for row in rows]
    return Table(_("Quá hạn"), headings, body)


def items_table(rows: Sequence[DrillRow], status_label: Callable[[Status], str] = str) -> Table:
    """The items behind a figure: code, title, kind, status (named by ``status_label``), unit,
    topic, place, times."""
    headings = [_("Mã ý kiến"), _("Tiêu đề"), _("Loại ý kiến"), _("Trạng thái"), _("Đơn vị đang xử lý"),
                _("Lĩnh vực"), _("Địa bàn"), _("Ngày tiếp nhận"), _("Hạn gần nhất"), _("Quá hạn")]
    kind, status, overdue = _once_each(kind_name), _once_each(status_label), _("có")
    body: list[list[Cell]] = [[row.code, row.title, kind(row.kind), status(row.status), row.unit, row.topic,
                               row.locality, row.received_at, row.next_due_at, overdue if row.overdue else ""]
                              for row in rows]
    return Table(_("Ý kiến"), headings, body)


def recommendations_table(rows: Sequence[RecommendationFigures], total: RecommendationFigures) -> Table:
    """The supervision recommendations per unit (issued, answered, answered on time, on-time
    rate, overdue now), then the totals row ("Tổng cộng")."""
    headings = [_("Mã đơn vị"), _("Đơn vị"), _("Kiến nghị đã gửi"), _("Đã trả lời"), _("Trả lời đúng hạn"),
                _("Tỷ lệ đúng hạn"), _("Đang quá hạn")]

    def cells(row: RecommendationFigures) -> list[Cell]:
        return [row.issued, row.answered, row.answered_on_time, _rate(row.on_time_rate), row.overdue_open]

    body: list[list[Cell]] = [[row.unit_code, row.unit_name, *cells(row)] for row in rows]
    body.append(["", _("Tổng cộng"), *cells(total)])
    return Table(_("Kiến nghị giám sát"), headings, body)
