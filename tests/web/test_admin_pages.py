"""The admin pages as issue #6 asked (items 13 and 6): a wide layout, the items list with a title
column, a search by code or title and a unit filter typed with a datalist; the audit log as
readable key: value pairs in Vietnam time; and "Chuyển cho đơn vị" on the item page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from feedback.domain.assignments import EndReason
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, RoutingRule
from feedback.services.routing.route import route_item
from tests.factories import Directory, make_feedback
from tests.times import ROUTED_AT, TUESDAY_MORNING
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token

HANDED_AT_LEAST = TUESDAY_MORNING


def page(client: FlaskClient, url: str) -> Element:
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.get_data(as_text=True))


def listed_codes(client: FlaskClient, query: str) -> set[str]:
    table = page(client, f"/admin/items{query}").find_all("table", class_="data")
    if not table:
        return set()
    return {row.find_all("td")[0].text for row in table[0].find("tbody").find_all("tr")}


def routed(d: Directory, **values: object) -> Feedback:
    db.session.add(RoutingRule(locality=d.ha_tu, topic=d.environment, unit=d.environment_dept))
    item = make_feedback(d, kind=Kind.REPORT, **values)
    db.session.commit()
    route_item(item.id, now=ROUTED_AT)
    db.session.refresh(item)
    return item


# --- layout --------------------------------------------------------------------------------


def test_admin_pages_get_a_wide_container(client: FlaskClient, d: Directory) -> None:
    """Proves: the admin layout carries the marker its stylesheet widens (.admin-nav inside the
    page) and the stylesheet gives that page a container far wider than the public 46rem."""
    css = Path(client.application.static_folder or "", "admin.css").read_text(encoding="utf-8")
    root = page(client, "/admin/items")
    assert root.find("main").find_all("nav", class_="admin-nav")
    rule = next(line for line in css.splitlines() if line.startswith("body:has(.admin-nav) .wrap"))
    assert "max-width: 96rem" in rule


@pytest.mark.parametrize("url", ["/admin/items", "/admin/rules", "/admin/directory"])
def test_filter_buttons_are_styled_buttons(client: FlaskClient, d: Directory, url: str) -> None:
    """Proves: every button of the filter and search pages carries the site's button style (found
    by probing: "Lọc" and "Tìm" were bare browser buttons, a tiny target on a 360 px phone)."""
    buttons = page(client, url).find("main").find_all("button")
    assert buttons and all("button" in b.attrs.get("class", "").split() for b in buttons), [b.attrs for b in buttons]


# --- items list ----------------------------------------------------------------------------


def test_the_list_has_a_title_column(client: FlaskClient, d: Directory) -> None:
    item = make_feedback(d, title="Đèn đường hỏng ở tổ 5")
    db.session.commit()
    table = page(client, "/admin/items").find("table", class_="data")
    headers = [th.text for th in table.find("thead").find_all("th")]
    cells = [td.text for td in table.find("tbody").find("tr").find_all("td")]
    assert headers[:2] == ["Mã", "Tiêu đề"]
    assert cells[:2] == [item.code, "Đèn đường hỏng ở tổ 5"]


def test_the_search_finds_part_of_a_code_or_a_title_fragment(client: FlaskClient, d: Directory) -> None:
    """Proves: a partial code matches with any case and without dashes; a title fragment matches
    case-insensitively; a LIKE wildcard is taken literally."""
    road = make_feedback(d, title="Đường Trần Phú ngập nước")
    light = make_feedback(d, title="Đèn đường hỏng")
    db.session.commit()

    assert listed_codes(client, f"?q={road.code[:9].lower()}") >= {road.code}
    assert listed_codes(client, f"?q={road.code[:12].replace('-', '')}") == {road.code}
    assert listed_codes(client, "?q=trần phú") == {road.code}
    assert listed_codes(client, "?q=ĐƯỜNG") == {road.code, light.code}
    assert listed_codes(client, "?q=%25") == set()
    search = page(client, "?q=x".join(["/admin/items", ""])).find("input", id="q")
    assert search.attrs["value"] == "x"


def test_a_search_shorter_than_a_trigram_looks_among_the_newest_items_only(
        client: FlaskClient, d: Directory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: a fragment of three characters or more is looked for through the whole history
    (the trigram indexes serve it); a shorter one, which no index serves, only among the newest
    items (here the newest one), and the page says so: on PostgreSQL such a search read every
    item (5.8 s at 1,000,000 items)."""
    monkeypatch.setattr("feedback.services.items.admin_view.SHORT_SEARCH_ITEMS", 1)
    older = make_feedback(d, title="Mương tù bốc mùi", received_at=ROUTED_AT - timedelta(days=3))
    newer = make_feedback(d, title="Mương cá tràn bờ", received_at=ROUTED_AT)
    db.session.commit()
    assert listed_codes(client, "?q=mương") == {older.code, newer.code}
    assert listed_codes(client, "?q=bốc") == {older.code}
    assert listed_codes(client, "?q=mư") == {newer.code}
    assert listed_codes(client, "?q=tù") == set()  # the older item's word, not among the newest
    hint = page(client, "/admin/items?q=mư").find("p", class_="search-limited")
    assert "dưới 3 ký tự" in hint.text and "1 ý kiến mới nhất" in hint.text
    assert page(client, "/admin/items?q=mương").find_all("p", class_="search-limited") == []
    monkeypatch.setattr("feedback.services.items.admin_view.SHORT_SEARCH_ITEMS", 5000)
    hint = page(client, "/admin/items?q=mư").find("p", class_="search-limited")
    assert "trong 5.000 ý kiến mới nhất" in hint.text  # grouped as Vietnamese writes numbers


def test_a_whole_code_in_the_search_opens_the_item(client: FlaskClient, d: Directory) -> None:
    from feedback.domain.tracking import make_code

    item = make_feedback(d)
    item.code = make_code("QN", 2026, item.id)
    db.session.commit()
    response = client.get(f"/admin/items?q={item.code.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/items/{item.code}")


def test_the_unit_filter_is_a_text_input_with_a_datalist(client: FlaskClient, d: Directory) -> None:
    """Proves: the unit filter is typed (code or name) with every unit offered in a datalist that
    works without JavaScript; the code narrows the list; an unknown unit says so, lists nothing
    and answers 400."""
    held = make_feedback(d, status=Status.ASSIGNED, current_unit_id=d.ubnd_van_don.id)
    make_feedback(d)
    db.session.commit()

    root = page(client, "/admin/items")
    field = root.find("input", id="unit")
    options = root.find("datalist", id=field.attrs["list"]).find_all("option")
    assert not root.find_all("select", id="unit")
    assert {option.attrs["value"] for option in options} >= {d.ubnd_van_don.code, d.ubnd_ha_tu.code}
    assert any(option.text == d.ubnd_van_don.name for option in options)

    assert listed_codes(client, f"?unit={d.ubnd_van_don.code.lower()}") == {held.code}
    assert listed_codes(client, f"?unit={d.ubnd_van_don.name}") == {held.code}
    response = client.get("/admin/items?unit=KHONG-CO")
    assert response.status_code == 400
    unknown = parse(response.get_data(as_text=True))
    assert "KHONG-CO" in unknown.find("span", id="unit-error").text
    assert unknown.find_all("table", class_="data") == []


# --- audit log -----------------------------------------------------------------------------


def test_event_values_are_key_value_pairs_in_vietnam_time(client: FlaskClient, d: Directory) -> None:
    """Proves: an event's before/after is a list of key: value (no JSON braces), Vietnamese kept as
    letters, and a stored UTC time shown in Asia/Ho_Chi_Minh (UTC+7)."""
    item = routed(d)
    db.session.add(Event(feedback_id=item.id, seq=99, at=ROUTED_AT, action="test_event", actor="kiemthu",
                         public=False, before={"due_at": "2026-03-03T02:00:00+00:00"},
                         after={"unit": "Sở Nông nghiệp và Môi trường", "ok": True}, prev_hash="", hash=""))
    db.session.commit()

    root = page(client, f"/admin/items/{item.code}")
    row = next(tr for tr in root.find("table", class_="events").find("tbody").find_all("tr")
               if "test_event" in tr.text)
    before, after = row.find_all("td")[-2:]
    pairs_before = [(div.find("dt").text, div.find("dd").text) for div in before.find("dl", class_="pairs").children]
    pairs_after = [(div.find("dt").text, div.find("dd").text) for div in after.find("dl", class_="pairs").children]
    assert pairs_before == [("due_at", "03/03/2026 09:00:00")]
    assert pairs_after == [("ok", "có"), ("unit", "Sở Nông nghiệp và Môi trường")]
    assert "{" not in row.text


# --- hand to a unit ------------------------------------------------------------------------


def handover(client: FlaskClient, item: Feedback, unit_id: object, reason: str) -> Element:
    url = f"/admin/items/{item.code}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(f"{url}/handover", data={"csrf_token": token, "unit": str(unit_id), "reason": reason},
                           follow_redirects=True)
    return parse(response.get_data(as_text=True))


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_PROGRESS])
def test_an_admin_hands_an_item_to_a_named_unit(client: FlaskClient, d: Directory, status: Status) -> None:
    """Proves: at any status before the answer, the item goes to the chosen unit: the old
    assignment ends with the reason, a new one opens, the clocks stay (not restarted), an
    internal event names who, from where, to where and why, and the page says so."""
    item = routed(d)
    item.status = status
    db.session.commit()
    resolution_due = db.session.scalar(sa.select(Deadline.due_at).where(
        Deadline.feedback_id == item.id, Deadline.clock == "resolution"))

    root = handover(client, item, d.ubnd_ha_tu.id, "Thuộc thẩm quyền UBND phường")

    db.session.expire_all()
    item = db.session.get(Feedback, item.id)
    assignments = list(db.session.scalars(sa.select(Assignment).where(Assignment.feedback_id == item.id)
                                          .order_by(Assignment.id)))
    event = db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id,
                                                      Event.action == "handed_over_by_admin")).one()
    assert item.current_unit_id == d.ubnd_ha_tu.id and item.status is Status.ASSIGNED
    assert [a.unit_id for a in assignments] == [d.environment_dept.id, d.ubnd_ha_tu.id]
    assert assignments[0].ended_at is not None and assignments[0].end_reason is EndReason.HANDED_OVER
    assert assignments[0].end_reason_text == "Thuộc thẩm quyền UBND phường"
    assert event.public is False and event.after["reason"] == "Thuộc thẩm quyền UBND phường"
    assert event.after["from_unit"] == d.environment_dept.name and event.after["unit"] == d.ubnd_ha_tu.name
    assert db.session.scalar(sa.select(Deadline.due_at).where(
        Deadline.feedback_id == item.id, Deadline.clock == "resolution", Deadline.closed_at.is_(None))) \
        == resolution_due
    flashes = [p.text for p in root.find_all("p", class_="flash-success")]
    assert any(d.ubnd_ha_tu.name in text for text in flashes)
    history = root.find_all("table", class_="data")[-2].text
    assert "Quản trị viên chuyển cho đơn vị khác: Thuộc thẩm quyền UBND phường" in history


def test_a_received_item_can_be_handed_over_too(client: FlaskClient, d: Directory) -> None:
    item = make_feedback(d)
    db.session.commit()
    handover(client, item, d.ubnd_van_don.id, "Rõ thẩm quyền")
    db.session.expire_all()
    assert db.session.get(Feedback, item.id).current_unit_id == d.ubnd_van_don.id


def test_a_handover_needs_a_reason(client: FlaskClient, d: Directory) -> None:
    item = routed(d)
    root = handover(client, item, d.ubnd_ha_tu.id, "   ")
    db.session.expire_all()
    assert db.session.get(Feedback, item.id).current_unit_id == d.environment_dept.id
    assert "Hãy nêu lý do chuyển ý kiến cho đơn vị khác." in root.find("span", id="handover-reason-error").text


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CLOSED])
def test_an_answered_or_closed_item_is_not_handed_over(client: FlaskClient, d: Directory, status: Status) -> None:
    """Proves: the page offers no form and a forged POST is refused with a clear message."""
    item = routed(d)
    item.status = status
    db.session.commit()

    root = page(client, f"/admin/items/{item.code}")
    assert not root.find_all("form", action=f"/admin/items/{item.code}/handover")
    token = csrf_token(client.get("/admin/rules/new").get_data(as_text=True))
    response = client.post(f"/admin/items/{item.code}/handover",
                           data={"csrf_token": token, "unit": str(d.ubnd_ha_tu.id), "reason": "Thử"})
    assert response.status_code == 422
    assert "đã được trả lời hoặc đã đóng" in parse(response.get_data(as_text=True)).text
    db.session.expire_all()
    assert db.session.get(Feedback, item.id).current_unit_id == d.environment_dept.id
