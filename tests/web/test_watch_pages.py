"""The Front's hot-spot and briefing-report pages (issue #9 items 3 and 5): what a monitor of
Hà Tu reads, what Vân Đồn's cannot, and the XLSX download."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date, start_of_local_day
from feedback.extensions import db
from feedback.models import HotSpot, Role
from feedback.services.briefing import generate_report
from feedback.services.hotspots import check_day
from tests.factories import make_feedback, make_user
from tests.services.report_rows import counted_world
from tests.services.stats_rows import NOW, World
from tests.web.auth_helpers import log_in
from tests.web.html_text import elements


@pytest.fixture
def world(client: FlaskClient, db_session: Session) -> World:
    w = counted_world()
    d = w.directory
    make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu)
    make_user("mttq-van-don", Role.FRONT_MONITOR, territory=d.van_don)
    return w


def _surge(world: World) -> int:
    """Five waste items in Hà Tu yesterday: a hot spot found by today's check (current)."""
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    for hour in range(5):
        make_feedback(world.directory, received_at=start_of_local_day(yesterday) + timedelta(hours=hour),
                      title="=HYPERLINK(bí mật)")
    check_day(yesterday, now=datetime.now(UTC))
    return db.session.scalars(sa.select(HotSpot)).one().id


def test_the_monitor_sees_the_current_hot_spot_and_its_items(client: FlaskClient, world: World) -> None:
    spot_id = _surge(world)
    assert log_in(client, "mttq-ha-tu").status_code == 302
    listing = client.get("/monitor/hotspots").get_data(as_text=True)
    (section,) = [text for attrs, text in elements(listing, "section") if "current-heading" in attrs.get(
        "aria-labelledby", "")]
    assert "Phường Hà Tu" in section and "Rác thải" in section
    page = client.get(f"/monitor/hotspots/{spot_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = elements(html, "tr", **{"class": "hot-spot-item"})
    assert len(rows) == 5
    # Items are named by code, kind and place: never by what the resident wrote.
    assert "HYPERLINK" not in html and "Nguyễn Văn A" not in html
    links = [attrs["href"] for attrs, _t in elements(html, "a") if attrs.get("href", "").startswith("/monitor/items/")]
    assert len(links) == 5


def test_another_commune_monitor_gets_404_for_the_hot_spot(client: FlaskClient, world: World) -> None:
    spot_id = _surge(world)
    assert log_in(client, "mttq-van-don").status_code == 302
    assert client.get(f"/monitor/hotspots/{spot_id}").status_code == 404
    listing = client.get("/monitor/hotspots").get_data(as_text=True)
    assert "Phường Hà Tu" not in listing


def test_the_report_page_and_its_xlsx(client: FlaskClient, world: World) -> None:
    """Proves: the monitor of Hà Tu reads March's report of Hà Tu (headline figures as the
    statistics count them: 4 received, 4 answered, 75 % on time) and downloads the same figures
    as XLSX; the monitor of Vân Đồn gets 404 for both."""
    report_id = generate_report("06652", date(2026, 3, 1), now=NOW).report_id
    assert log_in(client, "mttq-ha-tu").status_code == 302
    listing = client.get("/monitor/reports").get_data(as_text=True)
    assert len(elements(listing, "tr", **{"class": "report-row"})) == 1
    html = client.get(f"/monitor/reports/{report_id}").get_data(as_text=True)
    figures = {attrs["data-figure"]: text for attrs, text in elements(html, "dd") if "data-figure" in attrs}
    assert (figures["received"], figures["answered"], figures["on_time_rate"]) == ("4", "4", "75,0%")
    assert figures["satisfaction_ci_low"] != "0,0%"
    overdue = [text for _a, text in elements(html, "tr", **{"class": "overdue-row"})]
    assert len(overdue) == 1 and world.items["I3"].code in overdue[0]
    download = client.get(f"/monitor/reports/{report_id}.xlsx")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(download.data))
    headline = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert (headline["Tiếp nhận"], headline["Đã trả lời"], headline["Tỷ lệ đúng hạn"]) == (4, 4, 0.75)


def test_another_commune_monitor_gets_404_for_the_report(client: FlaskClient, world: World) -> None:
    report_id = generate_report("06652", date(2026, 3, 1), now=NOW).report_id
    assert log_in(client, "mttq-van-don").status_code == 302
    assert client.get(f"/monitor/reports/{report_id}").status_code == 404
    assert client.get(f"/monitor/reports/{report_id}.xlsx").status_code == 404
    assert elements(client.get("/monitor/reports").get_data(as_text=True), "tr", **{"class": "report-row"}) == []
