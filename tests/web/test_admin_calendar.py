"""The administrators' calendar pages: holidays of a year, adding and removing overrides, and
the number of open deadlines each change recomputed."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import CalendarOverride, Role
from feedback.services.deadlines.clocks import start_clocks
from tests.factories import make_directory, make_feedback, make_user
from tests.times import TUESDAY_MORNING, WED_11_MAR
from tests.web.auth_helpers import csrf_token, log_in



def overrides() -> list[tuple[date, bool, str]]:
    return [(o.day, o.is_day_off, o.note) for o in db.session.scalars(select(CalendarOverride))]


def test_a_day_off_is_added_and_removed_with_the_recomputed_count(client: FlaskClient, db_session: Session) -> None:
    """Proves: adding Wed 11/03/2026 as a day off moves the two open clocks of an item received on
    03/03 and the page says so; removing it moves them back, and says so too."""
    directory = make_directory()
    item = make_feedback(directory, received_at=TUESDAY_MORNING)
    start_clocks(item, directory.ubnd_ha_tu, TUESDAY_MORNING)
    db.session.commit()
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")
    token = csrf_token(client.get("/admin/calendar?year=2026").get_data(as_text=True))

    added = client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-03-11", "day_type": "off",
                                                 "note": "QĐ 12/QĐ-UBND"}, follow_redirects=True)
    page = added.get_data(as_text=True)

    assert "là ngày nghỉ; đã tính lại 2 thời hạn đang mở." in page
    assert overrides() == [(WED_11_MAR, True, "QĐ 12/QĐ-UBND")]
    assert "QĐ 12/QĐ-UBND" in page and "/admin/calendar/2026-03-11/remove" in page

    removed = client.post("/admin/calendar/2026-03-11/remove", data={"csrf_token": csrf_token(page)},
                          follow_redirects=True)

    assert "Đã bỏ thay đổi của ngày" in removed.get_data(as_text=True)
    assert "đã tính lại 2 thời hạn đang mở." in removed.get_data(as_text=True)
    assert overrides() == []


def test_the_page_lists_the_years_holidays_and_worked_days(client: FlaskClient, db_session: Session) -> None:
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")

    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)

    assert "Tết Nguyên Đán" in page and "Quốc khánh" in page
    assert "Ngày làm bù theo quy định:" in page  # Saturday 22/08/2026 in the holidays package
    assert 'href="/admin/calendar?year=2027"' in page
    assert client.get("/admin/calendar?year=1999").status_code == 404


def test_a_missing_date_is_refused_and_nothing_changes(client: FlaskClient, db_session: Session) -> None:
    make_user("quantri", Role.ADMIN)
    log_in(client, "quantri")
    token = csrf_token(client.get("/admin/calendar").get_data(as_text=True))

    response = client.post("/admin/calendar", data={"csrf_token": token, "day": "", "day_type": "off"})

    assert response.status_code == 400
    assert overrides() == []


def test_calendar_pages_are_for_administrators_only(client: FlaskClient, db_session: Session) -> None:
    """Proves: anonymous visitors are sent to login; an officer gets 403 and cannot add a day."""
    directory = make_directory()
    assert client.get("/admin/calendar").status_code == 302
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)
    log_in(client, "canbo")
    token = csrf_token(client.get("/").get_data(as_text=True))

    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-03-11",
                                                "day_type": "off"}).status_code == 403
    assert overrides() == []
