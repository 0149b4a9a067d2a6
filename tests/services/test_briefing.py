"""The monthly briefing report (issue #9 item 5) on the hand-counted world of
tests/services/stats_rows.py (March 2026): made by beat on the first working day of the month,
once per territory, emailed once; by hand for any ended month; its page and XLSX file carry the
same figures as the statistics."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from feedback.domain.briefing import BadMonth, parse_month, report_due
from feedback.domain.calendar import WorkCalendar, start_of_local_day
from feedback.domain.hotspots import windows
from feedback.extensions import db
from feedback.models import BriefingReport, Notification, Role
from feedback.services import statistics
from feedback.services.access import viewer_for
from feedback.services.briefing import (
    UnknownTerritory, generate_due_reports, generate_report, report_for, report_xlsx, reports_for,
)
from feedback.services.hotspots import check_day
from feedback.services.statistics import Period, Scope
from tests.factories import make_feedback, make_user
from tests.services.report_rows import counted_world
from tests.services.stats_rows import NOW, World, local

MARCH = date(2026, 3, 1)


@pytest.fixture
def world(db_session: Session) -> World:
    return counted_world()


def _reports() -> list[BriefingReport]:
    return list(db.session.scalars(sa.select(BriefingReport).order_by(BriefingReport.id)))


def _mail() -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == "briefing_report")
                                   .order_by(Notification.id)))


@pytest.mark.parametrize(("text", "first"), [("2026-03", date(2026, 3, 1)), (" 2025-12 ", date(2025, 12, 1))])
def test_a_month_is_read_as_yyyy_mm(text: str, first: date) -> None:
    assert parse_month(text) == first


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "03/2026", "2026-3", "1999-12", "", "2026-03-01"])
def test_anything_else_is_not_a_month(text: str) -> None:
    with pytest.raises(BadMonth):
        parse_month(text)


def test_the_report_is_due_from_the_first_working_day_of_the_month() -> None:
    """Proves: Labour Day (1/5), a holiday with 30/4, and the weekend push May's first working
    day to Monday 4 May 2026; the report of April is due from then on, not before."""
    calendar = WorkCalendar(days_off=frozenset({date(2026, 4, 30), date(2026, 5, 1)}))
    assert report_due(date(2026, 5, 1), calendar) is None
    assert report_due(date(2026, 5, 3), calendar) is None
    assert report_due(date(2026, 5, 4), calendar) == date(2026, 4, 1)
    assert report_due(date(2026, 5, 20), calendar) == date(2026, 4, 1)


def test_beat_makes_one_report_per_front_territory_once_and_emails_it_once(world: World) -> None:
    """Proves: on Wednesday 1 April 2026 (a working day) beat makes March's report for the
    province's and Hà Tu's Front committees, one email each; later runs make and send nothing
    more. The province's report holds the statistics' figures for March."""
    d = world.directory
    first_day = local(4, 1)
    assert generate_due_reports(now=first_day) == 2
    assert generate_due_reports(now=first_day + timedelta(hours=1)) == 0
    assert generate_due_reports(now=local(4, 20)) == 0
    reports = _reports()
    assert sorted((r.territory_id, r.month, r.committee_unit_id) for r in reports) == sorted([
        (d.province.id, MARCH, d.front_province.id), (d.ha_tu.id, MARCH, d.front_ha_tu.id)])
    mails = _mail()
    assert sorted(m.recipient_unit_id for m in mails) == sorted([d.front_province.id, d.front_ha_tu.id])
    province = next(r for r in reports if r.territory_id == d.province.id)
    expected = statistics.totals(db.session(), period=Period(MARCH, date(2026, 3, 31)),
                                 scope=Scope(territory_id=d.province.id), now=first_day)
    totals = province.data["totals"]
    assert (totals["received"], totals["answered"], totals["answered_on_time"], totals["on_time_rate"]) == (
        expected.received, expected.answered, expected.answered_on_time, expected.on_time_rate) == (6, 5, 4, 0.8)
    mail = next(m for m in mails if m.recipient_unit_id == d.front_province.id)
    assert "03/2026" in mail.subject and f"/monitor/reports/{province.id}.xlsx" in mail.body
    for private in ("Ý kiến I", "Nội dung.", "Nguyễn Văn A"):
        assert private not in mail.body


def test_before_the_first_working_day_beat_makes_nothing(world: World) -> None:
    """Proves: 1 and 2 May 2026 are a holiday and a Saturday: no report of April yet; Monday 4 May
    makes them."""
    assert generate_due_reports(now=local(5, 1)) == 0
    assert generate_due_reports(now=local(5, 2)) == 0
    assert _reports() == []
    assert generate_due_reports(now=local(5, 4)) == 2
    assert {r.month for r in _reports()} == {date(2026, 4, 1)}


def test_the_report_holds_the_ranking_the_overdue_list_and_the_hot_spots(world: World) -> None:
    """Proves: the report of the province for March ranks nobody (fewer than 10 ratings each:
    all three units apart), lists I3 and I6 overdue at generation time, and the hot spot of the
    month; its XLSX file has the same numbers, text cells neutralised."""
    d = world.directory
    surge_day = date(2026, 3, 16)
    for n in range(5):
        make_feedback(d, received_at=start_of_local_day(windows(surge_day).recent_start) + timedelta(hours=n))
    check_day(surge_day, now=local(3, 17))
    generated = generate_report("22", MARCH, now=NOW)
    assert generated.replaced is False and generated.emailed == 0
    monitor = viewer_for(make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province))
    report = report_for(monitor, generated.report_id)
    assert report is not None
    assert report.ranked == []
    assert [row.key for row in report.too_few_ratings] == ["SNNMT-22", "UBND-06994", "UBND-06652"]
    assert [row["code"] for row in report.overdue] == [world.items["I3"].code, world.items["I6"].code]
    assert report.overdue[0]["days_late"] == pytest.approx((NOW - local(4, 4, 23)).total_seconds() / 86400, abs=0.1)
    (spot,) = report.hot_spots
    assert (spot["commune"], spot["topic"], spot["recent_count"]) == ("Phường Hà Tu", "Rác thải", 5)
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames[:2] == ["Tổng hợp", "Xếp hạng"]
    headline = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert (headline["Tiếp nhận"], headline["Đã trả lời"], headline["Tỷ lệ đúng hạn"]) == (6, 5, 0.8)
    assert headline["Tỷ lệ hài lòng"] == pytest.approx(1 / 3)
    assert headline["Số ngày trả lời (trung vị)"] == 10.0
    few = list(book["Xếp hạng"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in few] == ["SNNMT-22", "UBND-06994", "UBND-06652"]
    assert all(str(row[0]).startswith("Quá ít đánh giá") for row in few)
    overdue = list(book["Quá hạn"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in overdue] == [world.items["I3"].code, world.items["I6"].code]


def test_by_hand_the_report_is_made_again_in_place(world: World) -> None:
    """Proves: a second run for the same territory and month replaces the stored report (one row,
    same id); with email, the committee is told once."""
    first = generate_report("06652", MARCH, now=NOW, email=True)
    second = generate_report("06652", MARCH, now=NOW + timedelta(days=1), email=True)
    assert (first.replaced, second.replaced, second.report_id) == (False, True, first.report_id)
    assert (first.emailed, second.emailed) == (1, 0)
    assert len(_reports()) == 1 and len(_mail()) == 1


def test_by_hand_an_unknown_territory_or_an_unended_month_is_refused(world: World) -> None:
    with pytest.raises(UnknownTerritory):
        generate_report("99999", MARCH, now=NOW)
    with pytest.raises(BadMonth):
        generate_report("22", date(2026, 4, 1), now=NOW)
    assert _reports() == []


def test_each_monitor_reads_the_reports_of_its_territory_only(world: World) -> None:
    d = world.directory
    province = generate_report("22", MARCH, now=NOW).report_id
    ha_tu = generate_report("06652", MARCH, now=NOW).report_id
    van_don = generate_report("06994", MARCH, now=NOW).report_id
    commune = viewer_for(make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu))
    whole = viewer_for(make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province))
    assert [r.id for r in reports_for(commune)] == [ha_tu]
    assert sorted(r.id for r in reports_for(whole)) == sorted([province, ha_tu, van_don])
    assert report_for(commune, province) is None and report_for(commune, van_don) is None
    van_don_report = report_for(whole, van_don)
    assert van_don_report is not None
    assert [row.key for row in van_don_report.too_few_ratings] == ["UBND-06994"]


def test_the_cli_makes_a_report_and_refuses_bad_input(app: Flask, world: World) -> None:
    """Proves: ``flask report monthly`` makes March's report of Hà Tu (exit 0) and refuses a bad
    month, a month not yet ended and an unknown territory with a message and a non-zero exit."""
    runner = app.test_cli_runner()
    made = runner.invoke(args=["report", "monthly", "--month", "2026-03", "--territory", "06652"])
    assert made.exit_code == 0, made.output
    assert "Đã lập báo cáo số" in made.output
    again = runner.invoke(args=["report", "monthly", "--month", "2026-03", "--territory", "06652"])
    assert again.exit_code == 0 and "thay báo cáo cũ" in again.output
    assert len(_reports()) == 1
    for args, words in ((["--month", "2026-13", "--territory", "06652"], "YYYY-MM"),
                        (["--month", "2999-01", "--territory", "06652"], "chưa kết thúc"),
                        (["--month", "2026-03", "--territory", "KHONG-CO"], "KHONG-CO")):
        refused = runner.invoke(args=["report", "monthly", *args])
        assert refused.exit_code != 0
        assert words in refused.output


def test_text_cells_of_the_report_xlsx_are_neutralised(world: World) -> None:
    """Proves: a place or unit name that starts like a formula is written as text with a leading
    apostrophe in the XLSX file, never as a formula."""
    world.directory.waste.name = "=HYPERLINK(\"http://x\",\"y\")"
    world.c.name = "@SUM(1)"
    db.session.flush()
    generated = generate_report("22", MARCH, now=NOW)
    monitor = viewer_for(make_user("mttq-tinh", Role.FRONT_MONITOR, territory=world.directory.province))
    report = report_for(monitor, generated.report_id)
    assert report is not None
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    overdue = list(book["Quá hạn"].iter_rows(min_row=2, values_only=True))
    assert overdue[1][1] == "'@SUM(1)"
    assert overdue[1][3] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert all(cell.data_type != "f" for row in book["Quá hạn"].iter_rows() for cell in row)
