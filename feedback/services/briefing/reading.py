"""Briefing reports as the Front reads them: the list of the viewer's territories, one report as
a page, and the same report as an XLSX workbook (a sheet per table, the same figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, or_, select, true

from feedback.domain.access import Viewer, visibility
from feedback.domain.paths import path_of
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import BriefingReport, Locality
from feedback.services.kinds import kind_name
from feedback.services.monitoring import FIGURE_COLUMNS, Table, ranking_table, to_xlsx
from feedback.services.statistics import Figures

LIST_LIMIT = 240
# A recommendation's state when the report was made (``recommendations.recommendation_rows``).
RECOMMENDATION_STATUS = {
    "answered": _l("Đã trả lời"),
    "overdue": _l("Quá hạn"),
    "open": _l("Đang chờ trả lời"),
}  # twenty years of one territory, or two years of ten


@dataclass(frozen=True)
class ReportSummary:
    id: int
    territory_code: str
    territory_name: str
    month: date
    generated_at: datetime

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


@dataclass(frozen=True)
class ReportView:
    """One stored report: ``data`` is its snapshot (``snapshot.build_snapshot``)."""

    id: int
    territory_code: str
    territory_name: str
    month: date
    generated_at: datetime
    data: dict[str, Any]

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def totals(self) -> Figures:
        return figures_from_json(self.data["totals"])

    @property
    def ranked(self) -> list[Figures]:
        return [figures_from_json(row) for row in self.data["ranked"]]

    @property
    def too_few_ratings(self) -> list[Figures]:
        return [figures_from_json(row) for row in self.data["too_few_ratings"]]

    @property
    def min_ratings(self) -> int:
        return int(self.data["min_ratings"])

    @property
    def overdue(self) -> list[dict[str, Any]]:
        return list(self.data["overdue"])

    @property
    def hot_spots(self) -> list[dict[str, Any]]:
        return list(self.data["hot_spots"])

    @property
    def recommendations(self) -> list[dict[str, Any]]:
        """The recommendations' rows, each with ``status_label`` in the current language."""
        return [{**row, "status_label": str(RECOMMENDATION_STATUS.get(row.get("status", ""), row.get("status")))}
                for row in self.data.get("recommendations") or []]


def figures_from_json(values: dict[str, Any]) -> Figures:
    """A row of figures as the snapshot stored it (``snapshot.jsonable``), as ``Figures`` again."""
    interval = values.get("satisfaction_ci")
    return Figures(**{**values, "satisfaction_ci": tuple(interval) if interval is not None else None})


def _watched(viewer: Viewer) -> ColumnElement[bool]:
    """Reports whose territory lies in a territory the viewer watches (all for the operator)."""
    seen = visibility(viewer)
    if seen.everything:
        return true()
    if not seen.territories:
        return false()
    return or_(*(Locality.path.startswith(path_of(t)) for t in sorted(seen.territories)))


def reports_for(viewer: Viewer) -> list[ReportSummary]:
    """The reports the viewer may read, newest month first, then by territory."""
    rows = db.session.execute(
        select(BriefingReport.id, Locality.code, Locality.name, BriefingReport.month, BriefingReport.generated_at)
        .join(Locality, BriefingReport.territory_id == Locality.id)
        .where(_watched(viewer))
        .order_by(BriefingReport.month.desc(), Locality.path, BriefingReport.id)
        .limit(LIST_LIMIT)
    ).all()
    return [ReportSummary(*row) for row in rows]


def report_for(viewer: Viewer, report_id: int) -> ReportView | None:
    """Report ``report_id`` when the viewer may read it; None otherwise (or when there is none)."""
    row = db.session.execute(
        select(BriefingReport, Locality).join(Locality, BriefingReport.territory_id == Locality.id)
        .where(BriefingReport.id == report_id, _watched(viewer))
    ).first()
    if row is None:
        return None
    report, territory = row
    return ReportView(report.id, territory.code, territory.name, report.month, report.generated_at, report.data)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (_("Có") if value else _("Không"))


def report_tables(report: ReportView) -> list[Table]:
    """The report's tables, as on its page: headline figures, ranking (and the units with too few
    ratings), overdue list, hot spots, recommendations. The figure columns are the dashboard's."""
    totals = report.totals
    headline = Table(_("Tổng hợp"), [_("Chỉ số"), _("Giá trị")],
                     [[str(column.heading), column.cell(totals)] for column in FIGURE_COLUMNS])
    ranking = ranking_table(report.ranked, report.too_few_ratings, report.min_ratings)
    overdue = Table(_("Quá hạn"), [_("Mã"), _("Đơn vị"), _("Loại ý kiến"), _("Lĩnh vực"), _("Địa bàn"),
                                   _("Hạn"), _("Số ngày quá hạn")],
                    [[r["code"], r["unit"], kind_name(Kind(r["kind"])), r["topic"], r["locality"], r["due_at"],
                      r["days_late"]] for r in report.overdue])
    spots = Table(_("Điểm nóng"), [_("Xã, phường"), _("Lĩnh vực"), _("Từ ngày"), _("Lần cuối ghi nhận"),
                                   _("Số ý kiến trong 7 ngày"), _("Trung bình mỗi tuần của 8 tuần trước")],
                  [[s["commune"], s["topic"], date.fromisoformat(s["first_day"]), date.fromisoformat(s["last_seen_on"]),
                    s["recent_count"], round(float(s["weekly_average"]), 2)] for s in report.hot_spots])
    recommendations = Table(_("Kiến nghị"), [_("Mã"), _("Đơn vị"), _("Ngày ban hành"), _("Hạn trả lời"),
                                             _("Trạng thái"), _("Ngày trả lời"), _("Đúng hạn"), _("Nội dung trả lời")],
                            [[r.get("code"), r.get("unit"), r.get("issued_at"), r.get("due_at"), r["status_label"],
                              r.get("answered_at"), _yes_no(r.get("on_time")), r.get("answer")]
                             for r in report.recommendations])
    return [headline, ranking, overdue, spots, recommendations]


def report_xlsx(report: ReportView) -> bytes:
    """The report as an XLSX workbook (``monitoring.exports.to_xlsx``: text cells neutralised)."""
    return to_xlsx(report_tables(report))


__all__ = ["ReportSummary", "ReportView", "report_for", "figures_from_json", "report_tables", "report_xlsx",
           "reports_for"]
