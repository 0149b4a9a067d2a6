"""The Front dashboard (/monitor/, issue #9 item 2): figures, ranking, charts, drill-down, item
pages, the overdue list and the exports, for a Front monitor of Hà Tu, a province monitor and an
Inspection Board member, over the hand-counted world of tests/services/stats_rows.py (NOW is
15/4/2026; March is the period unless said)."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period
from feedback.extensions import db
from feedback.models import Event, Role
from feedback.services.statistics import Figures, Scope, figures, totals
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
    db.session.commit()
    return w


def _page(client: FlaskClient, url: str, **args: str) -> Element:
    response = client.get(url, query_string=args)
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
        out.append("—" if value is None else f"{value.value * 100:.1f} %" if isinstance(value, Rate) else str(value))
    return out


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

