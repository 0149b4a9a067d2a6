"""The administrators' item pages: who may open them, the list and its filters, the detail of an item
routed by the real service (routing explanation, clocks with their legal basis, history, events),
the logged view of personal data, a tampered log shown as such, and "route it again"."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import feedback.jobs
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Deadline, Event, Feedback, Role, RoutingRule
from feedback.services.audit import verify_chain
from feedback.services.routing.route import route_item
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.times import ROUTED_AT, TUESDAY_MORNING
from tests.web.admin_html import parse
from tests.web.auth_helpers import csrf_token, log_in

FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def routed_complaint(d: Directory) -> tuple[Feedback, RoutingRule]:
    """A complaint with the sender's name, phone and email, routed by routing.route_item."""
    rule = RoutingRule(locality=d.ha_tu, topic=d.environment, kind=Kind.COMPLAINT, unit=d.environment_dept)
    db.session.add(rule)
    item = make_feedback(d, kind=Kind.COMPLAINT, submitter_email="nguoidan@example.test")
    db.session.commit()
    route_item(item.id, now=ROUTED_AT)
    db.session.refresh(item)
    return item, rule


def add_clock(item: Feedback, due: datetime) -> None:
    db.session.add(Deadline(feedback_id=item.id, clock="resolution", legal_basis="Quy chế địa phương",
                            day_type="working", period_days=15, starts_at=item.received_at, due_at=due))
    db.session.flush()


def viewed_events(item: Feedback) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(
        Event.feedback_id == item.id, Event.action == "personal_data_viewed").order_by(Event.seq)))


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [("get", "/admin/items"), ("get", "/admin/items/QN-26-000001-X"),
                                         ("post", "/admin/items/QN-26-000001-X/route")])
def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, db_session: Session, method: str,
                                                       url: str) -> None:
    """Proves: no item page (nor the route action) answers an anonymous visitor; the login page does."""
    client.application.config["WTF_CSRF_ENABLED"] = False
    try:
        response = getattr(client, method)(url)
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_officer_gets_403_and_no_personal_data_is_logged(client: FlaskClient, db_session: Session) -> None:
    """Proves: an officer (not an administrator) is refused the list and the detail, and no view
    of personal data is recorded for the refused attempt."""
    directory = make_directory()
    item, _rule = routed_complaint(directory)
    make_user("canbo", Role.OFFICER, unit=directory.environment_dept)
    log_in(client, "canbo")

    assert client.get("/admin/items").status_code == 403
    detail = client.get(f"/admin/items/{item.code}")
    assert detail.status_code == 403 and "Nguyễn Văn A" not in detail.get_data(as_text=True)
    assert viewed_events(item) == []


# --- list ----------------------------------------------------------------------------------


def test_the_dashboard_links_to_the_items(client: FlaskClient, d: Directory) -> None:
    assert 'href="/admin/items"' in client.get("/admin/").get_data(as_text=True)


def test_the_list_filters_by_status_unit_and_overdue(client: FlaskClient, d: Directory) -> None:
    """Proves: each filter narrows the list to its items, and the overdue flag is shown."""
    waiting = make_feedback(d)
    late = make_feedback(d, status=Status.ASSIGNED, current_unit_id=d.ubnd_ha_tu.id)
    on_time = make_feedback(d, status=Status.ASSIGNED, current_unit_id=d.ubnd_van_don.id)
    add_clock(late, LONG_AGO)
    add_clock(on_time, FAR_FUTURE)
    db.session.commit()

    def codes(query: str) -> set[str]:
        page = client.get(f"/admin/items{query}").get_data(as_text=True)
        return set(re.findall(r'href="/admin/items/(QN-[0-9A-Z-]+)"', page))

    assert codes("") == {waiting.code, late.code, on_time.code}
    assert codes("?status=received") == {waiting.code}
    assert codes(f"?unit={d.ubnd_van_don.id}") == {on_time.code}
    assert codes("?overdue=1") == {late.code}
    page = client.get("/admin/items?overdue=1").get_data(as_text=True)
    assert "1 ý kiến" in page and "Quá hạn" in page and "UBND Phường Hà Tu" in page
    assert "01/01/2020 07:00" in page  # the due time in Việt Nam time
    assert 'class="table-scroll"' in page


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?status=bad", "status", "Không có trạng thái “bad”. Hãy chọn một trạng thái trong danh sách."),
    ("?status=bad&overdue=1", "status", "Không có trạng thái “bad”."),
    ("?overdue=yes", "overdue", "Giá trị “yes” của ô “Chỉ ý kiến đang quá hạn” không hợp lệ."),
    ("?unit=KHONG-CO", "unit", "Không có đơn vị nào có mã hoặc tên “KHONG-CO”."),
])
def test_an_unknown_filter_value_is_refused_with_its_message(client: FlaskClient, d: Directory, query: str,
                                                             field: str, message: str) -> None:
    """Proves: a filter value that names nothing answers 400 with the form, the message on its
    field and no list (it used to list every item under "status=bad"), as the unit inbox refuses
    the same request."""
    make_feedback(d)
    db.session.commit()

    response = client.get(f"/admin/items{query}")

    assert response.status_code == 400
    root = parse(response.get_data(as_text=True))
    assert message in root.find("span", id=f"{field}-error").text
    assert root.find("input" if field != "status" else "select", id=field).attrs["aria-invalid"] == "true"
    assert "chưa liệt kê ý kiến nào" in root.find("p", id="filter-error").text
    assert root.find_all("table", class_="data") == []


def test_the_list_pages_keep_the_filter(client: FlaskClient, d: Directory) -> None:
    """Proves: 26 received items make two pages, and the link to page 2 keeps the status filter;
    a page past the end sends to the last page with the filter kept (it said "Trang 5 / 2" with
    no row), and past the end of an empty list to the list itself."""
    for hour in range(26):
        make_feedback(d, received_at=TUESDAY_MORNING + timedelta(hours=hour))
    db.session.commit()

    first = client.get("/admin/items?status=received").get_data(as_text=True)

    assert "26 ý kiến" in first and "Trang 1 / 2" in first
    assert 'href="/admin/items?page=2&amp;status=received"' in first
    past = client.get("/admin/items?status=received&page=5")
    assert past.status_code == 302 and past.headers["Location"] == "/admin/items?status=received&page=2"
    assert "Trang 2 / 2" in client.get(past.headers["Location"]).get_data(as_text=True)
    empty = client.get("/admin/items?status=closed&page=3")
    assert empty.status_code == 302 and empty.headers["Location"] == "/admin/items?status=closed"


# --- detail --------------------------------------------------------------------------------


def test_the_detail_shows_routing_deadlines_history_and_events(client: FlaskClient, d: Directory) -> None:
    """Proves: the explanation stored by route_item is shown prominently, each clock with its legal
    basis, the assignment and the events; the chain is reported intact; the sender is shown."""
    item, rule = routed_complaint(d)
    clocks = list(db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == item.id)))

    response = client.get(f"/admin/items/{item.code}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert (f'<p class="note routing">Phân công: Quy tắc #{rule.id}: Phường Hà Tu × Môi trường × Khiếu nại → '
            f"Sở Nông nghiệp và Môi trường</p>") in page
    assert len(clocks) == 2
    for clock in clocks:
        assert html.escape(clock.legal_basis, quote=False) in page
    assert "Hạn giải quyết" in page and "Hạn tiếp nhận, trả lời ban đầu" in page
    assert "Lịch sử phân công" in page and "Đang giữ" in page
    assert "Tổ dân phố 1, Phường Hà Tu, Thành phố Quảng Ninh" in page
    assert "<code>assigned</code>" in page and "<code>deadlines_set</code>" in page
    assert "Chuỗi nhật ký toàn vẹn" in page and "Nhật ký đã bị thay đổi" not in page
    assert "Nguyễn Văn A" in page and "0912345678" in page and "nguoidan@example.test" in page
    assert "Gửi lại để phân công" not in page  # assigned: no button


def test_an_unknown_code_is_404(client: FlaskClient, d: Directory) -> None:
    assert client.get("/admin/items/QN-26-999999-X").status_code == 404


def test_each_view_logs_one_event_and_the_public_page_stays_clean(client: FlaskClient, d: Directory) -> None:
    """Proves: every display of the detail appends exactly one internal "personal_data_viewed"
    event naming the administrator, the chain still verifies, and the public tracking page shows
    neither the sender's details nor that event."""
    item, _rule = routed_complaint(d)

    client.get(f"/admin/items/{item.code}")
    assert len(viewed_events(item)) == 1
    second = client.get(f"/admin/items/{item.code}").get_data(as_text=True)

    viewed = viewed_events(item)
    assert len(viewed) == 2
    assert all(not e.public and e.actor == "quantri" and e.actor_user_id is not None for e in viewed)
    assert verify_chain(item.id)
    assert "<code>personal_data_viewed</code>" in second  # the first view, in the log shown the second time
    public = client.get(f"/t/{item.code}").get_data(as_text=True)
    for secret in ("Nguyễn Văn A", "0912345678", "nguoidan@example.test", "personal_data_viewed",
                   "Xem thông tin cá nhân"):
        assert secret not in public, secret


def test_a_tampered_event_is_reported(client: FlaskClient, d: Directory) -> None:
    """Proves: after an event's `after` is changed behind the application's back (the append-only
    trigger disabled inside the test transaction), the page says the log was changed."""
    item, _rule = routed_complaint(d)
    db.session.execute(sa.text("ALTER TABLE event DISABLE TRIGGER event_append_only"))
    db.session.execute(sa.text(
        "UPDATE event SET after = CAST(:after AS json) WHERE feedback_id = :id AND action = 'assigned'"),
        {"after": '{"unit": "Đơn vị khác"}', "id": item.id})
    db.session.execute(sa.text("ALTER TABLE event ENABLE TRIGGER event_append_only"))
    db.session.expire_all()  # a new request in production starts with a new session

    page = client.get(f"/admin/items/{item.code}").get_data(as_text=True)

    assert "Nhật ký đã bị thay đổi" in page and "Chuỗi nhật ký toàn vẹn" not in page


# --- route again ---------------------------------------------------------------------------


def test_a_received_item_is_sent_to_routing_again(client: FlaskClient, d: Directory,
                                                  enqueued: Enqueued) -> None:
    """Proves: the button is offered for a `received` item, and pressing it sends ROUTE_FEEDBACK
    once, records "routing_requested" and says so."""
    item = make_feedback(d)
    db.session.commit()
    page = client.get(f"/admin/items/{item.code}").get_data(as_text=True)
    form = parse(page).find("form", action=f"/admin/items/{item.code}/route")
    assert form is not None and form.find("button", type="submit").text == "Gửi lại để phân công"
    assert parse(page).find("p", class_="routing").text == "Chưa phân công cho đơn vị nào."

    response = client.post(f"/admin/items/{item.code}/route", data={"csrf_token": csrf_token(page)},
                           follow_redirects=True)

    assert enqueued == [(feedback.jobs.ROUTE_FEEDBACK, item.id)]
    flashes = [p.text for p in parse(response.get_data(as_text=True)).find_all("p", role="status")]
    assert flashes == [f"Đã gửi ý kiến {item.code} đi phân công lại."]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.feedback_id == item.id, Event.action == "routing_requested")) == 1


def test_an_assigned_item_is_not_sent_again(client: FlaskClient, d: Directory,
                                            enqueued: Enqueued) -> None:
    """Proves: posting the action for an assigned item sends nothing and shows the refusal."""
    item, _rule = routed_complaint(d)
    token = csrf_token(client.get("/admin/").get_data(as_text=True))

    response = client.post(f"/admin/items/{item.code}/route", data={"csrf_token": token}, follow_redirects=True)

    assert enqueued == []
    flashes = [p.text for p in parse(response.get_data(as_text=True)).find_all("p", class_="flash-error")]
    assert len(flashes) == 1 and "Chỉ gửi lại phân công được cho ý kiến đang chờ chuyển đến đơn vị xử lý" in flashes[0]


def test_the_route_action_needs_the_csrf_token(client: FlaskClient, d: Directory,
                                               enqueued: Enqueued) -> None:
    """Proves: a cross-site POST without the token is refused and sends nothing."""
    item = make_feedback(d)
    db.session.commit()

    assert client.post(f"/admin/items/{item.code}/route").status_code == 400
    assert enqueued == []
