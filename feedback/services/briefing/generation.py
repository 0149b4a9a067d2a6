"""Making briefing reports: by beat on the first working day of the month for every Front
committee's territory, or by hand for any ended month and territory (``flask report monthly``).

One report per (territory, month), kept as generated (``BriefingReport.data``): beat never makes
a second one; by hand, the stored one is replaced (figures recounted, e.g. after a late answer).
The committee is emailed once per report through the outbox: a link to the page and its XLSX
file behind a login, and the headline figures, never an item's text or a resident's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.briefing import BadMonth, has_ended, report_due
from feedback.domain.calendar import local_date
from feedback.extensions import db
from feedback.models import BriefingReport, Locality, LocalityLevel, Unit, UnitKind
from feedback.services.briefing.snapshot import build_snapshot
from feedback.services.database import dialect_insert
from feedback.services.deadlines.calendar import calendar_for_years
from feedback.services.notifications import queue_notification

NOTIFICATION_KIND = "briefing_report"


class UnknownTerritory(LookupError):
    """No locality has the code given."""


@dataclass(frozen=True)
class Generated:
    """The outcome of ``generate_report``: the report's id, whether it replaced a stored one,
    and how many emails were queued."""

    report_id: int
    replaced: bool
    emailed: int


def committee_of(territory: Locality) -> Unit | None:
    """The active Front committee based in ``territory`` (the lowest id when several)."""
    return db.session.scalar(
        select(Unit).where(Unit.kind == UnitKind.FRONT_COMMITTEE, Unit.active.is_(True),
                           Unit.locality_id == territory.id).order_by(Unit.id).limit(1))


def generate_report(territory_code: str, month: date, *, now: datetime, email: bool = False) -> Generated:
    """Make (or make again) the report of the territory with ``territory_code`` for the month
    starting on ``month``; commits. Raises UnknownTerritory for a code no locality has, BadMonth
    for a month that has not ended on ``now``'s local date. With ``email``, the committee is
    told once per report (a replaced report keeps its id, so it is not told again)."""
    territory = db.session.scalar(select(Locality).where(Locality.code == territory_code.strip()))
    if territory is None:
        raise UnknownTerritory(territory_code)
    if not has_ended(month, local_date(now)):
        raise BadMonth(month.isoformat())
    committee = committee_of(territory)
    data = build_snapshot(territory, committee, month, now=now)
    report = db.session.scalar(select(BriefingReport).where(
        BriefingReport.territory_id == territory.id, BriefingReport.month == month).with_for_update())
    replaced = report is not None
    if report is None:
        report = BriefingReport(territory_id=territory.id, month=month)
        db.session.add(report)
    report.committee_unit_id = committee.id if committee else None
    report.generated_at = now
    report.data = data
    db.session.flush()
    emailed = _email(report, committee, now) if email and committee is not None else 0
    db.session.commit()
    return Generated(report.id, replaced, emailed)


def generate_due_reports(*, now: datetime) -> int:
    """Last month's report of every active Front committee's territory that has none yet, once
    this month's first working day has come (``report_due``); each committee emailed. Commits
    each report on its own. Idempotent: returns how many reports this call made (0 on a rerun)."""
    today = local_date(now)
    month = report_due(today, calendar_for_years([today.year]))
    if month is None:
        return 0
    committees = db.session.execute(
        select(Unit, Locality).join(Locality, Unit.locality_id == Locality.id)
        .where(Unit.kind == UnitKind.FRONT_COMMITTEE, Unit.active.is_(True),
               Locality.level.in_([LocalityLevel.PROVINCE, LocalityLevel.COMMUNE]))
        .order_by(Locality.path, Unit.id)
    ).all()
    done = set(db.session.scalars(select(BriefingReport.territory_id).where(BriefingReport.month == month)))
    made = 0
    for committee, territory in committees:
        if territory.id in done:
            continue
        done.add(territory.id)
        data = build_snapshot(territory, committee, month, now=now)
        report_id = db.session.execute(
            dialect_insert(BriefingReport).values(territory_id=territory.id, month=month,
                                                  committee_unit_id=committee.id, generated_at=now, data=data)
            .on_conflict_do_nothing(index_elements=["territory_id", "month"]).returning(BriefingReport.id)
        ).scalar()
        if report_id is not None:  # None: another run made it meanwhile
            made += 1
            report = db.session.get(BriefingReport, report_id)
            assert report is not None
            _email(report, committee, now)
        db.session.commit()
    return made


def dedupe_key(report_id: int, unit_id: int) -> str:
    return f"briefing:{report_id}:unit:{unit_id}"


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%".replace(".", ",")


def _email(report: BriefingReport, committee: Unit, now: datetime) -> int:
    """Queue the report's one email to ``committee``; 1 when this call queued it."""
    data = report.data
    figures = data["totals"]
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    values = {
        "recipient": committee.name,
        "territory": data["territory"]["name"],
        "month": report.month.strftime("%m/%Y"),
        "received": figures["received"],
        "answered": figures["answered"],
        "on_time": _percent(figures["on_time_rate"]),
        "satisfaction": _percent(figures["satisfaction_rate"]),
        "overdue": len(data["overdue"]),
        "hot_spots": len(data["hot_spots"]),
        "url": f"{base}/monitor/reports/{report.id}",
        "xlsx": f"{base}/monitor/reports/{report.id}.xlsx",
    }
    subject = _("[Giao ban] Báo cáo tháng %(month)s: %(territory)s", **values)
    body = _("Kính gửi %(recipient)s,\n\nBáo cáo giao ban tháng %(month)s của %(territory)s đã sẵn sàng.\n\n"
             "Tiếp nhận: %(received)s ý kiến; đã trả lời: %(answered)s; trả lời đúng hạn: %(on_time)s; "
             "hài lòng: %(satisfaction)s; đang quá hạn: %(overdue)s; điểm nóng: %(hot_spots)s.\n\n"
             "Xem báo cáo (cần đăng nhập): %(url)s\nTải tệp Excel: %(xlsx)s\n\n"
             "Thư này được gửi tự động, vui lòng không trả lời.", **values)
    return int(queue_notification(dedupe_key(report.id, committee.id), NOTIFICATION_KIND, subject=subject[:255],
                                  body=body, now=now, recipient_unit_id=committee.id))
