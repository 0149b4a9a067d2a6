"""Hot spots and briefing reports under /monitor/ (issue #9 items 3 and 5), for Front monitors and
Inspection Board members, each limited to the territory it watches.

A hot spot or report outside the viewer's territory answers 404, as one that does not exist: a
URL never confirms another commune's data. Every page reads through ``feedback.services.hotspots``
and ``feedback.services.briefing``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from feedback.auth.permissions import role_required
from feedback.domain.calendar import local_date
from feedback.models import Role
from feedback.services import briefing, hotspots, scoreboard
from feedback.services.access import viewer_for
from feedback.web.args import path_id

bp = Blueprint("watch", __name__)

# Who watches: the Front and the Inspection Boards (their commune), as on the dashboard (monitor).
WATCH_ROLES = (Role.FRONT_MONITOR, Role.INSPECTION_BOARD)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/hotspots")
@role_required(*WATCH_ROLES)
def hot_spot_list() -> ResponseReturnValue:
    """Current hot spots (still found by the latest daily check), then past ones."""
    today = local_date(datetime.now(UTC))
    spots = hotspots.hot_spots(viewer_for(current_user), today=today)
    return render_template("watch/hotspots.html", current=[s for s in spots if s.current],
                           past=[s for s in spots if not s.current])


@bp.get("/hotspots/<int:hot_spot_id>")
@role_required(*WATCH_ROLES)
def hot_spot(hot_spot_id: int) -> ResponseReturnValue:
    """One hot spot and the items of its weeks that the viewer may see."""
    detail = hotspots.hot_spot_detail(viewer_for(current_user), path_id(hot_spot_id),
                                      today=local_date(datetime.now(UTC)))
    if detail is None:
        abort(404)
    return render_template("watch/hotspot.html", detail=detail)


@bp.get("/reports")
@role_required(*WATCH_ROLES)
def report_list() -> ResponseReturnValue:
    """The briefing reports of the viewer's territories, newest month first."""
    return render_template("watch/reports.html", reports=briefing.reports_for(viewer_for(current_user)))


@bp.get("/reports/<int:report_id>")
@role_required(*WATCH_ROLES)
def report(report_id: int) -> ResponseReturnValue:
    """One briefing report as a page (the same content as its XLSX file)."""
    found = briefing.report_for(viewer_for(current_user), path_id(report_id))
    if found is None:
        abort(404)
    return render_template("watch/report.html", report=found, columns=scoreboard.FIGURE_COLUMNS)


@bp.get("/reports/<int:report_id>.xlsx")
@role_required(*WATCH_ROLES)
def report_xlsx(report_id: int) -> ResponseReturnValue:
    """One briefing report as an XLSX workbook (a sheet per table)."""
    found = briefing.report_for(viewer_for(current_user), path_id(report_id))
    if found is None:
        abort(404)
    name = f"giao-ban-{found.territory_code}-{found.month_label}.xlsx"
    return briefing.report_xlsx(found), 200, {
        "Content-Type": XLSX,
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    }
