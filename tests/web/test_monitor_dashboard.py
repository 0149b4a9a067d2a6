"""The Front dashboard (/monitor/, issue #9 item 2): figures, ranking, charts, drill-down, item
pages, the overdue list and the exports, for a Front monitor of Hà Tu, a province monitor and an
Inspection Board member, over the hand-counted world of tests/services/stats_rows.py (NOW is
15/4/2026; March is the period unless said)."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period
from feedback.extensions import db
from feedback.models import Event, Role
from feedback.services import statistics
from feedback.services.statistics import Figures, Scope, figures, recount, totals
from tests.factories import make_user
from tests.services.stats_rows import MARCH, NOW, World, build_world
from tests.web.admin_html import Element, parse
from tests.web.auth_helpers import log_in

MARCH_ARGS = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedback.monitor.views

    monkeypatch.setattr(feedback.monitor.views, "now_utc", lambda: NOW)


@pytest.fixture
def world(client: FlaskClient, db_session: Session) -> World:
    """The six items, a Front monitor of Hà Tu, one of the province and an Inspection Board member
    of Tổ 1 (Hà Tu)."""
    w = build_world()
    d = w.directory
    make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu)
    make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province)
    make_user("bttnd-to-1", Role.INSPECTION_BOARD, territory=d.village)
    # Raw rows written directly: the rollups are rebuilt from them (as tests/services/test_statistics.py does).
    statistics.rebuild(db.session)
    db.session.commit()
    return w


def _page(client: FlaskClient, url: str, **args: str) -> Element:
    response = client.get(url, query_string=args) if args else client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return parse(response.get_data(as_text=True))


def _table(page: Element, table_id: str) -> dict[str, list[str]]:
    """Row header → the texts of its cells, for the table with ``table_id``."""
    body = page.find("table", id=table_id).find("tbody")
    return {row.find("th").text: [cell.text for cell in row.find_all("td")] for row in body.find_all("tr")}


def _shown(row: Figures) -> list[str]:
    """A row of figures as the page writes it (the columns of monitoring.FIGURE_COLUMNS)."""
    from feedback.services.monitoring import FIGURE_COLUMNS, Rate

    out = []
    for column in FIGURE_COLUMNS:
        value = column.cell(row)
        out.append("—" if value is None else _vi_percent(value.value) if isinstance(value, Rate)
                   else f"{value:.1f}".replace(".", ",") if isinstance(value, float) else f"{value:,}".replace(",", "."))
    return out


def _vi_percent(fraction: float) -> str:
    """A rate as the Vietnamese page writes it: one decimal after a comma, the sign attached."""
    return f"{fraction * 100:.1f}".replace(".", ",") + "%"


def test_the_figures_per_unit_are_the_statistics_of_the_territory(client: FlaskClient, world: World) -> None:
    """Proves: the Hà Tu monitor's table per unit for March shows, cell by cell, the statistics of
    the Hà Tu territory (and their totals), hand-checked where it matters: the department received
    2 and published 4 answers, 3 on time; UBND Hà Tu received 2, transferred 1 and has 1 overdue;
    Vân Đồn's committee (no item in Hà Tu) is not listed."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/", **MARCH_ARGS)
    table = _table(page, "figures")
    expected = figures(db.session(), period=Period(*MARCH), group="unit",
                       scope=Scope(territory_id=world.directory.ha_tu.id), now=NOW)
    assert table == {row.label: _shown(row) for row in expected}
    a, b = table[world.a.name], table[world.b.name]
    assert (a[0], a[1], a[2]) == ("2", "4", "3")
    assert (b[0], b[4], b[6]) == ("2", "1", "1")
    assert world.c.name not in table
    total = totals(db.session(), period=Period(*MARCH), scope=Scope(territory_id=world.directory.ha_tu.id), now=NOW)
    footer = page.find("table", id="figures").find("tfoot").find("tr")
    assert [cell.text for cell in footer.find_all("td")] == _shown(total)


def test_the_province_monitor_sees_every_commune(client: FlaskClient, world: World) -> None:
    """Proves: a province monitor's table holds Vân Đồn's committee too."""
    assert log_in(client, "mttq-tinh").status_code == 302
    table = _table(_page(client, "/monitor/", **MARCH_ARGS), "figures")
    assert {world.a.name, world.b.name, world.c.name} <= set(table)


# What one dashboard page (the province by unit, this year) may send: the session's user and
# roles, the territory, the filters' choices, the four statistics questions (the scope, the
# overdue window and the stored medians read once for all four; the rows, the ranking and the
# totals summed in one pass over the rollup; the overdue counts of all four in one statement),
# the units' labels and the recommendations. It was 40 to 42 when each question read everything
# itself, 23 when the 12-month trend still read the rollups apart from the rows and the figures'
# filters and the overdue counts each read the territory's node. 18 when the window of past-due
# clocks is empty, 20 when it holds some (their items, then their kept rows: which it is depends
# on the hour the world was built at).
DASHBOARD_STATEMENTS = 20


def test_a_dashboard_page_sends_a_bounded_number_of_statements(client: FlaskClient, world: World) -> None:
    """Proves: the questions of one page share what they read alike (issue #9 item 7): the
    province's page by unit sends at most DASHBOARD_STATEMENTS statements; the territory's node,
    the overdue window, and each rollup (the rows, the ranking, the totals and the trend
    together) are read once."""
    from tests.statements import recorded_statements

    assert log_in(client, "mttq-tinh").status_code == 302
    _page(client, "/monitor/", period="this_year")  # the medians computed once and kept
    with recorded_statements() as statements:
        _page(client, "/monitor/", period="this_year")
    listed = "\n".join(statements)
    assert len(statements) <= DASHBOARD_STATEMENTS, f"{len(statements)} statements:\n{listed}"
    window = [s for s in statements if "deadline.breached_at IS NULL" in s and "FROM deadline" in s]
    assert len(window) == 1, listed
    node = [s for s in statements if "locality_1.parent_id IS NULL" in s]
    assert len(node) == 1, listed
    for rollup in ("FROM stat_monthly_unit", "FROM stat_daily_unit"):
        assert sum(rollup in s for s in statements) <= 1, (rollup, listed)
    assert any("FROM stat_monthly_unit" in s for s in statements), listed


@pytest.mark.parametrize("group", ["commune", "village", "topic", "kind"])
def test_every_grouping_shows_the_statistics_rows(client: FlaskClient, world: World, group: str) -> None:
    """Proves: per commune, village, topic and kind the table has one row per statistics row, with
    the same figures."""
    assert log_in(client, "mttq-tinh").status_code == 302
    page = _page(client, "/monitor/", group=group, **MARCH_ARGS)
    expected = figures(db.session(), period=Period(*MARCH), group=group,  # type: ignore[arg-type]
                       scope=Scope(territory_id=world.directory.province.id), now=NOW)
    rows = list(_table(page, "figures").values())
    assert rows == [_shown(row) for row in expected] and rows


def test_last_month_is_march_seen_from_april(client: FlaskClient, world: World) -> None:
    """Proves: the named period "last_month" on 15/4 gives exactly the custom range 1/3–31/3."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    named = _page(client, "/monitor/", period="last_month")
    custom = _page(client, "/monitor/", **MARCH_ARGS)
    assert _table(named, "figures") == _table(custom, "figures")
    assert "01/03/2026" in named.find("p", class_="period-line").text


def test_the_locality_filter_groups_the_villages_under_their_commune(client: FlaskClient, world: World) -> None:
    """Proves: the villages of the locality filter sit in an optgroup naming their commune, each
    with its commune (names repeat from commune to commune), apart from the communes' group; a
    village chosen stays listed and selected (its commune's villages are offered, where the
    list used to empty and the next "Xem" dropped the village)."""
    d = world.directory
    assert log_in(client, "mttq-tinh").status_code == 302
    unchosen = _page(client, "/monitor/", **MARCH_ARGS).find("select", id="locality")
    assert [g.attrs["label"] for g in unchosen.find_all("optgroup")] == ["Xã, phường"]
    chosen = _page(client, "/monitor/", locality=str(d.remote_village.id), **MARCH_ARGS).find("select", id="locality")
    communes, villages = chosen.find_all("optgroup")
    assert villages.attrs["label"] == "Thôn, tổ dân phố của Đặc khu Vân Đồn"
    option = villages.find("option", value=str(d.remote_village.id))
    assert option.text == "Thôn Đài Van, Đặc khu Vân Đồn" and "selected" in option.attrs
    assert communes.find_all("option", value=str(d.van_don.id))
    assert not villages.find_all("option", value=str(d.village.id))  # Hà Tu's village: another commune


@pytest.mark.parametrize("period", [None, "this_month", "this_year"])
def test_typed_dates_are_read_without_the_custom_option(client: FlaskClient, world: World, period: str | None) -> None:
    """Proves: dates typed while a named period stays ticked (the form ticks "Tháng này" by
    default) give March's figures, as with "Tùy chọn" ticked (they were ignored); the page ticks
    "Tùy chọn", says so and how to get the named period back, and its links carry the range."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    args = {"from": "2026-03-01", "to": "2026-03-31"} | ({"period": period} if period else {})
    typed = _page(client, "/monitor/", **args)
    assert _table(typed, "figures") == _table(_page(client, "/monitor/", **MARCH_ARGS), "figures")
    assert "01/03/2026" in typed.find("p", class_="period-line").text
    assert "checked" in typed.find("input", name="period", value="custom").attrs
    assert "checked" not in typed.find("input", name="period", value="this_month").attrs
    assert "xóa hai ô ngày" in typed.find("p", id="range-note").text
    link = typed.find("table", id="figures").find("tfoot").find("td", class_="figure-received").find("a")
    assert "period=custom" in link.attrs["href"] and "from=2026-03-01" in link.attrs["href"]
    assert _page(client, "/monitor/", **MARCH_ARGS).find_all("p", id="range-note") == []


def test_a_bad_typed_date_without_the_custom_option_is_refused(client: FlaskClient, world: World) -> None:
    """Proves: a bad date typed with "Tháng này" ticked answers 400 with the reason, as when
    "Tùy chọn" is ticked (it used to show this month's figures as if nothing had been typed)."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    for query, message in [({"from": "2026-02-30", "to": "2026-03-31"}, "Ngày không hợp lệ"),
                           ({"from": "2026-03-01"}, "Hãy nhập cả ngày bắt đầu và ngày kết thúc.")]:
        response = client.get("/monitor/", query_string={"period": "this_month", **query})
        assert response.status_code == 400
        page = parse(response.get_data(as_text=True))
        assert message in page.find("p", id="range-error").text
        assert page.find_all("table", id="figures") == [] and page.find_all("p", id="range-note") == []


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-02-30", "2026-03-31", "Ngày không hợp lệ"),
    ("2026-04-01", "2026-03-01", "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."),
    ("", "2026-03-01", "Hãy nhập cả ngày bắt đầu và ngày kết thúc."),
    ("2026-05-01", "2026-05-31", "Ngày bắt đầu không được sau ngày hôm nay."),
])
def test_a_bad_custom_range_is_refused_with_a_message(client: FlaskClient, world: World, start: str, end: str,
                                                      message: str) -> None:
    """Proves: a custom range that cannot be right answers 400 with the form, what was typed and
    the reason; no figures are shown."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    response = client.get("/monitor/", query_string={"period": "custom", "from": start, "to": end})
    assert response.status_code == 400
    page = parse(response.get_data(as_text=True))
    assert message in page.find("p", id="range-error").text
    assert page.find("input", id="from").attrs["value"] == start
    assert page.find_all("table", id="figures") == []



@pytest.mark.parametrize("path", ["/monitor/export/figures.csv", "/monitor/export/dashboard.xlsx", "/monitor/items"])
def test_a_download_or_list_of_a_bad_range_says_why(client: FlaskClient, world: World, path: str) -> None:
    """Proves: an export or a drill-down asked for a range that cannot be right answers 400 with
    the same reason as the dashboard (found by probing: they answered the generic "the browser
    sent a request the system does not understand"). The overdue list has no period: see
    ``test_the_overdue_list_offers_and_reads_no_period``."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    response = client.get(path, query_string={"period": "custom", "from": "2026-04-01", "to": "2026-03-01",
                                              "figure": "received"})
    assert response.status_code == 400
    page = parse(response.get_data(as_text=True))
    assert page.find("p", class_="lead").text == "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."


# --- ranking and charts ----------------------------------------------------------------------------


def _rated(w: World, unit_name: str, count: int, satisfied: int) -> None:
    """``count`` more items of Tổ 1 answered by the unit on 10/3 and rated on 12/3, ``satisfied``
    of them 5, the others 1."""
    from tests.services.stats_rows import _answer, _assign, _item, _rate, local

    unit = {w.a.name: w.a, w.b.name: w.b}[unit_name]
    for number in range(count):
        item = _item(w.directory, f"R{unit.id}{number}", w.items["I1"].kind, w.directory.village, w.directory.waste,
                     local(3, 3, 8))
        _assign(item, unit, local(3, 3))
        _rate(item, _answer(w, item, unit, 1, local(3, 10)), 5 if number < satisfied else 1, local(3, 12))


def test_units_are_ranked_by_the_lower_end_of_the_interval(client: FlaskClient, world: World) -> None:
    """Proves: with 12 of 12 ratings satisfied UBND Hà Tu ranks above the department (9 of 12),
    both with at least 10 ratings; Vân Đồn's committee (1 rating) is shown apart under "Quá ít
    đánh giá"; the chart has one row per unit, its bar as long as the rate, its interval
    bounds where Wilson puts them, each with a <title> saying the numbers."""
    from feedback.domain.statistics import wilson

    _rated(world, world.a.name, 10, 8)  # with I1 (5) and I2 (2): 12 ratings, 9 satisfied
    _rated(world, world.b.name, 12, 12)
    statistics.rebuild(db.session)
    db.session.commit()
    assert log_in(client, "mttq-tinh").status_code == 302
    page = _page(client, "/monitor/", **MARCH_ARGS)
    ranked = page.find("table", id="ranked").find("tbody").find_all("tr")
    assert [row.find("th").text for row in ranked] == [world.b.name, world.a.name]
    low, high = wilson(9, 12)  # type: ignore[misc]
    assert ranked[1].find_all("td")[2].text == f"{_vi_percent(low)} – {_vi_percent(high)}"
    assert page.find("h3", id="too-few-title").text == "Quá ít đánh giá"
    assert [item.text.split(":")[0] for item in page.find("ul", class_="too-few").find_all("li")] == [world.c.name]

    svg = page.find("figure", class_="chart-satisfaction").find("svg")
    assert svg.attrs["role"] == "img" and svg.find("title").text.startswith("Tỷ lệ hài lòng theo đơn vị")
    rows = svg.find_all("g", class_="chart-row")
    assert [row.find("text").text for row in rows] == [world.b.name, world.a.name, world.c.name]
    department = rows[1]
    assert "75,0%" in department.find("title").text and "12 lượt đánh giá" in department.find("title").text
    bar = department.find("rect")
    assert float(bar.attrs["width"]) == pytest.approx(308 * 0.75)
    interval = department.find_all("line")[0]
    assert float(interval.attrs["x1"]) == pytest.approx(4 + 308 * low)
    assert float(interval.attrs["x2"]) == pytest.approx(4 + 308 * high)


def test_the_monthly_trend_has_a_chart_and_a_table(client: FlaskClient, world: World) -> None:
    """Proves: the trend covers the 12 months up to March 2026 in a table (February: 1 received,
    March: the territory's received and on-time answers) and a chart with one group per month."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/", **MARCH_ARGS)
    trend = _table(page, "trend")
    assert list(trend)[0] == "04/2025" and list(trend)[-1] == "03/2026" and len(trend) == 12
    total = totals(db.session(), period=Period(*MARCH), scope=Scope(territory_id=world.directory.ha_tu.id), now=NOW)
    assert trend["03/2026"][0] == str(total.received) and trend["03/2026"][2] == str(total.answered_on_time)
    assert trend["02/2026"][0] == "1"
    chart = page.find("figure", class_="chart-trend")
    assert len(chart.find_all("g", class_="chart-month")) == 12
    assert chart.find("svg").find("desc").text


# --- drill-down -------------------------------------------------------------------------------------


def _codes(page: Element) -> list[str]:
    return [row.find("td").text for row in page.find("table", class_="data").find("tbody").find_all("tr")]


def test_a_figure_opens_the_items_behind_it(client: FlaskClient, world: World) -> None:
    """Proves: UBND Hà Tu's "transfers" cell links to a list holding I2 only; the department's
    on-time rate to the items of its on-time answers (I1, I2's second answer, I5); the totals'
    "received" to I1, I2 and I3 (Vân Đồn's I4 and I6, received in March too, are not in Hà Tu); each line
    links to the read-only item page."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/", **MARCH_ARGS)
    row = next(r for r in page.find("table", id="figures").find("tbody").find_all("tr")
               if r.find("th").text == world.b.name)
    link = row.find("td", class_="figure-transfers").find("a").attrs["href"]
    listed = _page(client, link)
    assert _codes(listed) == [world.items["I2"].code]
    assert listed.find("a", href=f"/monitor/items/{world.items['I2'].code}")
    # The heading names the unit, not its code.
    assert listed.find("p", class_="drill-scope").find("strong").text == world.b.name
    village = world.directory.village  # I2's place: a village, named with its commune
    assert [cell.text for cell in listed.find("tbody").find("tr").find_all("td")][5] == \
        f"{village.name}, {village.parent.name}"
    by_village = _page(client, "/monitor/items", figure="received", by="village", key=village.code, **MARCH_ARGS)
    assert by_village.find("p", class_="drill-scope").find("strong").text == f"{village.name}, {village.parent.name}"

    department = next(r for r in page.find("table", id="figures").find("tbody").find_all("tr")
                      if r.find("th").text == world.a.name)
    rate = department.find("td", class_="figure-on_time_rate").find("a")
    assert rate.text == "75,0%" and "figure=answered_on_time" in rate.attrs["href"]
    assert sorted(_codes(_page(client, rate.attrs["href"]))) == sorted(
        world.items[name].code for name in ("I1", "I2", "I5"))

    total_link = page.find("table", id="figures").find("tfoot").find("td", class_="figure-received").find("a")
    behind_total = _page(client, total_link.attrs["href"])
    assert sorted(_codes(behind_total)) == sorted(world.items[name].code for name in ("I1", "I2", "I3"))
    # I2, transferred, is received by both units: the figure counts it twice, the list once, and says so.
    assert total_link.text == "4"
    assert "hiện một lần trong danh sách" in behind_total.find("p", class_="drill-note").text


def test_a_drill_down_with_a_wrong_figure_is_a_bad_request(client: FlaskClient, world: World) -> None:
    assert log_in(client, "mttq-ha-tu").status_code == 302
    assert client.get("/monitor/items", query_string={"figure": "password", **MARCH_ARGS}).status_code == 400
    assert client.get("/monitor/items", query_string={"figure": "received", "by": "galaxy", "key": "x",
                                                      **MARCH_ARGS}).status_code == 400


def test_a_drill_down_page_past_the_end_sends_to_the_last(client: FlaskClient, world: World) -> None:
    """Proves: page 5 of a one-page drill-down (it showed "Trang 5 / 1" and no item) redirects to
    the list itself with the whole question kept, and is never cached."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    past = client.get("/monitor/items?figure=received&period=custom&from=2026-03-01&to=2026-03-31&page=5")
    assert past.status_code == 302
    assert past.headers["Location"] == "/monitor/items?figure=received&period=custom&from=2026-03-01&to=2026-03-31"
    assert past.headers["Cache-Control"] == "no-store"
    assert len(_codes(_page(client, past.headers["Location"]))) == 3


def test_a_drill_down_pages_without_counting(client: FlaskClient, world: World,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: with one row a page, the totals' "received" (I1, I2, I3) shows page 1 as "Hơn 1 ý
    kiến" and "Trang 1" with a link to the next page and none back (no count of every item:
    the page reads one row more than it shows); the last page gives the exact total, "Trang 3 /
    3", a link back and none forward; the pages hold the list in order."""
    from feedback.monitor import views

    monkeypatch.setattr(views, "PER_PAGE", 1)
    assert log_in(client, "mttq-ha-tu").status_code == 302
    first = _page(client, "/monitor/items", figure="received", **MARCH_ARGS)
    pager = first.find("nav", class_="pagination")
    assert pager.find("span").text == "Trang 1" and pager.find_all("a", rel="prev") == []
    assert "Hơn 1 ý kiến" in first.text
    seen = _codes(first)
    page = first
    while following := page.find("nav", class_="pagination").find_all("a", rel="next"):
        page = _page(client, following[0].attrs["href"])
        seen += _codes(page)
    last = page.find("nav", class_="pagination")
    assert last.find("span").text == "Trang 3 / 3" and len(last.find_all("a", rel="prev")) == 1
    assert "3 ý kiến ·" in page.text and "Hơn" not in page.text
    assert seen == sorted((world.items[name].code for name in ("I1", "I2", "I3")),
                          key=lambda code: next(i.id for i in world.items.values() if i.code == code))


# --- item pages and the identity rule ---------------------------------------------------------------


def _views_logged(item_id: int) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item_id,
                                                          Event.action == "personal_data_viewed")))


def test_the_front_sees_the_resident_and_the_view_is_logged(client: FlaskClient, world: World) -> None:
    """Proves: the Front monitor's page of complaint I3 shows the resident's name, and one internal
    "personal_data_viewed" event names the viewer and the page "monitor.item"."""
    item = world.items["I3"]
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, f"/monitor/items/{item.code}")
    assert "Nguyễn Văn A" in page.find("section", class_="resident").text
    (event,) = _views_logged(item.id)
    assert not event.public and event.after == {"fields": ["name"], "page": "monitor.item"}
    assert event.actor.endswith("mttq-ha-tu") or "mttq-ha-tu" in event.actor


def test_the_inspection_board_never_sees_the_resident(client: FlaskClient, world: World) -> None:
    """Proves: an Inspection Board member opens the same item without the resident's name (the
    protected-data note instead), and nothing is logged as a view of personal data."""
    item = world.items["I3"]
    assert log_in(client, "bttnd-to-1").status_code == 302
    page = _page(client, f"/monitor/items/{item.code}")
    resident = page.find("section", class_="resident")
    assert "Nguyễn Văn A" not in resident.text and resident.find_all("p", class_="personal-data-hidden")
    assert _views_logged(item.id) == []


def test_the_item_page_shows_the_answers_and_their_ratings(client: FlaskClient, world: World) -> None:
    """Proves: I2's page lists both published answers with the resident's scores and the reopening
    unit history, and offers no action form (read only)."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, f"/monitor/items/{world.items['I2'].code}")
    answers = page.find("section", class_="answers").find_all("article", class_="published-answer")
    assert [a.find("p", class_="rating").text for a in answers] == ["Người gửi đánh giá 2/5",
                                                                     "Người gửi đánh giá 4/5"]
    assert [li.text.split(" · ")[0] for li in page.find("ol", class_="assignment-list").find_all("li")] == [
        world.b.name, world.a.name]
    assert page.find_all("form", method="post") == [page.find("form", class_="logout-form")]


# --- the overdue list --------------------------------------------------------------------------------


def test_the_overdue_list_is_by_unit_with_how_late(client: FlaskClient, world: World) -> None:
    """Proves: for the Hà Tu monitor the list holds I3 under UBND Hà Tu, 10 days late (due at the
    end of 4/4, now 15/4 09:00), and not Vân Đồn's I6; the province monitor sees I6 under Vân
    Đồn's committee too."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/overdue")
    sections = page.find_all("section", class_="overdue-unit")
    assert [s.find("h2").text.split(" (")[0] for s in sections] == [world.b.name]
    (row,) = sections[0].find("tbody").find_all("tr")
    cells = [cell.text for cell in row.find_all("td")]
    assert cells[0] == world.items["I3"].code and cells[-1] == "Quá hạn 10 ngày"
    assert cells[3] == world.directory.ha_tu.name  # a commune by its own name

    client.post("/logout", data={"csrf_token": _token(client)})
    assert log_in(client, "mttq-tinh").status_code == 302
    province_page = _page(client, "/monitor/overdue")
    names = [s.find("h2").text.split(" (")[0] for s in province_page.find_all("section", class_="overdue-unit")]
    assert sorted(names) == sorted([world.b.name, world.c.name])
    # A village with its commune: village names repeat from commune to commune.
    remote = world.directory.remote_village
    rows = [[cell.text for cell in r.find_all("td")] for r in province_page.find_all("tr")]
    (i6,) = [cells for cells in rows if cells and cells[0] == world.items["I6"].code]
    assert i6[3] == f"{remote.name}, {remote.parent.name}"


def test_the_overdue_list_offers_and_reads_no_period(client: FlaskClient, world: World) -> None:
    """Proves: the overdue list (of now) shows no period choice nor dates, keeps its other filters;
    a period or a range in its URL, even one that cannot be right, changes nothing (200, the same
    rows); its download links carry no period, and its files ignore one and are stamped with
    today's date (found by the probe: the page offered a period filter that did not apply)."""
    assert log_in(client, "mttq-tinh").status_code == 302
    plain = _page(client, "/monitor/overdue")
    form = plain.find("form", class_="monitor-filters")
    assert form.find_all("fieldset", class_="period-choice") == []
    assert form.find_all("input", attrs={"name": "period"}) == [] and form.find_all("input", type="date") == []
    assert [s.attrs["name"] for s in form.find_all("select")] == ["unit", "locality", "topic", "kind"]

    def codes(page: Element) -> list[str]:
        return [r.find("td").text for r in page.find_all("tr") if r.find_all("td")]

    for args in ({"period": "last_month"}, {"period": "custom", "from": "2026-04-01", "to": "2026-03-01"},
                 {"from": "garbage"}, {"period": "this_year", "from": "2026-01-01", "to": "2026-01-02"}):
        assert codes(_page(client, "/monitor/overdue", **args)) == codes(plain) != []
    dated = _page(client, "/monitor/overdue", period="custom", **{"from": "2026-03-01", "to": "2026-03-31"},
                  unit=str(world.c.id))
    links = [a.attrs["href"] for a in dated.find_all("a") if "/monitor/export/overdue." in a.attrs["href"]]
    assert len(links) == 2
    assert all("unit=" in link and "period" not in link and "from=" not in link and "to=" not in link
               for link in links)
    response = client.get("/monitor/export/overdue.csv", query_string={"period": "custom", "from": "2026-04-01",
                                                                      "to": "2026-03-01"})
    assert response.status_code == 200
    assert re.search(r'filename="overdue-[A-Za-z0-9-]+-20260415\.csv"', response.headers["Content-Disposition"])
    body = response.get_data().decode("utf-8-sig")
    assert all(code in body for code in codes(plain))


def test_the_overdue_page_is_bounded_and_its_counts_stay_exact(client: FlaskClient, world: World,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: with room for one row only, the province monitor's page lists the longest overdue
    item, says that it shows only that many, and still counts 2 overdue in all and 1 for the
    unit whose row it left out."""
    from feedback.monitor import views

    monkeypatch.setattr(views, "OVERDUE_PAGE_ROWS", 1)
    assert log_in(client, "mttq-tinh").status_code == 302
    page = _page(client, "/monitor/overdue")
    sections = page.find_all("section", class_="overdue-unit")
    assert len(sections) == 1 and len(sections[0].find("tbody").find_all("tr")) == 1
    assert "2 ý kiến quá hạn" in page.text
    assert "Trang này hiện 1 ý kiến quá hạn lâu nhất" in page.text
    assert sections[0].find("h2").text.endswith("(1 ý kiến)")


# The overdue list's rows as the template wrote them before ``overdue_rows`` (monitor/overdue.html).
OVERDUE_LOOP = """{% for row in rows %}
      <tr>
        <td class="nowrap"><a href="{{ url_for('monitor.item', code=row.code) }}">{{ row.code }}</a></td>
        <td class="nowrap">{{ row.kind|kind_label }}</td>
        <td class="text-cell">{{ row.topic_name }}</td>
        <td class="text-cell">{{ row.locality_name }}</td>
        <td class="text-cell">{{ row.clock|clock_label }}</td>
        <td class="due-cell"><time datetime="{{ row.due_at.isoformat() }}">{{ row.due_at|local_datetime }}</time></td>
        <td class="late">{{ late_text(row.late) }}</td>
      </tr>
      {% endfor %}"""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_overdue_rows_are_the_templates_cell_for_cell(app: Flask, language: str) -> None:
    """Proves: ``overdue_rows`` (Python) writes the overdue list's rows exactly as the template's
    loop did, but for the whitespace between tags: every kind and clock translated, text with
    "&", quotes and "<" escaped, a code the URL must quote, the local due time, and how late in
    minutes (1 hour), hours and days, each value again further down the list."""
    from datetime import UTC, datetime, timedelta

    from flask_babel import force_locale

    from feedback.domain.deadlines import Clock
    from feedback.domain.status import Kind
    from feedback.monitor.overdue_rows import overdue_rows_writer
    from feedback.monitor.views import late_text
    from feedback.services.statistics import OverdueRow

    due = datetime(2026, 3, 31, 16, 59, tzinfo=UTC)
    lates = [timedelta(minutes=5), timedelta(hours=3, minutes=59), timedelta(days=1), timedelta(days=10, hours=23)]
    rows = [OverdueRow(feedback_id=i, code=code, unit_id=1, unit_code="U", unit_name="Ủy ban", kind=kind,
                       topic_id=2, topic_name=topic, locality_id=3, locality_name=place, clock=clock, due_at=due - late,
                       late=late)
            for i, (code, kind, clock, topic, place, late) in enumerate([
                ("PA-ABCD-2345", Kind.REPORT, Clock.RESOLUTION, "Môi trường", "Khu phố 1, Phường Hà Tu", lates[0]),
                ("T&'x <y>", Kind.DENUNCIATION, Clock.ACCEPTANCE, 'Rác "thải" & <nước>', "Thôn 'A'", lates[1]),
                ("KN-2026 /1", Kind.COMPLAINT, Clock.TRANSFER, "Đất đai", "Đặc khu Vân Đồn", lates[2]),
                ("PA-ABCD-2346", Kind.REPORT, Clock.RESOLUTION, "Môi trường", "Phường Hà Tu", lates[3]),
                ("PA-ABCD-2347", Kind.PETITION, "no-such-clock", "Môi trường", "Phường Hà Tu", lates[3]),
            ], start=1)]
    loop = app.jinja_env.from_string(OVERDUE_LOOP)

    def tight(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    with app.test_request_context("/monitor/overdue"), force_locale(language):
        expected = loop.render(rows=rows, late_text=late_text)
        written = overdue_rows_writer(late_text)(rows)
    assert tight(str(written)) == tight(expected)
    assert ("Quá hạn 3 giờ" if language == "vi" else "3 hours late") in expected  # the loop read what it shows


def _token(client: FlaskClient) -> str:
    from tests.web.auth_helpers import csrf_token

    return csrf_token(client.get("/submit").get_data(as_text=True))


# --- territory: every monitor route, by URL -------------------------------------------------------------


def _outside_urls(w: World) -> list[tuple[str, dict[str, str]]]:
    """URLs that name something outside Hà Tu (another commune's unit, place, item, key)."""
    d = w.directory
    van_don_unit = {"figure": "received", "by": "unit", "key": w.c.code, **MARCH_ARGS}
    return [
        ("/monitor/", {"unit": str(w.c.id), **MARCH_ARGS}),
        ("/monitor/", {"unit": str(d.front_province.id), **MARCH_ARGS}),
        ("/monitor/", {"locality": str(d.van_don.id), **MARCH_ARGS}),
        ("/monitor/", {"locality": str(d.remote_village.id), **MARCH_ARGS}),
        ("/monitor/", {"territory": str(d.province.id), **MARCH_ARGS}),
        ("/monitor/items", van_don_unit),
        ("/monitor/items", {"figure": "received", "by": "commune", "key": d.van_don.code, **MARCH_ARGS}),
        ("/monitor/items", {"figure": "received", "by": "village", "key": d.remote_village.code, **MARCH_ARGS}),
        ("/monitor/items", {"figure": "received", "locality": str(d.van_don.id), **MARCH_ARGS}),
        (f"/monitor/items/{w.items['I4'].code}", {}),
        (f"/monitor/items/{w.items['I6'].code}", {}),
        ("/monitor/overdue", {"unit": str(w.c.id)}),
        ("/monitor/overdue", {"locality": str(d.van_don.id)}),
        ("/monitor/export/figures.csv", {"unit": str(w.c.id), **MARCH_ARGS}),
        ("/monitor/export/ranking.xlsx", {"locality": str(d.van_don.id), **MARCH_ARGS}),
        ("/monitor/export/trend.csv", {"unit": str(w.c.id), **MARCH_ARGS}),
        ("/monitor/export/dashboard.xlsx", {"locality": str(d.remote_village.id), **MARCH_ARGS}),
        ("/monitor/export/overdue.csv", {"unit": str(w.c.id)}),
        ("/monitor/export/items.csv", van_don_unit),
        ("/monitor/export/items.xlsx", {"figure": "received", "by": "commune", "key": d.van_don.code, **MARCH_ARGS}),
    ]


@pytest.mark.parametrize("username", ["mttq-ha-tu", "bttnd-to-1"])
def test_nothing_outside_the_commune_is_shown_by_url(client: FlaskClient, world: World, username: str) -> None:
    """Proves: for the Hà Tu monitor and the Tổ 1 Inspection Board member, every monitor route
    (dashboard, drill-down, item page, overdue list, each export) answers 404 when the URL names
    another commune's unit, place, item or key, a Front committee or a territory not theirs;
    the province monitor gets 200 for the same URLs (so the 404 is the territory, not the URL)."""
    assert log_in(client, username).status_code == 302
    urls = _outside_urls(world)
    wrong = [(url, args, status) for url, args in urls
             if (status := client.get(url, query_string=args).status_code) != 404]
    assert wrong == []
    client.post("/logout", data={"csrf_token": _token(client)})
    assert log_in(client, "mttq-tinh").status_code == 302
    # A Front committee is never a unit with figures, for anyone: that URL stays 404.
    committee = {"unit": str(world.directory.front_province.id), **MARCH_ARGS}
    refused = [(url, args, status) for url, args in urls if args != committee
               and (status := client.get(url, query_string=args).status_code) != 200]
    assert refused == []
    assert client.get("/monitor/", query_string=committee).status_code == 404


def test_a_unit_of_another_commune_that_held_an_item_here_opens_its_items(client: FlaskClient, world: World) -> None:
    """Proves: when UBND Vân Đồn held an item located in Hà Tu (sent there in March, returned as not
    its competence) and Hà Tu's Front committee holds another (given it after too many returns),
    the Hà Tu monitor's table by unit has a row for each, and each row's "received" cell opens its
    item (200, in the page and in the items export), not a 404; the items lie in Hà Tu. A unit of
    another commune that never held a Hà Tu item stays 404 (the test above)."""
    from feedback.domain.assignments import EndReason
    from feedback.domain.status import Kind
    from tests.services.stats_rows import _assign, _item, local

    d = world.directory
    sent_away = _item(d, "I7", Kind.REPORT, d.village, d.waste, local(3, 9, 8))
    _assign(sent_away, world.c, local(3, 9), ended=local(3, 10), reason=EndReason.NOT_COMPETENT)
    _assign(sent_away, world.b, local(3, 10))
    disputed = _item(d, "I8", Kind.REPORT, d.village, d.waste, local(3, 11, 8))
    _assign(disputed, d.front_ha_tu, local(3, 11))
    statistics.rebuild(db.session)
    db.session.commit()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/", **MARCH_ARGS)
    for holder, item in ((world.c, sent_away), (d.front_ha_tu, disputed)):
        row = next(r for r in page.find("table", id="figures").find("tbody").find_all("tr")
                   if r.find("th").text == holder.name)
        link = row.find("td", class_="figure-received").find("a").attrs["href"]
        assert _codes(_page(client, link)) == [item.code]
    export = client.get("/monitor/export/items.csv",
                        query_string={"figure": "received", "by": "unit", "key": world.c.code, **MARCH_ARGS})
    assert export.status_code == 200 and sent_away.code in export.get_data().decode("utf-8-sig")
    assert world.items["I4"].code not in export.get_data().decode("utf-8-sig")  # Vân Đồn's own item


def test_a_commune_monitor_lists_only_its_commune(client: FlaskClient, world: World) -> None:
    """Proves: with no filter at all the Hà Tu monitor's drill-down of every item received in
    March, its overdue export and its unit choices hold nothing of Vân Đồn."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    codes = _codes(_page(client, "/monitor/items", figure="received", **MARCH_ARGS))
    assert world.items["I4"].code not in codes and world.items["I6"].code not in codes
    body = client.get("/monitor/export/overdue.csv").get_data().decode("utf-8-sig")
    assert world.items["I6"].code not in body and world.items["I3"].code in body
    options = [o.text for o in _page(client, "/monitor/").find("select", id="unit").find_all("option")]
    assert world.c.name not in options and world.b.name in options
    assert world.directory.front_ha_tu.name not in options


def test_a_monitor_without_territory_is_refused(client: FlaskClient, world: World) -> None:
    """Proves: a Front monitor whose membership has no territory sees nothing (403): the rule fails closed."""
    make_user("mttq-khong-dia-ban", Role.FRONT_MONITOR, unit=world.directory.front_ha_tu)
    db.session.commit()
    assert log_in(client, "mttq-khong-dia-ban").status_code == 302
    assert client.get("/monitor/").status_code == 403


# --- exports -------------------------------------------------------------------------------------------


def test_the_figures_csv_has_the_page_figures(client: FlaskClient, world: World) -> None:
    """Proves: the CSV of the table per unit has a header, one row per unit with the statistics'
    counts and rates (fractions, 4 decimals; empty when no denominator), then the totals."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    response = client.get("/monitor/export/figures.csv", query_string=MARCH_ARGS)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="figures-06652-20260301-')
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:5] == ["Mã", "Đơn vị", "Tiếp nhận", "Đã trả lời", "Trả lời đúng hạn"]
    expected = figures(db.session(), period=Period(*MARCH), group="unit",
                       scope=Scope(territory_id=world.directory.ha_tu.id), now=NOW)
    by_code = {row[0]: row for row in rows[1:-1]}
    assert set(by_code) == {row.key for row in expected}
    for row in expected:
        cells = by_code[row.key]
        assert cells[1] == row.label and cells[2:5] == [str(row.received), str(row.answered),
                                                        str(row.answered_on_time)]
        assert cells[5] == ("" if row.on_time_rate is None else f"{row.on_time_rate:.4f}")
        assert cells[6] == str(row.overdue_open)
    assert rows[-1][1] == "Tổng cộng"


def test_the_xlsx_export_has_numbers_rates_and_safe_text(client: FlaskClient, world: World) -> None:
    """Proves: the workbook of the whole dashboard has a sheet per table; counts are numbers, rates
    fractions formatted as percentages, a rate without denominator an empty cell; and the items
    export writes titles typed as formulas (=, +, -, @, tab) as text with a leading apostrophe."""
    from openpyxl import load_workbook

    world.items["I1"].title = '=HYPERLINK("http://example.test","bấm")'
    world.items["I2"].title = "+84 912 345 678"
    world.items["I3"].title = "@SUM(A1:A9)"
    db.session.commit()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    response = client.get("/monitor/export/dashboard.xlsx", query_string=MARCH_ARGS)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Số liệu", "Xếp hạng", "Theo tháng", "Quá hạn", "Kiến nghị giám sát"]
    sheet = book["Số liệu"]
    header = [cell.value for cell in sheet[1]]
    department = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == world.a.code)
    values = dict(zip(header, department, strict=True))
    assert values["Tiếp nhận"].value == 2 and values["Trả lời đúng hạn"].value == 3
    assert values["Tỷ lệ đúng hạn"].value == pytest.approx(0.75)
    assert values["Tỷ lệ đúng hạn"].number_format == "0.0%"
    council = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == world.b.code)
    assert dict(zip(header, council, strict=True))["Tỷ lệ đúng hạn"].value is None

    items = client.get("/monitor/export/items.xlsx", query_string={"figure": "received", **MARCH_ARGS})
    titles = {row[0].value: row[1] for row in load_workbook(io.BytesIO(items.get_data())).active.iter_rows(min_row=2)}
    assert titles[world.items["I1"].code].value == "'" + '=HYPERLINK("http://example.test","bấm")'
    assert titles[world.items["I2"].code].value == "'+84 912 345 678"
    assert titles[world.items["I3"].code].value == "'@SUM(A1:A9)"
    assert all(cell.data_type == "s" for cell in titles.values())
    text = client.get("/monitor/export/items.csv", query_string={"figure": "received", **MARCH_ARGS}
                      ).get_data().decode("utf-8-sig")
    by_code = {row[0]: row[1] for row in csv.reader(io.StringIO(text))}
    assert by_code[world.items["I1"].code].startswith("'=HYPERLINK(")
    assert "Nguyễn Văn A" not in text


def test_an_unknown_export_is_not_found(client: FlaskClient, world: World) -> None:
    assert log_in(client, "mttq-ha-tu").status_code == 302
    for url in ("/monitor/export/secrets.csv", "/monitor/export/figures.pdf", "/monitor/export/dashboard.csv"):
        assert client.get(url).status_code == 404, url


def test_stray_query_values_are_ignored_and_wrong_ones_refused(client: FlaskClient, world: World) -> None:
    """Proves: unknown query keys (even ones named like URL parts) change nothing, and values that
    cannot be right (letters for an id, an unknown kind, grouping or period) answer 400, never 500."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    assert client.get("/monitor/", query_string={"name": "x", "fmt": "y", "code": "z", **MARCH_ARGS}).status_code == 200
    for args in ({"unit": "abc"}, {"locality": "99999999999999"}, {"kind": "rumour"}, {"group": "galaxy"},
                 {"period": "forever"}, {"topic": "-1"}):
        assert client.get("/monitor/", query_string=args).status_code == 400, args
    assert client.get("/monitor/overdue", query_string={"unit": "1.5"}).status_code == 400


def test_the_dashboard_reads_in_english(client: FlaskClient, world: World) -> None:
    """Proves: on ?lang=en the dashboard's headings, column headings and period words are English."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, "/monitor/", lang="en", **MARCH_ARGS)
    assert page.find("h1").text == f"Supervision figures: {world.directory.ha_tu.name}"
    headings = [th.text for th in page.find("table", id="figures").find("thead").find_all("th")]
    assert headings[:3] == ["Unit", "Received", "Answered"] and "Satisfaction rate" in headings
    assert page.find("h2", id="ranking-title").text == "Units ranked by satisfaction"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_interval_label_writes_percent_as_the_figures_do(client: FlaskClient, world: World, language: str) -> None:
    """Proves: "95%" in the labels of the 95% interval is written as the figures print a percentage
    in the visitor's language (Babel's percent format: no space before the sign, in vi as in en),
    on the page (headings, hints, chart, totals) and in the exports' column headings."""
    from babel.numbers import format_percent

    assert log_in(client, "mttq-ha-tu").status_code == 302
    html = client.get("/monitor/", query_string={"lang": language, **MARCH_ARGS}).get_data(as_text=True)
    ninety_five = format_percent(0.95, locale=language)
    assert ninety_five == "95%"
    assert html.count(ninety_five) >= 5 and not re.search(r"\d\s+%", html)
    assert re.search(r"\d[.,]\d%", html)  # a rate figure: the same sign, straight after the digits
    text = client.get("/monitor/export/figures.csv", query_string={"lang": language, **MARCH_ARGS}
                      ).get_data().decode("utf-8-sig")
    headings = next(csv.reader(io.StringIO(text)))
    assert sum(ninety_five in heading for heading in headings) == 2 and not any("95 %" in h for h in headings)


def test_files_of_the_item_but_not_of_an_unpublished_draft(client: FlaskClient, world: World) -> None:
    """Proves: the item page links the resident's file, which downloads as an attachment; a file
    of the unit's draft answer (not published) is neither listed nor downloadable (404)."""
    from flask import current_app

    from feedback.domain.handling import DraftStatus
    from feedback.models import Answer, Attachment

    item = world.items["I3"]
    draft = Answer(feedback_id=item.id, cycle=1, status=DraftStatus.DRAFT, text="Dự thảo.", author_id=world.author.id,
                   unit_id=world.b.id, unit_code=world.b.code, unit_name=world.b.name)
    db.session.add(draft)
    db.session.flush()
    files = []
    for number, answer_id in ((1, None), (2, draft.id)):
        name = f"{item.id:030x}{number:02x}"
        (current_app.config["UPLOAD_DIR"] / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
        files.append(Attachment(feedback_id=item.id, storage_name=name, original_name=f"tệp {number}.pdf",
                                content_type="application/pdf", size=15, sha256="0" * 64, answer_id=answer_id))
    db.session.add_all(files)
    db.session.commit()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    page = _page(client, f"/monitor/items/{item.code}")
    links = page.find("section", class_="attachments").find_all("a")
    assert [a.text for a in links] == ["tệp 1.pdf"]
    response = client.get(links[0].attrs["href"])
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/monitor/items/{item.code}/attachments/{files[1].id}").status_code == 404


def test_the_residents_file_and_the_answers_file_are_listed_apart(client: FlaskClient, world: World) -> None:
    """Proves: on the monitor's item page the file the resident sent and the file of the unit's
    published answer are under two headings, each in its own list (before, one list held both)."""
    from flask import current_app

    from feedback.models import Answer, Attachment

    item = world.items["I1"]
    answer = db.session.scalar(sa.select(Answer).where(Answer.feedback_id == item.id))
    for number, answer_id in ((1, None), (2, answer.id)):
        name = f"{item.id:030x}{number:02x}"
        (current_app.config["UPLOAD_DIR"] / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
        db.session.add(Attachment(feedback_id=item.id, storage_name=name, original_name=f"tệp {number}.pdf",
                                  content_type="application/pdf", size=15, sha256="0" * 64, answer_id=answer_id))
    db.session.commit()
    assert log_in(client, "mttq-ha-tu").status_code == 302
    section = _page(client, f"/monitor/items/{item.code}").find("section", class_="attachments")
    assert [h.text for h in section.find_all("h3")] == ["Người gửi", "Tệp kèm theo câu trả lời"]
    assert [a.text for a in section.find("ul", class_="resident-files").find_all("a")] == ["tệp 1.pdf"]
    assert [a.text for a in section.find("ul", class_="answer-files").find_all("a")] == ["tệp 2.pdf"]


def test_every_page_of_the_front_has_the_same_navigation(client: FlaskClient, world: World) -> None:
    """Proves: the dashboard, the overdue list, hot spots, recommendations and briefing reports
    share one navigation naming all five, the current page marked (the probe found hot spots and
    reports without the recommendations link, and the recommendations without hot spots)."""
    assert log_in(client, "mttq-ha-tu").status_code == 302
    pages = ("/monitor/", "/monitor/overdue", "/monitor/hotspots", "/monitor/recommendations/", "/monitor/reports")
    navigations = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        nav = parse(response.get_data(as_text=True)).find("nav", class_="monitor-nav")
        links = [a.attrs["href"] for a in nav.find_all("a")]
        navigations.append(links)
        assert [a.attrs["href"] for a in nav.find_all("a", **{"aria-current": "page"})] == [url], url
    assert all(links == list(pages) for links in navigations), navigations


@pytest.mark.parametrize("query", [
    "period=this_year&group=village&locality=7",
    "period=custom&from=01/03/2026&to=31/03/2026&group=unit&unit=3&topic=12&kind=complaint&territory=1",
    "group=topic&name=stray&from=2026-03-01",
    "",
])
def test_a_figures_link_is_the_url_for_of_its_question(app: Flask, query: str) -> None:
    """Proves: the links of a table's figures, built with the question's part encoded once per page
    (``drill_url``), are exactly ``url_for("monitor.items", **query_args(figure=…, by=…, key=…))``,
    for keys with spaces, slashes, "&" and Vietnamese letters, and for the totals (no by, no key)."""
    from flask import url_for

    from feedback.monitor import views

    with app.test_request_context(f"/monitor/?{query}"):
        drill_url = views._drill_url()
        for figure, by, key in (("received", "unit", "UBND-06652"), ("answered_on_time", "month", "2026-03"),
                                ("satisfied", "village", "Khu phố 1 & 2/ă?#"), ("overdue_open", None, None),
                                ("transfers", "kind", "complaint")):
            assert drill_url(figure, by, key) == url_for("monitor.items",
                                                        **views._query_args(figure=figure, by=by, key=key))


def test_a_figures_link_from_a_drill_down_keeps_the_question(app: Flask) -> None:
    """Proves: on a page that already names a figure, the links name the new figure, group and key
    and the same question (the order of the query's keys aside)."""
    from urllib.parse import parse_qsl, urlsplit

    from flask import url_for

    from feedback.monitor import views

    with app.test_request_context("/monitor/items?figure=received&by=unit&key=A&period=this_month&group=commune"):
        built = views._drill_url()("answered", "commune", "06652")
        expected = url_for("monitor.items", **views._query_args(figure="answered", by="commune", key="06652"))
    assert urlsplit(built).path == urlsplit(expected).path == "/monitor/items"
    assert sorted(parse_qsl(urlsplit(built).query)) == sorted(parse_qsl(urlsplit(expected).query))


# The figures table's cell as the Jinja macro wrote it before ``feedback.monitor.cells`` (the oracle).
MACRO_CELL = """{% from "macros/figures.html" import figure %}{% macro figure_cell(column, row, by, key) -%}
{% set value = column.cell(row) %}
<td class="figure figure-{{ column.key }}">
{%- set shown = figure(value) -%}
{%- if value is none -%}<span title="{{ _('Chưa có số liệu để tính') }}">—</span>
{%- elif column.drill and (value.value if column.is_rate else value) != 0 -%}<a href="{{ drill_url(column.drill, by, key) }}">{{ shown }}</a>
{%- else -%}{{ shown }}{%- endif -%}
</td>
{%- endmacro %}{% for column in columns %}{{ figure_cell(column, row, by, key) }}{% endfor %}"""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_figures_cells_are_the_macros_cell_for_cell(app: Flask, language: str) -> None:
    """Proves: ``figure_cell`` (Python) writes every column's cell exactly as the macro did: counts,
    zeros without a link, rates with one decimal, "—" with its translated title, a median, and
    links to the items behind (keys with "&" and quotes escaped), for a group's row and the totals;
    ``figure_row`` writes a row's cells as ``figure_cell`` writes them one by one."""
    from flask_babel import force_locale

    from feedback.monitor.cells import figure_cell_writer, figure_row_writer
    from feedback.services.monitoring import FIGURE_COLUMNS

    rows = [Figures.of("UBND-1", "Ủy ban", received=7, answered=3, answered_on_time=2, overdue_open=1,
                       median_days_to_answer=9.25, transfers=0, reopened=1, ratings=12, satisfied=9),
            Figures.of("UBND-2", "Ủy ban 2", received=1234567, answered=1234000, answered_on_time=1001234,
                       overdue_open=4321, median_days_to_answer=1234.56, transfers=10000, reopened=2000,
                       ratings=654321, satisfied=543210),
            Figures.of("", "", received=0), Figures.of("T&\"<x>'", "Thôn", received=5, answered=5, answered_on_time=5,
                                                        ratings=1, satisfied=0, median_days_to_answer=0.04)]

    def drill_url(figure: str, by: str | None, key: str | None) -> str:
        return f"/monitor/items?figure={figure}&by={by}&key={key}"

    macro = app.jinja_env.from_string(MACRO_CELL)
    with app.test_request_context("/monitor/"), force_locale(language):
        cell = figure_cell_writer(drill_url)
        figure_row = figure_row_writer(drill_url)
        for row in rows:
            for by, key in (("village", row.key), (None, None)):
                expected = macro.render(columns=FIGURE_COLUMNS, row=row, by=by, key=key, drill_url=drill_url)
                written = "".join(cell(column, row, by, key) for column in FIGURE_COLUMNS)
                assert written == expected.replace("\n", ""), (row.key, by)
                assert figure_row(FIGURE_COLUMNS, row, by, key) == written, (row.key, by)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_figures_cells_round_halves_as_the_macro_did(app: Flask, language: str) -> None:
    """Proves: a rate whose percentage ends in a half is rounded as Babel rounds it (the written
    decimal, half to even), as the macro, the ranking and the public pages write it: 3 of 2,000
    is "0,2%" (Python's own float formatting wrote "0,1%": the figures table and the ranking
    disagreed on the same rate)."""
    from flask_babel import force_locale

    from feedback.monitor.cells import figure_cell_writer
    from feedback.services.monitoring import FIGURE_COLUMNS

    rows = [Figures.of("A", "A", received=2000, answered=2000, answered_on_time=3, ratings=2000, satisfied=3,
                       median_days_to_answer=2.45),
            Figures.of("B", "B", received=800, answered=800, answered_on_time=1, ratings=40, satisfied=7,
                       median_days_to_answer=0.35, reopened=1),
            Figures.of("C", "C", received=10, answered=1000, answered_on_time=5, ratings=8, satisfied=1,
                       median_days_to_answer=1.05)]

    def drill_url(figure: str, by: str | None, key: str | None) -> str:
        return f"/monitor/items?figure={figure}&by={by}&key={key}"

    macro = app.jinja_env.from_string(MACRO_CELL)
    with app.test_request_context("/monitor/"), force_locale(language):
        cell = figure_cell_writer(drill_url)
        for row in rows:
            expected = macro.render(columns=FIGURE_COLUMNS, row=row, by="unit", key=row.key, drill_url=drill_url)
            written = "".join(cell(column, row, "unit", row.key) for column in FIGURE_COLUMNS)
            assert written == expected.replace("\n", ""), row.key
        halves = parse("".join(cell(column, rows[0], "unit", "A") for column in FIGURE_COLUMNS))
    point = "," if language == "vi" else "."
    for key in ("on_time_rate", "satisfaction_rate"):
        assert halves.find("td", class_=f"figure-{key}").text == f"0{point}2%"


def _next_link(page: Element) -> str | None:
    links = [link for nav in page.find_all("nav", class_="pagination") for link in nav.find_all("a", rel="next")]
    return links[0].attrs["href"] if links else None


@pytest.mark.parametrize("group", ["unit", "village"])
def test_the_figures_table_is_paged_and_keeps_the_question(client: FlaskClient, world: World, group: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the figures table shows TABLE_ROWS_PER_PAGE rows a page in the order of the whole
    table (by village a province has 1,452: 3 MB of HTML on one page); page 2 holds the next rows;
    the "next" link keeps the period, the grouping and the filters; the totals row counts every
    row on every page; the export links carry no page and the export holds every row."""
    from urllib.parse import parse_qs, urlsplit

    from feedback.monitor import views

    monkeypatch.setattr(views, "TABLE_ROWS_PER_PAGE", 1)
    assert log_in(client, "mttq-tinh").status_code == 302
    args = {"group": group, "kind": "", "topic": "", **MARCH_ARGS}
    scope = Scope(territory_id=world.directory.province.id)
    expected = [_shown(row) for row in figures(db.session(), period=Period(*MARCH), group=group,  # type: ignore[arg-type]
                                               scope=scope, now=NOW)]
    assert len(expected) >= 2
    total = _shown(totals(db.session(), period=Period(*MARCH), scope=scope, now=NOW))
    seen = []
    page = _page(client, "/monitor/", **args)
    for number in range(1, len(expected) + 1):
        seen += list(_table(page, "figures").values())
        footer = page.find("table", id="figures").find("tfoot").find("tr")
        assert [cell.text for cell in footer.find_all("td")] == total
        assert page.find("nav", class_="pagination").find("span").text == f"Trang {number} / {len(expected)}"
        assert f"Dòng {number}–{number} trong {len(expected)}." in page.find("p", class_="table-rows").text
        for link in page.find_all("a"):
            if "/monitor/export/" in link.attrs.get("href", ""):
                assert "page" not in parse_qs(urlsplit(link.attrs["href"]).query)
        following = _next_link(page)
        if number == len(expected):
            assert following is None
            break
        assert following is not None
        query = parse_qs(urlsplit(following).query)
        assert query == {"group": [group], "period": ["custom"], "from": ["2026-03-01"], "to": ["2026-03-31"],
                         "page": [str(number + 1)]}
        response = client.get(following)
        assert response.status_code == 200
        page = parse(response.get_data(as_text=True))
    assert seen == expected
    response = client.get("/monitor/export/figures.csv", query_string={"group": group, **MARCH_ARGS})
    assert response.status_code == 200
    exported = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(exported) == 1 + len(expected) + 1  # the header, every row, the totals


def test_a_page_of_the_village_table_computes_the_medians_of_its_rows_only(client: FlaskClient, world: World,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: a page of the table by village computes (and keeps) the median of the villages it
    shows only, not of every village of the territory (1,452 in a province, 100 a page); the
    export, which holds every row, computes the others."""
    from feedback.models import StatMedian
    from feedback.monitor import views

    monkeypatch.setattr(views, "TABLE_ROWS_PER_PAGE", 1)
    assert log_in(client, "mttq-tinh").status_code == 302
    d = world.directory
    ids = {place.code: str(place.id) for place in (d.village, d.remote_village)}
    # Recounted from the raw rows: ``figures`` would keep every village's median.
    rows = recount.recount_figures(db.session(), period=Period(*MARCH), group="village",
                                   scope=Scope(territory_id=d.province.id), now=NOW)
    answered = [row for row in rows if row.answered]
    assert len(answered) >= 2 and set(ids) >= {row.key for row in rows}

    def kept() -> set[str]:
        return set(db.session.scalars(sa.select(StatMedian.group_key).where(StatMedian.grouping == "village")))

    assert kept() == set()
    for number, row in enumerate(rows, 1):
        page = _page(client, "/monitor/", group="village", page=str(number), **MARCH_ARGS)
        assert list(_table(page, "figures")) == [row.label]
        if row is answered[0]:
            assert kept() == {ids[row.key]}
            break
    assert client.get("/monitor/export/figures.csv", query_string={"group": "village", **MARCH_ARGS}).status_code == 200
    assert kept() == {ids[row.key] for row in answered}


def test_a_filtered_table_pages_within_its_filter(client: FlaskClient, world: World,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: with a filter (one commune), the pages hold that filter's rows and the links keep it."""
    from urllib.parse import parse_qs, urlsplit

    from feedback.monitor import views

    monkeypatch.setattr(views, "TABLE_ROWS_PER_PAGE", 1)
    assert log_in(client, "mttq-tinh").status_code == 302
    ha_tu = world.directory.ha_tu
    expected = [_shown(row) for row in figures(db.session(), period=Period(*MARCH), group="unit",
                                               scope=Scope(territory_id=world.directory.province.id,
                                                           locality_id=ha_tu.id), now=NOW)]
    assert len(expected) >= 2
    page = _page(client, "/monitor/", locality=str(ha_tu.id), page="2", **MARCH_ARGS)
    assert list(_table(page, "figures").values()) == [expected[1]]
    assert "selected" in page.find("select", id="locality").find("option", value=str(ha_tu.id)).attrs
    previous = page.find("nav", class_="pagination").find("a", rel="prev").attrs["href"]
    assert parse_qs(urlsplit(previous).query)["locality"] == [str(ha_tu.id)]


def test_a_page_of_the_table_past_its_end_or_not_a_number(client: FlaskClient, world: World,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: a page past the table's end redirects to its last page with the question kept; a
    page that is not a number shows the first page; page 0 answers 404 (as every paged list); a
    table of one page shows no page navigation."""
    from urllib.parse import parse_qs, urlsplit

    from feedback.monitor import views

    assert log_in(client, "mttq-tinh").status_code == 302
    one_page = _page(client, "/monitor/", group="village", **MARCH_ARGS)
    assert not one_page.find_all("nav", class_="pagination") and not one_page.find_all("p", class_="table-rows")
    monkeypatch.setattr(views, "TABLE_ROWS_PER_PAGE", 1)
    rows = len(figures(db.session(), period=Period(*MARCH), group="village",
                       scope=Scope(territory_id=world.directory.province.id), now=NOW))
    response = client.get("/monitor/", query_string={"group": "village", "page": "999", **MARCH_ARGS})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"group": ["village"], "page": [str(rows)], **{k: [v] for k, v in MARCH_ARGS.items()}}
    first = _page(client, "/monitor/", group="village", page="abc", **MARCH_ARGS)
    assert first.find("nav", class_="pagination").find("span").text == f"Trang 1 / {rows}"
    assert client.get("/monitor/", query_string={"group": "village", "page": "0", **MARCH_ARGS}).status_code == 404


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_dashboard_and_the_scoreboard_say_what_each_figure_counts(client: FlaskClient, world: World,
                                                                     language: str) -> None:
    """Proves: under the tables, a folded list (a <details>, no JavaScript needed) defines each
    figure of the table in the visitor's language, the same on /monitor/ and /units; the rating
    response rate says it may pass 100 % (ratings given in the period of answers of earlier
    periods), which its figure then does."""
    from feedback.services.monitoring import FIGURE_COLUMNS, FIGURE_DEFINITIONS

    assert log_in(client, "mttq-ha-tu").status_code == 302
    defined = []
    for url in ("/monitor/", "/units"):
        page = _page(client, url, lang=language, **({"from": "2026-03-01", "to": "2026-03-31"} if url == "/units"
                                                    else MARCH_ARGS))
        (details,) = page.find_all("details", class_="definitions")
        terms = {dd.attrs["data-defines"]: dd.text.strip() for dd in details.find_all("dd")}
        defined.append(terms)
        assert set(terms) == set(FIGURE_DEFINITIONS) and set(FIGURE_DEFINITIONS) <= {c.key for c in FIGURE_COLUMNS}
        headings = [dt.text for dt in details.find_all("dt")]
        assert len(headings) == len(FIGURE_DEFINITIONS)
        if language == "vi":
            assert headings == [str(c.heading) for c in FIGURE_COLUMNS if c.key in FIGURE_DEFINITIONS]
    assert defined[0] == defined[1]
    words = {"vi": ("vượt 100%", "Cách tính các số liệu"), "en": ("exceed 100%", "How the figures are counted")}
    assert words[language][0] in defined[0]["rating_response_rate"]
    assert page.find("details", class_="definitions").find("summary").text == words[language][1]
