"""The administrators' routing-rule pages: list, filters, create, edit, delete or end, CSV upload."""

from __future__ import annotations

import io
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Role, RoutingRule
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.web.auth_helpers import csrf_token, log_in

HEADER = "locality_code,topic_code,kind,unit_code,valid_from,valid_to,note\n"


def add_rule(d: Directory, **values: object) -> RoutingRule:
    rule = RoutingRule(**{"locality": d.ha_tu, "topic": d.environment, "unit": d.ubnd_ha_tu, **values})
    db.session.add(rule)
    db.session.flush()
    return rule


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingRule)) or 0


def form_for(client: FlaskClient, url: str, **fields: str) -> dict[str, str]:
    token = csrf_token(client.get(url).get_data(as_text=True))
    base = {"locality": "", "locality_code": "", "topic": "", "kind": "", "unit": "", "valid_from": "",
            "valid_to": "", "note": ""}
    return {**base, **fields, "csrf_token": token}


def test_the_dashboard_counts_the_directory(client: FlaskClient, d: Directory) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    assert "<th scope=\"row\">Địa bàn</th><td>5</td>" in page
    assert "<th scope=\"row\">Đơn vị xử lý</th><td>6</td>" in page
    assert 'href="/admin/rules"' in page


def test_the_list_shows_rules_filters_and_pages(client: FlaskClient, d: Directory) -> None:
    """Proves: rules are listed with their condition and unit, a filter narrows the list, and 26
    rules make two pages of 25 whose links keep the filter."""
    van_don = add_rule(d, locality=d.van_don, topic=None, kind=Kind.COMPLAINT, unit=d.ubnd_van_don)
    for day in range(1, 26):
        add_rule(d, valid_from=date(2025, 1, day), valid_to=date(2025, 1, day))

    only_van_don = client.get(f"/admin/rules?unit={d.ubnd_van_don.id}").get_data(as_text=True)
    first = client.get(f"/admin/rules?locality={d.province.id}").get_data(as_text=True)
    second = client.get(f"/admin/rules?locality={d.province.id}&page=2").get_data(as_text=True)

    assert "1 quy tắc" in only_van_don and "Khiếu nại" in only_van_don and "Mọi lĩnh vực" in only_van_don
    assert f"/admin/rules/{van_don.id}/edit" in only_van_don and first.count("/edit") == 25
    assert "26 quy tắc" in first and "Trang 1 / 2" in first
    assert f'href="/admin/rules?page=2&amp;locality={d.province.id}"' in first
    assert "Trang 2 / 2" in second and second.count("/edit") == 1
    assert f"/admin/rules/{van_don.id}/edit" in second  # Vân Đồn (06994) sorts after Hà Tu (06652)
    past = client.get(f"/admin/rules?locality={d.province.id}&page=3")
    assert past.status_code == 302 and past.headers["Location"] == f"/admin/rules?locality={d.province.id}&page=2"


def test_a_rule_is_created_from_the_form(client: FlaskClient, d: Directory) -> None:
    response = client.post("/admin/rules/new", data=form_for(
        client, "/admin/rules/new", locality=str(d.ha_tu.id), topic=str(d.waste.id), kind="complaint",
        unit=str(d.environment_dept.id), valid_from="2026-01-01", note="Theo quy chế"), follow_redirects=True)

    rule = db.session.scalars(select(RoutingRule)).one()
    assert (rule.locality, rule.topic, rule.kind, rule.unit) == (d.ha_tu, d.waste, Kind.COMPLAINT, d.environment_dept)
    assert (rule.valid_from, rule.valid_to, rule.note) == (date(2026, 1, 1), None, "Theo quy chế")
    assert f"Đã tạo quy tắc #{rule.id}." in response.get_data(as_text=True)


def test_a_village_is_chosen_by_its_code(client: FlaskClient, d: Directory) -> None:
    """Proves: a village (not in the select) is entered by its code; an unknown code is an error
    on that field and nothing is stored."""
    unknown = client.post("/admin/rules/new", data=form_for(
        client, "/admin/rules/new", locality_code="06652-999", unit=str(d.ubnd_ha_tu.id)))
    known = client.post("/admin/rules/new", data=form_for(
        client, "/admin/rules/new", locality_code="06652-001", unit=str(d.ubnd_ha_tu.id)))

    assert unknown.status_code == 200
    assert "Không có địa bàn mã &#34;06652-999&#34;." in unknown.get_data(as_text=True)
    assert known.status_code == 302
    assert db.session.scalars(select(RoutingRule)).one().locality == d.village


def test_a_conflicting_rule_is_refused_with_both_rules_named(client: FlaskClient, d: Directory) -> None:
    """Proves: the form shows the conflict message naming the existing rule; on edit both ids."""
    first = add_rule(d, valid_from=date(2026, 1, 1))
    second = add_rule(d, topic=d.land)

    created = client.post("/admin/rules/new", data=form_for(
        client, "/admin/rules/new", locality=str(d.ha_tu.id), topic=str(d.environment.id),
        unit=str(d.environment_dept.id), valid_from="2026-06-01"))
    edited = client.post(f"/admin/rules/{second.id}/edit", data=form_for(
        client, f"/admin/rules/{second.id}/edit", locality=str(d.ha_tu.id), topic=str(d.environment.id),
        unit=str(d.ubnd_ha_tu.id)))

    assert created.status_code == 200
    assert (f"Quy tắc trùng với quy tắc #{first.id} (Phường Hà Tu × Môi trường → UBND Phường Hà Tu): cùng địa bàn, "
            "lĩnh vực và loại, thời gian hiệu lực chồng nhau.") in created.get_data(as_text=True)
    assert f"Quy tắc #{second.id} trùng với quy tắc #{first.id}" in edited.get_data(as_text=True)
    assert rule_count() == 2 and second.topic == d.land


def test_an_end_before_the_start_is_shown_on_the_field(client: FlaskClient, d: Directory) -> None:
    response = client.post("/admin/rules/new", data=form_for(
        client, "/admin/rules/new", unit=str(d.ubnd_ha_tu.id), valid_from="2026-05-01", valid_to="2026-04-01"))

    assert "Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực." in response.get_data(as_text=True)
    assert rule_count() == 0


def test_an_unused_rule_is_edited(client: FlaskClient, d: Directory) -> None:
    rule = add_rule(d)
    page = client.get(f"/admin/rules/{rule.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{d.ha_tu.id}">' in page

    response = client.post(f"/admin/rules/{rule.id}/edit", data=form_for(
        client, f"/admin/rules/{rule.id}/edit", locality=str(d.van_don.id), unit=str(d.ubnd_van_don.id)))

    assert response.status_code == 302
    assert (rule.locality, rule.topic, rule.unit) == (d.van_don, None, d.ubnd_van_don)


def test_a_used_rule_only_takes_a_new_end_date_and_note(client: FlaskClient, d: Directory) -> None:
    """Proves: for a rule that routed an item the page explains why, shows the condition as text,
    and a posted change of unit is ignored while the end date is saved."""
    rule = add_rule(d)
    make_feedback(d, routing_rule_id=rule.id)
    page = client.get(f"/admin/rules/{rule.id}/edit").get_data(as_text=True)
    assert "đã được dùng để phân công 1 ý kiến" in page
    assert 'name="unit"' not in page

    response = client.post(f"/admin/rules/{rule.id}/edit", data=form_for(
        client, f"/admin/rules/{rule.id}/edit", unit=str(d.environment_dept.id), valid_to="2026-12-31"))

    assert response.status_code == 302
    assert (rule.unit, rule.valid_to) == (d.ubnd_ha_tu, date(2026, 12, 31))


def test_an_unused_rule_is_deleted_after_confirmation(client: FlaskClient, d: Directory) -> None:
    rule = add_rule(d)
    confirm = client.get(f"/admin/rules/{rule.id}/delete").get_data(as_text=True)
    assert "chưa được dùng để phân công ý kiến nào" in confirm

    response = client.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": csrf_token(confirm)},
                           follow_redirects=True)

    assert f"Đã xóa quy tắc #{rule.id}." in response.get_data(as_text=True)
    assert rule_count() == 0


def test_deleting_a_used_rule_ends_it_and_says_so(client: FlaskClient, d: Directory) -> None:
    """Proves: the confirmation explains that a used rule is ended, not deleted, and it is."""
    rule = add_rule(d)
    make_feedback(d, routing_rule_id=rule.id)
    confirm = client.get(f"/admin/rules/{rule.id}/delete").get_data(as_text=True)
    assert "nên không thể xóa" in confirm

    response = client.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": csrf_token(confirm)},
                           follow_redirects=True)

    assert rule_count() == 1 and rule.valid_to is not None
    assert f"Quy tắc #{rule.id} đã được dùng nên không xóa: hiệu lực chỉ còn đến hết ngày" in response.get_data(as_text=True)


def test_deleting_needs_the_csrf_token(client: FlaskClient, d: Directory) -> None:
    rule = add_rule(d)
    assert client.post(f"/admin/rules/{rule.id}/delete").status_code == 400
    assert rule_count() == 1


def test_an_unknown_rule_is_404(client: FlaskClient, d: Directory) -> None:
    assert client.get("/admin/rules/999999/edit").status_code == 404
    assert client.get("/admin/rules/999999/delete").status_code == 404


def test_a_csv_upload_reports_lines_and_keeps_nothing(client: FlaskClient, d: Directory) -> None:
    """Proves: the upload page lists every bad line and stores nothing; a good file is stored."""
    bad = HEADER + "06652,moi-truong,,UBND-06652,,,\n06652,moi-truong,khiếu nại,KHONG-CO,,,\n"
    good = HEADER + "06652,moi-truong,,UBND-06652,,,\n06994,,tố cáo,UBND-06994,,,\n"

    def upload(text: str) -> object:
        token = csrf_token(client.get("/admin/rules/import").get_data(as_text=True))
        return client.post("/admin/rules/import", content_type="multipart/form-data", follow_redirects=True,
                           data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "quy-tac.csv")})

    refused = upload(bad).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Dòng 3: Không có đơn vị mã &#34;KHONG-CO&#34;." in refused
    assert "tệp có 1 lỗi" in refused
    assert rule_count() == 0

    accepted = upload(good).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Đã nhập 2 quy tắc." in accepted
    assert rule_count() == 2


def test_rule_changes_are_forbidden_to_other_staff(client: FlaskClient, db_session: Session) -> None:
    """Proves: an officer cannot create or delete rules by posting directly (403, nothing changed)."""
    directory = make_directory()
    rule = add_rule(directory)
    make_user("canbo", Role.OFFICER, unit=directory.ubnd_ha_tu)
    log_in(client, "canbo")
    token = csrf_token(client.get("/").get_data(as_text=True))

    assert client.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/rules/new", data={"csrf_token": token, "unit": str(directory.ubnd_ha_tu.id)}
                       ).status_code == 403
    assert rule_count() == 1
