"""The unit workspace pages (/unit/), read as parsed HTML: who may open them, the inbox's order,
filters, counts, search and pages, overdue marking, another unit's item and file by URL, personal
data under the identity rule (and its logging), the landing page per role and the header."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.calendar import end_of_local_day, local_date
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Attachment, Deadline, Event, Feedback, LocalityLevel, Role, Unit
from feedback.services.deadlines.calendar import calendar_for
from tests.factories import Directory, add_locality, make_directory, make_feedback, make_user
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token, log_in


@pytest.fixture
def d(client: FlaskClient, db_session: Session) -> Directory:
    """The test directory and a logged-in officer of UBND Phường Hà Tu."""
    directory = make_directory()
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)
    assert log_in(client, "canbo").status_code == 302
    return directory


def today() -> date:
    return local_date(datetime.now(UTC))


def due_in(days: int) -> datetime:
    """The end of the local day ``days`` calendar days from today (negative: in the past)."""
    return end_of_local_day(today() + timedelta(days=days))


def held(d: Directory, unit: Unit, *, title: str = "Rác thải tồn đọng", due: datetime | None = None,
         day_type: str = "working", status: Status = Status.ASSIGNED, kind: Kind = Kind.REPORT,
         **extra: object) -> Feedback:
    """An item held now by ``unit`` with one resolution clock due at ``due``."""
    item = make_feedback(d, title=title, status=status, kind=kind, current_unit=unit,
                         received_at=datetime.now(UTC) - timedelta(days=20), **extra)
    db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=item.received_at))
    if due is not None:
        db.session.add(Deadline(feedback_id=item.id, unit_id=unit.id, clock="resolution", legal_basis="Quy chế",
                                day_type=day_type, period_days=15, starts_at=item.received_at, due_at=due))
    db.session.flush()
    return item


def inbox(client: FlaskClient, query: str = "") -> Element:
    response = client.get("/unit/" + query)
    assert response.status_code == 200, response.status_code
    return parse(response.get_data(as_text=True))


def listed(page: Element) -> list[str]:
    return [item.find("p", class_="inbox-code").find("a").text for item in page.find_all("li", class_="inbox-item")]


def option_text(page: Element, select_name: str, value: str) -> str:
    select = page.find("select", name=select_name)
    return select.find("option", value=value).text


def personal_data_events(item: Feedback) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id,
                                                          Event.action == "personal_data_viewed")))


# --- who may open the workspace -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/unit/", "/unit/items/QN-26-000001-X", "/unit/items/QN-26-000001-X/attachments/1"])
def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, db_session: Session, url: str) -> None:
    """Proves: no workspace page answers an anonymous visitor; the login page does."""
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FRONT_MONITOR, Role.INSPECTION_BOARD])
def test_other_staff_get_403(client: FlaskClient, db_session: Session, role: Role) -> None:
    """Proves: the workspace is for officers and heads only: an administrator, a Front monitor and
    an Inspection Board member are refused."""
    directory = make_directory()
    make_user("khac", role, territory=directory.village)
    assert log_in(client, "khac").status_code == 302
    assert client.get("/unit/").status_code == 403


# --- inbox -----------------------------------------------------------------------------------------


def test_inbox_orders_by_nearest_deadline_and_marks_lateness(client: FlaskClient, d: Directory) -> None:
    """Proves: overdue first, then nearest due, then no clock; the overdue item says how late, in
    working days for a working-day clock and calendar days for a calendar-day clock."""
    later = held(d, d.ubnd_ha_tu, due=due_in(30))
    none = held(d, d.ubnd_ha_tu)
    calendar_late = held(d, d.ubnd_ha_tu, due=due_in(-3), day_type="calendar")
    working_late = held(d, d.ubnd_ha_tu, due=due_in(-10))
    held(d, d.ubnd_van_don, due=due_in(-20))  # another unit's
    page = inbox(client)
    assert listed(page) == [working_late.code, calendar_late.code, later.code, none.code]
    badges = {item.find("p", class_="inbox-code").find("a").text: item.find_all("span", class_="late")
              for item in page.find_all("li", class_="inbox-item")}
    late_working = calendar_for(due_in(-10)).working_days_between(today() - timedelta(days=10), today())
    assert [b.text for b in badges[str(working_late.code)]] == [f"Quá hạn {late_working} ngày làm việc"]
    assert [b.text for b in badges[str(calendar_late.code)]] == ["Quá hạn 3 ngày"]
    assert badges[str(later.code)] == [] and badges[str(none.code)] == []
    overdue_items = page.find_all("li", class_="is-overdue")
    assert len(overdue_items) == 2


@pytest.mark.parametrize("query, expected", [
    ("?kind=complaint", ["complaint"]),
    ("?status=in_progress", ["in_progress"]),
    ("?overdue=1", ["late"]),
    ("?due_soon=1", ["soon"]),
    ("?q=duong+hong", ["road"]),
])
def test_each_filter_narrows_the_list(client: FlaskClient, d: Directory, query: str, expected: list[str]) -> None:
    """Proves: kind, status, overdue, due-soon and the accent-free search each list exactly the
    matching item."""
    items = {
        "complaint": held(d, d.ubnd_ha_tu, due=due_in(30), kind=Kind.COMPLAINT),
        "in_progress": held(d, d.ubnd_ha_tu, due=due_in(31), status=Status.IN_PROGRESS),
        "late": held(d, d.ubnd_ha_tu, due=due_in(-5)),
        "soon": held(d, d.ubnd_ha_tu, due=end_of_local_day(today())),
        "road": held(d, d.ubnd_ha_tu, due=due_in(32), title="Đường hỏng ở tổ 3"),
    }
    assert listed(inbox(client, query)) == [items[name].code for name in expected]


def test_filters_show_their_counts(client: FlaskClient, d: Directory) -> None:
    """Proves: each option of each filter shows how many items it would list."""
    held(d, d.ubnd_ha_tu, due=due_in(-5), kind=Kind.COMPLAINT)
    held(d, d.ubnd_ha_tu, due=end_of_local_day(today()), topic=d.land)
    held(d, d.ubnd_ha_tu, due=due_in(30), status=Status.IN_PROGRESS, locality=d.remote_village)
    page = inbox(client)
    assert option_text(page, "kind", "complaint") == "Khiếu nại (1)"
    assert option_text(page, "kind", "report") == "Phản ánh (2)"
    assert option_text(page, "status", "assigned").endswith("(2)")
    assert option_text(page, "status", "in_progress").endswith("(1)")
    assert option_text(page, "topic", str(d.land.id)) == "Đất đai và giải phóng mặt bằng (1)"
    assert option_text(page, "commune", str(d.ha_tu.id)) == "Phường Hà Tu (2)"
    assert option_text(page, "village", str(d.remote_village.id)) == "Thôn Đài Van, Đặc khu Vân Đồn (1)"
    assert page.find("span", class_="filter-overdue").text == "Quá hạn (1)"
    assert page.find("span", class_="filter-due-soon").text == "Đến hạn trong 2 ngày làm việc (1)"
    assert listed(inbox(client, f"?commune={d.van_don.id}")) != []
    assert len(listed(inbox(client, f"?village={d.village.id}"))) == 2
    assert len(listed(inbox(client, f"?topic={d.land.id}"))) == 1


def test_the_village_filter_names_the_commune_of_each_village(client: FlaskClient, d: Directory) -> None:
    """Proves: two villages named alike in two communes are told apart by their commune (the
    probe found "Khu phố 2" twice); villages of one commune only are listed by their name."""
    ha_tu_2 = add_locality("06652-002", "Khu phố 2", "khu phố", LocalityLevel.VILLAGE, d.ha_tu)
    held(d, d.ubnd_ha_tu, due=due_in(3), locality=ha_tu_2)
    assert option_text(inbox(client), "village", str(ha_tu_2.id)) == "Khu phố 2 (1)"
    van_don_2 = add_locality("06994-002", "Khu phố 2", "khu phố", LocalityLevel.VILLAGE, d.van_don)
    held(d, d.ubnd_ha_tu, due=due_in(4), locality=van_don_2)
    held(d, d.ubnd_ha_tu, due=due_in(5), locality=van_don_2)
    page = inbox(client)
    assert option_text(page, "village", str(ha_tu_2.id)) == "Khu phố 2, Phường Hà Tu (1)"
    assert option_text(page, "village", str(van_don_2.id)) == "Khu phố 2, Đặc khu Vân Đồn (2)"


def test_pagination_and_its_bounds(client: FlaskClient, d: Directory) -> None:
    """Proves: 25 items per page, the rest on page 2; page 0 or a huge page is 404, letters read
    as page 1, a page past the end sends to the last page with the filters kept (it showed
    "Trang 5 / 2" and no item); a bad filter value is 400, another unit is 404."""
    for n in range(27):
        held(d, d.ubnd_ha_tu, due=due_in(n + 1))
    assert len(listed(inbox(client))) == 25
    assert len(listed(inbox(client, "?page=2"))) == 2
    assert len(listed(inbox(client, "?page=abc"))) == 25
    past = client.get("/unit/?kind=report&page=5")
    assert past.status_code == 302 and past.headers["Location"] == "/unit/?kind=report&page=2"
    assert client.get("/unit/?kind=complaint&page=2").headers["Location"] == "/unit/?kind=complaint"
    assert client.get("/unit/?page=0").status_code == 404
    assert client.get("/unit/?page=99999999999").status_code == 404
    for bad, value in (("status", "bogus"), ("topic", "99999999999"), ("commune", "abc")):
        refused = client.get(f"/unit/?{bad}={value}")
        # The page names the value, in the visitor's language (it said only "a request the system
        # does not understand").
        assert refused.status_code == 400 and f"Giá trị “{value}” của bộ lọc không hợp lệ" in refused.get_data(as_text=True)
    english = client.get("/unit/?status=bogus&lang=en")
    assert english.status_code == 400 and "“bogus”" in english.get_data(as_text=True)
    assert "của bộ lọc" not in english.get_data(as_text=True)
    assert client.get(f"/unit/?unit={d.ubnd_van_don.id}").status_code == 404
    next_link = inbox(client, "?kind=report").find("a", rel="next")
    assert next_link.attrs["href"].startswith("/unit/") and "kind=report" in next_link.attrs["href"]


# --- item page -------------------------------------------------------------------------------------


def test_another_units_item_and_file_answer_404(client: FlaskClient, d: Directory, tmp_path: Path) -> None:
    """Proves: an officer of Hà Tu opening Vân Đồn's item or its file by URL gets 404, as for an
    unknown code; their own file comes as a download with nosniff."""
    mine = held(d, d.ubnd_ha_tu, due=due_in(5))
    theirs = held(d, d.ubnd_van_don, due=due_in(5))
    upload_dir = Path(client.application.config["UPLOAD_DIR"])
    files = []
    for item in (mine, theirs):
        name = f"{item.id:032x}"
        (upload_dir / name).write_bytes(b"<html>not for the browser</html>")
        files.append(Attachment(feedback_id=item.id, storage_name=name, original_name="ảnh hiện trường.html",
                                content_type="text/html", size=33, sha256="0" * 64))
    db.session.add_all(files)
    db.session.flush()
    assert client.get(f"/unit/items/{theirs.code}").status_code == 404
    assert client.get(f"/unit/items/QN-26-999999-X").status_code == 404
    assert client.get(f"/unit/items/{theirs.code}/attachments/{files[1].id}").status_code == 404
    assert client.get(f"/unit/items/{mine.code}/attachments/{files[1].id}").status_code == 404
    page = parse(client.get(f"/unit/items/{mine.code}").get_data(as_text=True))
    link = page.find("section", class_="attachments").find("a")
    assert link.text == "ảnh hiện trường.html"
    response = client.get(link.attrs["href"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"
    assert response.data == b"<html>not for the browser</html>"
    for item in (mine, theirs):
        (upload_dir / f"{item.id:032x}").unlink()


def test_item_page_shows_clocks_timeline_and_actions_place(client: FlaskClient, d: Directory) -> None:
    """Proves: the item page lists each clock with its legal basis and how late it is, the timeline
    of events with their labels, and an "Actions" section for the handling step; a lower-case code
    redirects to the canonical one."""
    from feedback.domain.events import Actor, EventAction
    from feedback.services.audit import record_event

    item = held(d, d.ubnd_ha_tu, due=due_in(-2), day_type="calendar")
    record_event(item, EventAction.ASSIGNED, actor=Actor.system(), at=item.received_at, public=True,
                 after={"unit": "UBND Phường Hà Tu"})
    db.session.flush()
    response = client.get(f"/unit/items/{str(item.code).lower()}")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/unit/items/{item.code}")
    page = parse(client.get(f"/unit/items/{item.code}").get_data(as_text=True))
    clock = page.find("li", class_="clock")
    assert clock.find("p", class_="clock-basis").text == "Căn cứ: Quy chế"
    assert clock.find("span", class_="late").text == "Quá hạn 2 ngày"
    events = page.find("ol", class_="timeline-list").find_all("li")
    assert [e.find("span", class_="event-visibility").text for e in events] == ["Công khai"]
    assert events[0].find("span", class_="event-label").text not in ("", "assigned")
    assert events[0].find("span", class_="event-actor").text == "Hệ thống"  # not the stored "system"
    assert page.find("section", id="thao-tac").find("h2").text == "Thao tác"


def test_personal_data_follows_the_identity_rule_and_is_logged(client: FlaskClient, d: Directory) -> None:
    """Proves: the resident's name is shown to the holding unit only when they agreed, and that view
    is logged (page "units.item") before the page is sent; without consent nothing is shown and
    nothing logged."""
    agreed = held(d, d.ubnd_ha_tu, due=due_in(5), kind=Kind.COMPLAINT, consent_share_contact=True)
    refused = held(d, d.ubnd_ha_tu, due=due_in(5), kind=Kind.COMPLAINT, consent_share_contact=False)
    page = parse(client.get(f"/unit/items/{agreed.code}").get_data(as_text=True))
    assert "Nguyễn Văn A" in page.find("section", class_="resident").text
    events = personal_data_events(agreed)
    assert len(events) == 1 and events[0].after is not None and events[0].after["page"] == "units.item"
    assert not events[0].public
    page = parse(client.get(f"/unit/items/{refused.code}").get_data(as_text=True))
    resident = page.find("section", class_="resident")
    assert "Nguyễn Văn A" not in resident.text and resident.find_all("p", class_="personal-data-hidden")
    assert personal_data_events(refused) == []


# --- landing and header ----------------------------------------------------------------------------


@pytest.mark.parametrize("role, landing", [(Role.OFFICER, "/unit/"), (Role.UNIT_HEAD, "/unit/"),
                                           (Role.ADMIN, "/admin/"), (Role.FRONT_MONITOR, "/monitor/"),
                                           (Role.INSPECTION_BOARD, "/monitor/")])
def test_each_role_lands_on_its_home(client: FlaskClient, db_session: Session, role: Role, landing: str) -> None:
    """Proves: after login an officer and a head land on /unit/ (and it answers 200), an
    administrator on /admin/, a Front monitor and an Inspection Board member on the Front
    dashboard /monitor/; none of them gets a "not built yet" note."""
    directory = make_directory()
    territory = {Role.FRONT_MONITOR: directory.ha_tu, Role.INSPECTION_BOARD: directory.village}.get(role)
    make_user("nguoidung", role, unit=directory.ubnd_ha_tu if role in (Role.OFFICER, Role.UNIT_HEAD) else None,
              territory=territory)
    response = log_in(client, "nguoidung")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.split("?")[0] in (landing, "http://localhost" + landing)
    followed = client.get(location)
    assert followed.status_code == 200
    assert parse(followed.get_data(as_text=True)).find_all("p", class_="flash-info") == []


def test_header_shows_who_is_logged_in_and_logs_out(client: FlaskClient, d: Directory) -> None:
    """Proves: every page (the workspace and the public home) names the logged-in user and has a
    logout form posting with a CSRF token; submitting it logs out (the workspace then asks for a
    login)."""
    for url in ("/unit/", "/"):
        html = client.get(url).get_data(as_text=True)
        header = parse(html).find("header")
        assert header.find("span", class_="signed-in-as").text == "Đang đăng nhập: canbo"
        form = header.find("form", class_="logout-form")
        assert form.attrs["method"] == "post" and form.attrs["action"] == "/logout"
        assert form.find("input", name="csrf_token").attrs["value"]
    assert parse(client.get("/").get_data(as_text=True)).find("a", class_="staff-home").attrs["href"] == "/unit/"
    token = csrf_token(client.get("/unit/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    response = client.get("/unit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
