"""Public figures (issue #9 item 6): /open-data/units.csv and .json, the /units scoreboard and the
public answered items, against the hand-counted world of tests/services/stats_rows.py (March
2026: every value below is counted on paper there)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date
from feedback.domain.statistics import Period, wilson
from feedback.extensions import db
from feedback.services.scoreboard import OPEN_DATA_COLUMNS, OpenDataTable, to_csv
from feedback.web.args import MAX_PAGE
from tests.services.report_rows import counted_world
from tests.services.stats_rows import World, _answer, local
from tests.web.html_text import elements

MARCH = "from=2026-03-01&to=2026-03-31"
COLUMNS = ["unit_code", "unit_name", "received", "answered", "answered_on_time", "on_time_rate", "overdue_open",
           "median_days_to_answer", "ratings", "satisfied", "satisfaction_rate", "satisfaction_ci_low",
           "satisfaction_ci_high", "reopened"]
A_LOW, A_HIGH = wilson(1, 2) or (0.0, 0.0)
C_LOW, C_HIGH = wilson(0, 1) or (0.0, 0.0)
# The units of March, as counted on paper (rates as fractions; None: no denominator): the three
# that acted, and the province's committee, active with nothing in March (its counts 0, its rates
# null); the Front's committees, which watch and have nothing, are not listed.
QUIET_PROVINCE_COMMITTEE = {
    "unit_code": "UBND-22", "unit_name": "UBND Thành phố Quảng Ninh", "received": 0, "answered": 0,
    "answered_on_time": 0, "on_time_rate": None, "overdue_open": 0, "median_days_to_answer": None, "ratings": 0,
    "satisfied": 0, "satisfaction_rate": None, "satisfaction_ci_low": None, "satisfaction_ci_high": None,
    "reopened": 0}
EXPECTED = [
    {"unit_code": "SNNMT-22", "unit_name": "Sở Nông nghiệp và Môi trường", "received": 2, "answered": 4,
     "answered_on_time": 3, "on_time_rate": 0.75, "overdue_open": 0, "median_days_to_answer": 9.0, "ratings": 2,
     "satisfied": 1, "satisfaction_rate": 0.5, "satisfaction_ci_low": A_LOW, "satisfaction_ci_high": A_HIGH,
     "reopened": 1},
    {"unit_code": "UBND-06652", "unit_name": "UBND Phường Hà Tu", "received": 2, "answered": 0,
     "answered_on_time": 0, "on_time_rate": None, "overdue_open": 1, "median_days_to_answer": None, "ratings": 0,
     "satisfied": 0, "satisfaction_rate": None, "satisfaction_ci_low": None, "satisfaction_ci_high": None,
     "reopened": 0},
    {"unit_code": "UBND-06994", "unit_name": "UBND Đặc khu Vân Đồn", "received": 2, "answered": 1,
     "answered_on_time": 1, "on_time_rate": 1.0, "overdue_open": 1, "median_days_to_answer": 10.0, "ratings": 1,
     "satisfied": 0, "satisfaction_rate": 0.0, "satisfaction_ci_low": C_LOW, "satisfaction_ci_high": C_HIGH,
     "reopened": 0},
    QUIET_PROVINCE_COMMITTEE,
]


@pytest.fixture
def world(client: FlaskClient, db_session: Session) -> World:
    return counted_world()


def test_the_json_has_exactly_the_columns_and_the_counted_values(client: FlaskClient, world: World) -> None:
    """Proves: one object per unit with exactly the published columns; rates are fractions; a
    rate without a denominator is null, never 0 (a 0 % satisfaction of one rating stays 0.0)."""
    response = client.get(f"/open-data/units.json?{MARCH}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["columns"] == COLUMNS
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert [list(unit) for unit in body["units"]] == [COLUMNS] * 4
    assert body["units"] == EXPECTED


def test_the_csv_has_the_header_and_the_counted_values(client: FlaskClient, world: World) -> None:
    """Proves: the header line is the columns in order; numbers as written; a rate without a
    denominator is an empty cell, never 0."""
    response = client.get(f"/open-data/units.csv?{MARCH}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == COLUMNS
    assert len(rows) == 5
    by_code = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    quiet = by_code["UBND-22"]
    assert [quiet[c] for c in ("received", "answered", "overdue_open", "ratings", "reopened")] == ["0"] * 5
    assert [quiet[c] for c in ("on_time_rate", "median_days_to_answer", "satisfaction_rate", "satisfaction_ci_low",
                               "satisfaction_ci_high")] == [""] * 5
    a, b, c = by_code["SNNMT-22"], by_code["UBND-06652"], by_code["UBND-06994"]
    assert (a["received"], a["answered"], a["answered_on_time"], a["overdue_open"], a["ratings"], a["satisfied"],
            a["reopened"]) == ("2", "4", "3", "0", "2", "1", "1")
    assert (float(a["on_time_rate"]), float(a["median_days_to_answer"]), float(a["satisfaction_rate"])) == (
        0.75, 9.0, 0.5)
    assert (float(a["satisfaction_ci_low"]), float(a["satisfaction_ci_high"])) == (A_LOW, A_HIGH)
    assert (b["on_time_rate"], b["median_days_to_answer"], b["satisfaction_rate"], b["satisfaction_ci_low"],
            b["satisfaction_ci_high"]) == ("", "", "", "", "")
    assert (b["answered"], b["overdue_open"]) == ("0", "1")
    assert (c["on_time_rate"], c["satisfaction_rate"]) == ("1.0", "0.0")
    assert "Nguyễn Văn A" not in response.get_data(as_text=True)


def test_text_cells_of_the_csv_are_neutralised() -> None:
    """Proves: a unit name or code starting with = + - @ is written with a leading apostrophe."""
    row = {column: None for column in OPEN_DATA_COLUMNS}
    row.update(unit_code="+84-SO", unit_name='=HYPERLINK("http://x","y")', received=1, answered=0)
    text = to_csv(OpenDataTable(Period(local_date(datetime.now(UTC)), local_date(datetime.now(UTC))), (row,)))
    (cells,) = list(csv.reader(io.StringIO(text)))[1:]
    assert cells[:4] == ["'+84-SO", '\'=HYPERLINK("http://x","y")', "1", "0"]


def test_without_dates_the_period_is_the_last_12_months(client: FlaskClient, world: World) -> None:
    body = client.get("/open-data/units.json").get_json()
    expected = Period.named("last_12_months", local_date(datetime.now(UTC)))
    assert body["period"] == {"from": expected.start.isoformat(), "to": expected.end.isoformat()}


@pytest.mark.parametrize("query", [
    "from=2026-02-30&to=2026-03-31",  # no such day
    "from=31-03-2026&to=2026-04-30",  # not a date of either accepted form
    "from=2026-04-01&to=2026-03-01",  # from after to
    "from=1900-01-01&to=2026-03-01",  # absurdly early
    "from=2001-01-01&to=2026-03-01",  # longer than 20 years
    "from=2999-01-01&to=2999-02-01",  # in the future
    "from=2026-03-01",  # one end only
])
def test_a_bad_period_answers_400_with_a_message(client: FlaskClient, db_session: Session, query: str) -> None:
    as_json = client.get(f"/open-data/units.json?{query}")
    assert as_json.status_code == 400
    assert as_json.get_json()["error"]["message"]
    as_csv = client.get(f"/open-data/units.csv?{query}")
    assert as_csv.status_code == 400
    assert as_csv.headers["Content-Type"].startswith("text/plain")
    assert len(as_csv.get_data(as_text=True).strip()) > 10


def test_the_json_errors_are_readable_utf8(client: FlaskClient, db_session: Session) -> None:
    """Proves: the open data's JSON error answers (a bad period, a method the path does not take)
    carry their Vietnamese letters as UTF-8, not ``\\u`` escapes, and still parse; a JSON error
    elsewhere keeps Flask's escapes (the setting is the open data's only)."""
    bad = client.get("/open-data/units.json?from=2026-04-01&to=2026-03-01")
    refused = client.post("/open-data/units.json")
    for response, code in ((bad, 400), (refused, 405)):
        assert response.status_code == code
        assert response.mimetype == "application/json"
        body = response.get_data()
        assert b"\\u" not in body
        error = response.get_json()["error"]
        assert error["code"] == code and error["message"]
        assert error["title"].encode() in body and any(ord(letter) > 127 for letter in error["title"])
    assert "Yêu cầu không hợp lệ".encode() in bad.get_data()
    elsewhere = client.get("/no-such-page.json")
    assert elsewhere.status_code == 404 and b"\\u" in elsewhere.get_data()


def test_the_scoreboard_shows_the_same_figures(client: FlaskClient, world: World) -> None:
    """Proves: /units for March shows each unit's figures as the open data does (a rate as a
    percentage, no denominator as "—"), and no unit is ranked with fewer than 10 ratings."""
    page = client.get(f"/units?{MARCH}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cells = {(attrs["data-figure"], text) for attrs, text in elements(html, "td", **{"class": "number"})}
    assert ("on_time_rate", "75,0%") in cells
    assert ("median_days_to_answer", "9,0") in cells
    assert ("satisfaction_rate", "—") in cells
    rows = [text for _attrs, text in elements(html, "tr") if text.startswith("Sở Nông nghiệp")]
    assert rows and "75,0%" in rows[0] and "50,0%" in rows[0]
    assert [text for _a, text in elements(html, "ol", **{"class": "ranking"})] == []
    assert len(elements(html, "li", **{"class": "too-few"})) == 0
    assert len([1 for attrs, _t in elements(html, "li") if "data-unit" in attrs and not attrs.get("class")]) == 3
    assert "Nguyễn Văn A" not in html and "Ý kiến I1" not in html


def test_the_scoreboard_reads_what_its_units_and_totals_share_once(client: FlaskClient, world: World) -> None:
    """Proves (issue #9 item 7): /units asks its units and its totals with one ``SharedReads``:
    the stored medians, the rollup's sums, the overdue counts and the window of past-due clocks
    are each read in one statement (each was read twice, 16 statements in all at 1 M items), and
    the totals are those of every unit summed."""
    from feedback.services.scoreboard import scoreboard
    from tests.statements import recorded_statements

    now, march = datetime(2026, 4, 15, 3, 0, tzinfo=UTC), Period(date(2026, 3, 1), date(2026, 3, 31))
    scoreboard(march, now=now)  # the first view computes the medians and keeps them
    with recorded_statements() as statements:
        board = scoreboard(march, now=now)
    listed = "\n".join(statements)
    for read in ("FROM stat_median", "FROM stat_monthly_unit", "deadline.breached_at IS NULL"):
        assert sum(read in s for s in statements) == 1, (read, listed)
    rows = [*board.units, *board.without_figures]
    assert board.total.received == sum(r.received for r in rows) > 0
    assert board.total.answered == sum(r.answered for r in rows)


def test_every_active_unit_is_listed_and_an_inactive_one_only_with_figures(client: FlaskClient,
                                                                             world: World) -> None:
    """Proves (found by the probe: only the units that acted were listed): the open data lists
    every active unit that answers residents, with nothing in the period as counts 0 and rates
    null (JSON) or empty (CSV), never 0; an inactive unit only when it has figures in the period;
    the Front's committees only when they have some. The scoreboard lists the same units: those
    with figures in its table, the others apart, by name ("Đ" among the D's)."""
    from feedback.models import Unit, UnitKind
    from tests.factories import add_unit

    d = world.directory
    add_unit("Z-QUIET", "Đội kiểm tra quy tắc đô thị", UnitKind.OTHER, d.ha_tu)
    add_unit("Z-CLOSED", "Ban đã giải thể", UnitKind.OTHER, d.ha_tu).active = False
    acted = db.session.get(Unit, d.ubnd_van_don.id)
    assert acted is not None
    acted.active = False  # acted in March, closed since
    db.session.commit()

    body = client.get(f"/open-data/units.json?{MARCH}").get_json()
    codes = [unit["unit_code"] for unit in body["units"]]
    assert codes == ["SNNMT-22", "UBND-06652", "UBND-06994", "UBND-22", "Z-QUIET"]
    quiet = body["units"][-1]
    assert quiet == {**QUIET_PROVINCE_COMMITTEE, "unit_code": "Z-QUIET", "unit_name": "Đội kiểm tra quy tắc đô thị"}
    assert body["units"][2] == EXPECTED[2]  # the closed unit that acted keeps its row and figures
    rows = list(csv.reader(io.StringIO(client.get(f"/open-data/units.csv?{MARCH}").get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == codes

    html = client.get(f"/units?{MARCH}").get_data(as_text=True)
    table = [attrs["data-unit"] for attrs, _t in elements(html, "tr") if "data-unit" in attrs]
    apart = [text for attrs, text in elements(html, "li", **{"class": "quiet-unit"})]
    assert table == ["SNNMT-22", "UBND-06994", "UBND-06652"]  # by name: "UBND Đặc khu" before "UBND Phường"
    assert apart == ["Đội kiểm tra quy tắc đô thị", "UBND Thành phố Quảng Ninh"]
    assert sorted(table + [a["data-unit"] for a, _t in elements(html, "li", **{"class": "quiet-unit"})]) == codes
    (heading,) = [text for _a, text in elements(html, "h3", id="quiet-units")]
    assert heading == "2 đơn vị chưa có số liệu trong thời gian này"
    assert "Ban đã giải thể" not in html and "MTTQ" not in " ".join(codes)


def test_the_scoreboard_counts_ratings_in_the_singular_and_plural_in_english(client: FlaskClient,
                                                                               world: World) -> None:
    """Proves: in English a unit with one rating reads "1 rating", not "1 ratings" (the list of
    units with too few ratings; March: 2, 0 and 1 ratings)."""
    client.get("/?lang=en")
    html = client.get(f"/units?{MARCH}").get_data(as_text=True)
    listed = [text for attrs, text in elements(html, "li") if "data-unit" in attrs and not attrs.get("class")]
    assert sorted(text[text.rindex("(") + 1:-1] for text in listed) == ["0 ratings", "1 rating", "2 ratings"]


def test_the_scoreboard_refuses_a_bad_range_with_the_reason(client: FlaskClient, db_session: Session) -> None:
    page = client.get("/units?from=2026-04-01&to=2026-03-01")
    assert page.status_code == 400
    (alert,) = elements(page.get_data(as_text=True), "p", role="alert")
    assert "from" in alert[1]


def test_the_scoreboard_refuses_an_unknown_period_by_name(client: FlaskClient, db_session: Session) -> None:
    """Proves: ``?period=`` naming no period answers 400 saying so (it showed the default period
    with 200, as if the link were right); the default period's figures are still shown."""
    page = client.get("/units?period=bogus")
    assert page.status_code == 400
    (alert,) = elements(page.get_data(as_text=True), "p", role="alert")
    assert "bogus" in alert[1]
    assert client.get("/units?period=last_month").status_code == 200
    assert client.get("/units?period=").status_code == 200


def test_public_answers_never_show_complaints_or_what_the_resident_wrote(client: FlaskClient,
                                                                          world: World) -> None:
    """Proves: each answered item is listed once with its latest answer (I2's second cycle);
    a complaint's answer is never listed; no title, body or name of the resident appears."""
    i3 = world.items["I3"]
    _answer(world, i3, world.b, 1, local(3, 25))  # a complaint's published answer
    db.session.flush()
    html = client.get("/answers").get_data(as_text=True)
    listed = [text for _attrs, text in elements(html, "li", **{"class": "public-answer"})]
    codes = [next(code for code in (item.code for item in world.items.values()) if code and code in text)
             for text in listed]
    assert codes == [world.items[n].code for n in ("I2", "I4", "I1", "I5")]  # newest answer first
    assert world.items["I3"].code not in html
    for private in ("Ý kiến I", "Nội dung.", "Nguyễn Văn A"):
        assert private not in html
    one_unit = client.get("/answers?unit=UBND-06994").get_data(as_text=True)
    assert len(elements(one_unit, "li", **{"class": "public-answer"})) == 1


def test_a_public_answers_page_past_the_end_sends_to_the_last(client: FlaskClient, world: World) -> None:
    """Proves: /answers?page=5 of a one-page list answers with its first page's URL (the unit and
    the language kept), not page 5's URL over page 1's rows."""
    past = client.get("/answers?unit=UBND-06994&page=5")
    assert past.status_code == 302 and past.headers["Location"] == "/answers?unit=UBND-06994"
    assert client.get("/answers?page=1").status_code == 200
    assert client.get("/answers?lang=en&page=9").headers["Location"] == "/answers?lang=en"  # one lang, kept


def _pager(html: str) -> tuple[str, list[str]]:
    """The pager's position text and its links' texts."""
    assert len(elements(html, "nav", **{"class": "pager"})) == 1
    (position,) = [text for _attrs, text in elements(html, "span") if text.startswith("Trang ")]
    links = [text for _attrs, text in elements(html, "a") if text in ("Trang trước", "Trang sau")]
    return position, links


def test_the_public_answers_pager_reads_one_row_more_and_counts_only_past_the_end(
        client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves (four answers listed, one a page): a page before the last says "Trang 2" with a
    next link and no number of pages (it reads its row and one more, never a count of every
    published answer: 3.4 s a page at a million answers); the last page says "Trang 4 / 4" with
    no next link; a page past the end goes to page 4 (counted then)."""
    monkeypatch.setattr("feedback.public.scoreboard_views.ANSWERS_PER_PAGE", 1)
    second = client.get("/answers?page=2").get_data(as_text=True)
    assert _pager(second) == ("Trang 2", ["Trang trước", "Trang sau"])
    assert world.items["I4"].code in second
    last = client.get("/answers?page=4").get_data(as_text=True)
    assert _pager(last) == ("Trang 4 / 4", ["Trang trước"])
    assert world.items["I5"].code in last
    past = client.get("/answers?page=9")
    assert past.status_code == 302 and past.headers["Location"] == "/answers?page=4"


def test_the_public_answers_list_stops_at_its_last_listed_page(
        client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the list goes at most ``MAX_PAGES`` deep (a page's cost grows with its depth):
    with 2 pages of one answer listed and four answers, page 2 has no next link and says that
    only the newest 2 pages are listed, pointing to the unit filter; page 3 and any deeper page
    (the deepest a URL may ask too) go to page 2, whose count reads at most 2 pages' answers."""
    monkeypatch.setattr("feedback.public.scoreboard_views.ANSWERS_PER_PAGE", 1)
    monkeypatch.setattr("feedback.services.scoreboard.answers.MAX_PAGES", 2)
    html = client.get("/answers?page=2").get_data(as_text=True)
    assert _pager(html) == ("Trang 2", ["Trang trước"])
    assert "Danh sách chỉ hiện 2 trang mới nhất" in html
    for deeper in ("3", str(MAX_PAGE)):
        past = client.get(f"/answers?page={deeper}")
        assert past.status_code == 302 and past.headers["Location"] == "/answers?page=2"
    assert "Danh sách chỉ hiện" not in client.get("/answers?page=1").get_data(as_text=True)


@pytest.mark.parametrize(("group", "scope"), [("commune", "all"), ("unit", "territory")])
def test_every_active_unit_is_only_for_the_whole_platform_by_unit(world: World, group: str, scope: str) -> None:
    """Proves: listing every active unit is refused for another grouping or a narrower scope (a
    territory's table listing the whole province's units would be wrong)."""
    from feedback.services.statistics import Scope, figures

    chosen = Scope(territory_id=world.directory.ha_tu.id) if scope == "territory" else Scope()
    with pytest.raises(ValueError):
        figures(db.session(), period=Period(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date()),
                group="unit" if group == "unit" else "commune", scope=chosen, now=datetime.now(UTC),
                every_active_unit=True)
