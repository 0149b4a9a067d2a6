"""The dashboard's table of supervision recommendations per unit (issue #9 item 4, last part):
issued, answered, answered on time, on-time rate and overdue now, on /monitor/ and in its CSV and
XLSX exports, within the viewer's territory and the unit filter.

The hand-counted world, March 2026 seen on 15 April 2026 (09:00 local):
- UBND Phường Hà Tu gets three: the Board's of 3 March (due 18 March) answered 8 March, on
  time; the Board's of 4 March (due 19 March) answered 25 March, late; the Front's of 5 March
  (due 4 April) never answered, overdue now. Counts: 3 issued, 2 answered, 1 on time (50 %),
  1 overdue.
- UBND Đặc khu Vân Đồn gets one from the province's Front on 10 March, unanswered and not yet
  due in March but overdue on 15 April: 1 issued, 0 answered, rate empty, 1 overdue. It lies
  outside Hà Tu: the Hà Tu monitor never sees it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Recommendation, Role, Topic, User
from feedback.services import handling, recommendations
from feedback.services.recommendations import RecommendationDraft
from tests.factories import Directory, make_directory, make_user
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import log_in

NOW = datetime(2026, 4, 15, 2, 0, tzinfo=UTC)  # 09:00 local
MARCH_ARGS = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 09:00 local


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedback.monitor.views

    monkeypatch.setattr(feedback.monitor.views, "now_utc", lambda: NOW)


def _issue(username: str, unit_id: int, when: datetime) -> recommendations.Issued:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert user is not None
    draft = RecommendationDraft(unit_id=unit_id, title="Rác thải tồn đọng kéo dài",
                                text="Đề nghị UBND kiểm tra việc thu gom.", topic_code="moi-truong")
    return recommendations.issue_recommendation(user, draft, now=when)


def _answer(username: str, issued: recommendations.Issued, when: datetime) -> None:
    head = db.session.scalar(sa.select(User).where(User.username == username))
    assert head is not None
    handling.save_draft(head, issued.feedback_id, "Đã thu gom xong.", expected_version=None, now=when)
    handling.publish_answer(head, issued.feedback_id, now=when)


@pytest.fixture
def d(client: FlaskClient, db_session: Session) -> Directory:
    d = make_directory()
    make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu)
    make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province)
    make_user("bttnd-to-1", Role.INSPECTION_BOARD, territory=d.village)
    make_user("lanh-dao-ha-tu", Role.UNIT_HEAD, unit=d.ubnd_ha_tu)
    db.session.commit()
    on_time = _issue("bttnd-to-1", d.ubnd_ha_tu.id, at(3))
    late = _issue("bttnd-to-1", d.ubnd_ha_tu.id, at(4))
    _issue("mttq-ha-tu", d.ubnd_ha_tu.id, at(5))
    _issue("mttq-tinh", d.ubnd_van_don.id, at(10))
    _answer("lanh-dao-ha-tu", on_time, at(8))
    _answer("lanh-dao-ha-tu", late, at(25))
    db.session.commit()
    return d


def _page(client: FlaskClient, **args: str) -> Element:
    response = client.get("/monitor/", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return parse(response.get_data(as_text=True))


def _rows(page: Element) -> dict[str, list[str]]:
    table = page.find("table", id="recommendations")
    rows = [*table.find("tbody").find_all("tr"), table.find("tfoot").find("tr")]
    return {row.find("th").text: [cell.text for cell in row.find_all("td")] for row in rows}


def _csv(client: FlaskClient, **args: str) -> list[list[str]]:
    response = client.get("/monitor/export/recommendations.csv", query_string=args)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_hand_counted_figures_on_the_page_and_in_both_exports(client: FlaskClient, d: Directory) -> None:
    """Proves: the province monitor's dashboard for March lists per unit 3 issued, 2 answered,
    1 on time, 50 % and 1 overdue for UBND Hà Tu; 1, 0, 0, no rate, 1 for Vân Đồn; totals 4, 2,
    1, 50 %, 2; with a link to the recommendations list; the CSV and the XLSX (alone and as a
    sheet of the whole dashboard) carry the same figures, rates as fractions, an empty rate cell."""
    assert log_in(client, "mttq-tinh").status_code == 302
    page = _page(client, **MARCH_ARGS)
    assert _rows(page) == {
        "UBND Phường Hà Tu": ["3", "2", "1", "50,0%", "1"],
        "UBND Đặc khu Vân Đồn": ["1", "0", "0", "—", "1"],
        "Tổng cộng": ["4", "2", "1", "50,0%", "2"],
    }
    section = page.find("section", class_="recommendations")
    assert "/monitor/recommendations/" in [a.attrs.get("href") for a in section.find_all("a")]

    rows = _csv(client, **MARCH_ARGS)
    assert rows == [
        ["Mã đơn vị", "Đơn vị", "Kiến nghị đã gửi", "Đã trả lời", "Trả lời đúng hạn", "Tỷ lệ đúng hạn", "Đang quá hạn"],
        ["UBND-06994", "UBND Đặc khu Vân Đồn", "1", "0", "0", "", "1"],
        ["UBND-06652", "UBND Phường Hà Tu", "3", "2", "1", "0.5000", "1"],
        ["", "Tổng cộng", "4", "2", "1", "0.5000", "2"],
    ]

    alone = client.get("/monitor/export/recommendations.xlsx", query_string=MARCH_ARGS)
    whole = client.get("/monitor/export/dashboard.xlsx", query_string=MARCH_ARGS)
    assert alone.status_code == whole.status_code == 200
    for book in (load_workbook(io.BytesIO(alone.get_data())), load_workbook(io.BytesIO(whole.get_data()))):
        sheet = book["Kiến nghị giám sát"]
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values == [
            rows[0],
            ["UBND-06994", "UBND Đặc khu Vân Đồn", 1, 0, 0, None, 1],
            ["UBND-06652", "UBND Phường Hà Tu", 3, 2, 1, 0.5, 1],
            [None, "Tổng cộng", 4, 2, 1, 0.5, 2],
        ]
        assert sheet["F3"].number_format == "0.0%"


def test_april_counts_what_happened_in_april(client: FlaskClient, d: Directory) -> None:
    """Proves: the period decides issued and answered (nothing issued or answered in April), while
    overdue is now's: April shows the two overdue units with zeros and an empty rate."""
    assert log_in(client, "mttq-tinh").status_code == 302
    rows = _rows(_page(client, period="this_month"))
    assert rows == {
        "UBND Phường Hà Tu": ["0", "0", "0", "—", "1"],
        "UBND Đặc khu Vân Đồn": ["0", "0", "0", "—", "1"],
        "Tổng cộng": ["0", "0", "0", "—", "2"],
    }


@pytest.mark.parametrize("username", ["mttq-ha-tu", "bttnd-to-1"])
def test_a_commune_monitor_sees_only_its_communes_units(client: FlaskClient, d: Directory, username: str) -> None:
    """Proves territory scoping: the Hà Tu monitor (and the Board member of its village) sees Hà
    Tu's counts and never Vân Đồn's unit, neither on the page nor in the exports; asking for the
    Vân Đồn unit by the filter answers 404."""
    assert log_in(client, username).status_code == 302
    assert _rows(_page(client, **MARCH_ARGS)) == {
        "UBND Phường Hà Tu": ["3", "2", "1", "50,0%", "1"],
        "Tổng cộng": ["3", "2", "1", "50,0%", "1"],
    }
    assert [row[0] for row in _csv(client, **MARCH_ARGS)[1:]] == ["UBND-06652", ""]
    whole = load_workbook(io.BytesIO(client.get("/monitor/export/dashboard.xlsx", query_string=MARCH_ARGS)
                                     .get_data()))
    sheet = [[cell.value for cell in row] for row in whole["Kiến nghị giám sát"].iter_rows()]
    assert [row[0] for row in sheet[1:]] == ["UBND-06652", None]
    outside = {"unit": str(d.ubnd_van_don.id), **MARCH_ARGS}
    assert client.get("/monitor/", query_string=outside).status_code == 404
    assert client.get("/monitor/export/recommendations.csv", query_string=outside).status_code == 404


def test_the_unit_filter_keeps_that_units_recommendations(client: FlaskClient, d: Directory) -> None:
    """Proves: the province monitor filtering by Vân Đồn's committee sees only its row (page and
    CSV); a locality filter of Hà Tu only Hà Tu's unit; a topic filter only that topic's
    recommendations (all four are about the environment, none about land); the kind filter
    is said not to apply."""
    assert log_in(client, "mttq-tinh").status_code == 302
    only = {"unit": str(d.ubnd_van_don.id), **MARCH_ARGS}
    assert _rows(_page(client, **only)) == {
        "UBND Đặc khu Vân Đồn": ["1", "0", "0", "—", "1"],
        "Tổng cộng": ["1", "0", "0", "—", "1"],
    }
    assert [row[0] for row in _csv(client, **only)[1:]] == ["UBND-06994", ""]
    assert list(_rows(_page(client, locality=str(d.ha_tu.id), **MARCH_ARGS))) == ["UBND Phường Hà Tu", "Tổng cộng"]
    land = db.session.scalar(sa.select(Topic.id).where(Topic.code == "dat-dai"))
    environment = db.session.scalar(sa.select(Topic.id).where(Topic.code == "moi-truong"))
    assert _page(client, topic=str(land), **MARCH_ARGS).find_all("table", id="recommendations") == []
    assert _rows(_page(client, topic=str(environment), **MARCH_ARGS))["Tổng cộng"] == ["4", "2", "1", "50,0%", "2"]
    kind = _page(client, kind="complaint", **MARCH_ARGS).find("section", class_="recommendations").text
    assert "Bộ lọc loại ý kiến không áp dụng cho kiến nghị giám sát." in kind


def test_nothing_to_count_says_so_and_a_unit_name_is_never_a_formula(client: FlaskClient, d: Directory) -> None:
    """Proves: a unit without recommendations (nor any overdue now) shows a sentence, not an empty table; a frozen
    unit name typed as a formula is written as text in both exports."""
    db.session.execute(sa.update(Recommendation).where(Recommendation.unit_id == d.ubnd_van_don.id)
                       .values(unit_name='=HYPERLINK("http://example.test","x")'))
    db.session.commit()
    assert log_in(client, "mttq-tinh").status_code == 302
    empty = _page(client, unit=str(d.environment_dept.id), **MARCH_ARGS)
    assert empty.find_all("table", id="recommendations") == []
    assert "Không có kiến nghị nào trong kỳ này." in empty.find("section", class_="recommendations").text
    names = [row[1] for row in _csv(client, **MARCH_ARGS)]
    assert "'=HYPERLINK(\"http://example.test\",\"x\")" in names
    book = load_workbook(io.BytesIO(client.get("/monitor/export/recommendations.xlsx",
                                               query_string=MARCH_ARGS).get_data()))
    cell = next(row[1] for row in book.active.iter_rows(min_row=2) if row[0].value == "UBND-06994")
    assert cell.value == "'=HYPERLINK(\"http://example.test\",\"x\")" and cell.data_type == "s"
