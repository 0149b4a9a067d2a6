"""Rule pages and the code directory as issue #6 asked (items 12 and 13): large uploads go to the
worker with a self-refreshing progress page, bad files answer with problems (never a 500), an
ended rule offers no "end", both locality inputs are refused, codes are shown."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

import feedback.jobs
from feedback.domain.calendar import local_date
from feedback.extensions import db
from feedback.models import ImportJob, ImportStatus, RoutingRule
from feedback.services.routing import rules
from tests.conftest import Enqueued
from tests.factories import Directory, make_feedback
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import csrf_token

HEADER = "locality_code,topic_code,kind,unit_code,valid_from,valid_to,note\n"


def upload(client: FlaskClient, content: bytes, *, follow: bool = False) -> tuple[int, str, Element]:
    token = csrf_token(client.get("/admin/rules/import").get_data(as_text=True))
    response = client.post("/admin/rules/import", data={"csrf_token": token, "file": (io.BytesIO(content), "r.csv")},
                           content_type="multipart/form-data", follow_redirects=follow)
    text = response.get_data(as_text=True)
    return response.status_code, response.headers.get("Location", ""), parse(text)


def one_day_rows(count: int) -> str:
    start = date(2000, 1, 1)
    return "".join(f"06652,moi-truong,,UBND-06652,{start + timedelta(days=i)},{start + timedelta(days=i)},\n"
                   for i in range(count))


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingRule)) or 0


# --- import --------------------------------------------------------------------------------


def test_a_large_upload_runs_in_the_worker_with_a_progress_page(client: FlaskClient, d: Directory,
                                                               enqueued: Enqueued) -> None:
    """Proves: more than SYNC_LIMIT rows are stored as a job and sent to the worker by name; the
    job's page shows the progress and refreshes itself (meta refresh, no JavaScript) until the
    job is over, then shows how many rules were stored and stops refreshing."""

    status, location, _page = upload(client, (HEADER + one_day_rows(rules.SYNC_LIMIT + 1)).encode())

    job = db.session.scalars(select(ImportJob)).one()
    assert status == 302 and location.endswith(f"/admin/rules/import/{job.id}")
    assert enqueued == [(feedback.jobs.IMPORT_ROUTING_RULES, job.id)] and rule_count() == 0
    waiting = parse(client.get(location).get_data(as_text=True))
    assert waiting.find("meta", **{"http-equiv": "refresh"})
    assert "(2.001 dòng)" in waiting.find("p", id="import-status").text  # Vietnamese thousands' dot

    job.status, job.rows_done = ImportStatus.RUNNING, 1000
    db.session.commit()
    running = parse(client.get(location).get_data(as_text=True))
    assert "1.000 / 2.001 dòng" in running.find("p", id="import-status").text
    assert running.find("progress").attrs["value"] == "1000"

    job.status = ImportStatus.PENDING
    db.session.commit()
    rules.run_import_job(job.id, now=datetime.now(UTC))
    done = parse(client.get(location).get_data(as_text=True))
    assert not done.find_all("meta", **{"http-equiv": "refresh"})
    assert f"Đã nhập {rules.SYNC_LIMIT + 1} quy tắc." in done.find("p", id="import-status").text


def test_a_small_upload_with_semicolons_imports_at_once(client: FlaskClient, d: Directory,
                                                        enqueued: Enqueued) -> None:
    status, location, _page = upload(client, ("\ufeff" + HEADER.replace(",", ";")
                                              + "06652;moi-truong;;UBND-06652;;;\n").encode())
    assert status == 302 and location.endswith("/admin/rules") and rule_count() == 1
    assert enqueued == []  # a small file needs no worker


def test_an_oversized_cell_is_a_listed_problem_not_a_500(client: FlaskClient, d: Directory) -> None:
    status, _location, page = upload(client, (HEADER + f"06652,moi-truong,,UBND-06652,,,{'x' * 140_000}\n").encode())
    assert status == 200
    problems = [li.text for li in page.find("div", role="alert").find_all("li")]
    assert len(problems) == 1 and problems[0].startswith("Dòng 2:")


def test_the_import_page_writes_its_line_limit_as_vietnamese_numbers(client: FlaskClient, d: Directory) -> None:
    """Proves: the hint names the limit with the thousands' dot ("2.000 dòng"; it said "2000")."""
    hint = f"Tệp trên {rules.SYNC_LIMIT:,} dòng".replace(",", ".")
    assert rules.SYNC_LIMIT >= 1000 and hint in client.get("/admin/rules/import").get_data(as_text=True)


def test_an_unknown_job_is_404(client: FlaskClient, d: Directory) -> None:
    assert client.get("/admin/rules/import/999999").status_code == 404


# --- rule list and forms -------------------------------------------------------------------


def test_an_ended_rule_offers_no_end(client: FlaskClient, d: Directory) -> None:
    """Proves: a used rule offers "Kết thúc hiệu lực" until it is ended (today counts: valid
    until the end of today), then shows "Đã kết thúc"; its confirmation page has no button."""
    today = local_date(datetime.now(UTC))
    running = RoutingRule(locality=d.ha_tu, topic=d.environment, unit=d.ubnd_ha_tu, valid_from=today)
    ended = RoutingRule(locality=d.van_don, topic=None, unit=d.ubnd_van_don, valid_to=today)
    db.session.add_all([running, ended])
    db.session.flush()
    make_feedback(d, routing_rule_id=running.id)
    make_feedback(d, routing_rule_id=ended.id)
    db.session.commit()

    def actions(rule: RoutingRule) -> str:
        table = parse(client.get("/admin/rules").get_data(as_text=True)).find("table", class_="data")
        row = next(tr for tr in table.find("tbody").find_all("tr") if tr.find_all("td")[0].text == str(rule.id))
        return row.find_all("td")[-1].text

    assert actions(running) == "Sửa Kết thúc hiệu lực"
    assert actions(ended) == "Sửa Đã kết thúc"
    confirm = parse(client.get(f"/admin/rules/{ended.id}/delete").get_data(as_text=True))
    assert confirm.find("p", id="rule-ended") and not confirm.find("main").find_all("form", method="post")

    # A rule created and used today is ended today, and then offers no "end" either.
    token = csrf_token(client.get(f"/admin/rules/{running.id}/delete").get_data(as_text=True))
    client.post(f"/admin/rules/{running.id}/delete", data={"csrf_token": token})
    db.session.refresh(running)
    assert running.valid_to == today and actions(running) == "Sửa Đã kết thúc"


def test_both_locality_inputs_are_refused(client: FlaskClient, d: Directory) -> None:
    token = csrf_token(client.get("/admin/rules/new").get_data(as_text=True))
    response = client.post("/admin/rules/new", data={
        "csrf_token": token, "locality": str(d.van_don.id), "locality_code": "06652-001", "topic": "",
        "kind": "", "unit": str(d.ubnd_ha_tu.id), "valid_from": "", "valid_to": "", "note": ""})
    assert response.status_code == 200 and rule_count() == 0
    assert "không nhập cả hai" in parse(response.get_data(as_text=True)).text


def test_rule_pages_show_the_codes(client: FlaskClient, d: Directory) -> None:
    db.session.add(RoutingRule(locality=d.ha_tu, topic=d.environment, unit=d.environment_dept))
    db.session.commit()
    row = parse(client.get("/admin/rules").get_data(as_text=True)).find("table", class_="data").find("tbody") \
        .find("tr").text
    assert d.ha_tu.code in row and d.environment.code in row and d.environment_dept.code in row
    form = parse(client.get("/admin/rules/new").get_data(as_text=True))
    units = [option.text for option in form.find("select", id="unit").find_all("option")]
    assert f"{d.environment_dept.name} ({d.environment_dept.code})" in units


# --- directory -----------------------------------------------------------------------------


def test_the_directory_lists_codes_and_searches_without_accents(client: FlaskClient, d: Directory) -> None:
    """Proves: /admin/directory lists unit, topic and locality codes; villages only when searched;
    the search ignores diacritics; it is read only (no form posts)."""

    def codes(url: str, section: str) -> set[str]:
        root = parse(client.get(url).get_data(as_text=True))
        tables = root.find("section", id=section).find_all("td", class_="directory-code")
        return {cell.text for cell in tables}

    assert {d.ubnd_ha_tu.code, d.environment_dept.code} <= codes("/admin/directory", "units")
    assert {d.environment.code, d.waste.code} <= codes("/admin/directory", "topics")
    assert {d.ha_tu.code, d.province.code} <= codes("/admin/directory", "localities")
    assert d.village.code not in codes("/admin/directory", "localities")
    found = codes("/admin/directory?q=van don", "localities")  # the commune and its villages
    assert d.van_don.code in found and d.ha_tu.code not in found
    assert d.village.code in codes(f"/admin/directory?q={d.village.code}", "localities")
    assert codes("/admin/directory?q=môi trường", "topics") == codes("/admin/directory?q=moi truong", "topics") \
        == {d.environment.code, d.waste.code}
    assert not parse(client.get("/admin/directory").get_data(as_text=True)).find("main").find_all("form", method="post")
