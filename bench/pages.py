"""Whole pages at 1,000,000 or 10,000,000 items (issue #9 item 7): ``bench/stats.py pages``.

Every dashboard page, export and open-data file is requested in-process through the Flask test
client, logged in by the real login form as a province Front monitor and as a commune monitor
(accounts made by ``accounts.create_user``, as ``flask users create`` makes them), so each time
holds what a request costs: the session, the access checks, the statistics, the templates and
their server-drawn charts, the CSV and XLSX writers. The dashboard's clock is fixed at the
generator's NOW (``feedback.monitor.views.now_utc``, the seam the tests use); the public pages
take no clock, so they are asked for the period by its dates (``?from=&to=``: the same period
as the named one).

Each page is requested once (its "first" time: a question whose medians were not computed ahead
computes them then and keeps them; the medians kept by earlier runs are forgotten first), then
``runs`` times (a page whose first request took over 2 s: twice); the median and the slowest of those, the number of SQL statements, the time spent
in them (cursor execute to the end of the fetch is not split: the statement time is the
cursor's execute) and the body's size are printed, and with ``--json`` written to a file.
"""

from __future__ import annotations

import json
import os
import re
import statistics as stats
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PASSWORD = "bench-pages-password"  # bench accounts only (the bench database is dropped after)
PROVINCE_USER, COMMUNE_USER = "bench-province", "bench-commune"
# The bench directory (bench/stats.py): province 1 (code 22), commune 7 (code X0007) and its
# village 61, village 60 (commune 6), topic area 3 and its leaf 17, commune committee 7.
PROVINCE_CODE, COMMUNE_CODE = "22", "X0007"
COMMUNE, VILLAGE_OF_COMMUNE, VILLAGE, AREA, LEAF, UNIT = 7, 61, 60, 3, 17, 7
# The codes of the leaf topic and of village 60 (the drill-down keys of their rows).
LEAF_CODE, VILLAGE_CODE = "area-3.8", "T00004"
SLOW_MS, SLOW_RUNS = 2000, 2
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Case:
    label: str
    user: str
    url: str


@dataclass(frozen=True)
class Timed:
    label: str
    url: str
    status: int
    first_ms: float
    median_ms: float
    slowest_ms: float
    statements: int
    sql_ms: float
    first_statements: int
    first_sql_ms: float
    bytes: int
    runs: int


def cases(today: date) -> list[Case]:
    """The pages timed, province monitor first, then the commune monitor."""
    from feedback.domain.statistics import Period

    twelve = Period.named("last_12_months", today)
    year = Period.named("this_year", today)
    public = f"from={twelve.start.isoformat()}&to={twelve.end.isoformat()}"
    custom = "period=custom&from=2026-02-17&to=2026-10-09"
    p, c = PROVINCE_USER, COMMUNE_USER
    listed = [Case(f"dashboard by unit, province, {name}", p, f"/monitor/?period={name}&group=unit")
              for name in ("this_month", "last_month", "this_quarter", "this_year")]
    listed += [Case(f"dashboard by {group}, province, this_year", p, f"/monitor/?period=this_year&group={group}")
               for group in ("commune", "village", "topic", "kind")]
    listed += [
        Case("dashboard by unit, province, custom 17/2-9/10", p, f"/monitor/?{custom}&group=unit"),
        Case("dashboard by unit, province, this_year, unit filter", p, f"/monitor/?period=this_year&unit={UNIT}"),
        Case("dashboard by unit, province, this_year, commune filter", p,
             f"/monitor/?period=this_year&locality={COMMUNE}"),
        Case("dashboard by village, province, this_year, commune filter", p,
             f"/monitor/?period=this_year&group=village&locality={COMMUNE}"),
        Case("dashboard by unit, province, this_year, village filter", p,
             f"/monitor/?period=this_year&locality={VILLAGE}"),
        Case("dashboard by unit, province, this_year, topic area filter", p,
             f"/monitor/?period=this_year&topic={AREA}"),
        Case("dashboard by commune, province, this_year, topic filter", p,
             f"/monitor/?period=this_year&group=commune&topic={LEAF}"),
        Case("dashboard by topic, province, this_year, unit + commune filter", p,
             f"/monitor/?period=this_year&group=topic&unit={UNIT}&locality={COMMUNE}"),
        Case("drill-down: received, province, this_month (page 1)", p,
             "/monitor/items?period=this_month&figure=received"),
        Case("drill-down: answered of one unit, province, this_year", p,
             f"/monitor/items?period=this_year&figure=answered&by=unit&key=UBND-{UNIT:04d}"),
        Case("drill-down: overdue of one commune, province", p,
             f"/monitor/items?period=this_month&figure=overdue_open&by=commune&key={COMMUNE_CODE}"),
        Case("drill-down: received, province, this_month (page 40)", p,
             "/monitor/items?period=this_month&figure=received&page=40"),
        Case("drill-down: received, province, custom 17/2-9/10 (page 1)", p,
             f"/monitor/items?{custom}&figure=received"),
        Case("drill-down: received, province, custom 1/12/2016-30/11/2026 (page 1)", p,
             "/monitor/items?period=custom&from=2016-12-01&to=2026-11-30&figure=received"),
        Case("drill-down: answered on time, province, last_month", p,
             "/monitor/items?period=last_month&figure=answered_on_time"),
        Case("drill-down: transfers, province, this_year", p, "/monitor/items?period=this_year&figure=transfers"),
        Case("drill-down: reopened, province, this_quarter", p, "/monitor/items?period=this_quarter&figure=reopened"),
        Case("drill-down: satisfied of one topic, province, this_year", p,
             f"/monitor/items?period=this_year&group=topic&figure=satisfied&by=topic&key={LEAF_CODE}"),
        Case("drill-down: ratings of one commune, province, this_year", p,
             f"/monitor/items?period=this_year&figure=ratings&by=commune&key={COMMUNE_CODE}"),
        Case("drill-down: received of one village, province, this_year", p,
             f"/monitor/items?period=this_year&figure=received&by=village&key={VILLAGE_CODE}"),
        Case("drill-down: received of one kind, province, this_month, unit filter", p,
             f"/monitor/items?period=this_month&unit={UNIT}&figure=received&by=kind&key=denunciation"),
        Case("drill-down: overdue, province (page 1)", p, "/monitor/items?period=this_month&figure=overdue_open"),
        Case("drill-down: overdue, province (page 20)", p,
             "/monitor/items?period=this_month&figure=overdue_open&page=20"),
        Case("overdue list, province", p, "/monitor/overdue?period=this_month"),
        Case("overdue list, province, one unit", p, f"/monitor/overdue?unit={UNIT}"),
        Case("hot spots, province", p, "/monitor/hotspots"),
        Case("export figures.csv by unit, province, this_year", p, "/monitor/export/figures.csv?period=this_year"),
        Case("export figures.xlsx by unit, province, this_year", p, "/monitor/export/figures.xlsx?period=this_year"),
        Case("export figures.xlsx by village, province, this_year", p,
             "/monitor/export/figures.xlsx?period=this_year&group=village"),
        Case("export ranking.csv, province, this_year", p, "/monitor/export/ranking.csv?period=this_year"),
        Case("export trend.xlsx, province, this_year", p, "/monitor/export/trend.xlsx?period=this_year"),
        Case("export dashboard.xlsx, province, this_month", p, "/monitor/export/dashboard.xlsx?period=this_month"),
        Case("export overdue.csv, province", p, "/monitor/export/overdue.csv?period=this_month"),
        Case("public /units, last 12 months", p, f"/units?{public}"),
        Case("public /units, this year", p, f"/units?from={year.start.isoformat()}&to={year.end.isoformat()}"),
        Case("open data units.csv, last 12 months", p, f"/open-data/units.csv?{public}"),
        Case("open data units.json, last 12 months", p, f"/open-data/units.json?{public}"),
        Case("public /answers (page 1)", p, "/answers"),
        Case("public /answers (page 50)", p, "/answers?page=50"),
        Case("public /answers, one unit", p, f"/answers?unit=UBND-{UNIT:04d}"),
    ]
    listed += [Case(f"commune: dashboard by unit, {name}", c, f"/monitor/?period={name}")
               for name in ("this_month", "this_year")]
    listed += [
        Case("commune: dashboard by village, this_year", c, "/monitor/?period=this_year&group=village"),
        Case("commune: dashboard by topic, this_year", c, "/monitor/?period=this_year&group=topic"),
        Case("commune: dashboard by kind, this_year", c, "/monitor/?period=this_year&group=kind"),
        Case("commune: dashboard by unit, custom 17/2-9/10", c, f"/monitor/?{custom}"),
        Case("commune: dashboard by unit, this_year, village filter", c,
             f"/monitor/?period=this_year&locality={VILLAGE_OF_COMMUNE}"),
        Case("commune: dashboard by unit, this_year, topic filter", c, f"/monitor/?period=this_year&topic={LEAF}"),
        Case("commune: dashboard by topic, this_year, unit filter", c,
             f"/monitor/?period=this_year&group=topic&unit={UNIT}"),
        Case("commune: drill-down received, this_month", c, "/monitor/items?period=this_month&figure=received"),
        Case("commune: drill-down received, this_year (page 3)", c,
             "/monitor/items?period=this_year&figure=received&page=3"),
        Case("commune: drill-down overdue", c, "/monitor/items?period=this_month&figure=overdue_open"),
        Case("commune: overdue list", c, "/monitor/overdue?period=this_month"),
        Case("commune: hot spots", c, "/monitor/hotspots"),
        Case("commune: hot spot detail", c, "/monitor/hotspots/{hot_spot}"),
        Case("commune: export figures.csv, this_year", c, "/monitor/export/figures.csv?period=this_year"),
        Case("commune: export figures.xlsx, this_year", c, "/monitor/export/figures.xlsx?period=this_year"),
        Case("commune: export dashboard.xlsx, this_year", c, "/monitor/export/dashboard.xlsx?period=this_year"),
        Case("commune: export overdue.xlsx", c, "/monitor/export/overdue.xlsx?period=this_month"),
    ]
    return listed


def ensure_accounts(now: datetime) -> None:
    """The two monitors (``accounts.create_user``), unless they are there already."""
    from feedback.extensions import db
    from feedback.models import Role, User
    from feedback.services import accounts

    for username, territory in ((PROVINCE_USER, PROVINCE_CODE), (COMMUNE_USER, COMMUNE_CODE)):
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is None:
            accounts.create_user(username, Role.FRONT_MONITOR, password=PASSWORD, now=now, territory_code=territory,
                                 full_name=f"Bench {username}")


def ensure_hot_spot(now: datetime) -> int:
    """One hot spot in the commune (the uniform bench data has none for the daily check to find),
    written as the check writes one; its id."""
    from feedback.extensions import db
    from feedback.models import HotSpot

    found = db.session.scalar(sa.select(HotSpot.id).where(HotSpot.locality_id == COMMUNE))
    if found is not None:
        return int(found)
    today = now.date()
    spot = HotSpot(locality_id=COMMUNE, topic_id=LEAF, started_on=date.fromordinal(today.toordinal() - 3),
                   last_seen_on=today, recent_count=12, baseline_count=2, peak_count=12, detected_at=now,
                   updated_at=now)
    db.session.add(spot)
    db.session.commit()
    return spot.id


def log_in(client: Any, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, "no CSRF token on /login"
    answer = client.post("/login", data={"csrf_token": match.group(1), "username": username, "password": PASSWORD})
    assert answer.status_code in (302, 303), f"login of {username} failed: {answer.status_code}"


class Statements:
    """Counts the SQL statements sent and the time spent in them (execute only)."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count, self.ms, self._started = engine, 0, 0.0, 0.0

    def _before(self, *args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, *args: Any) -> None:
        self.count += 1
        self.ms += (time.perf_counter() - self._started) * 1000

    @contextmanager
    def watching(self) -> Iterator[Statements]:
        self.count, self.ms = 0, 0.0
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._before)
            sa.event.remove(self.engine, "after_cursor_execute", self._after)


def _request(client: Any, url: str, watch: Statements) -> tuple[float, int, int, float, int]:
    with watch.watching():
        tick = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        spent = (time.perf_counter() - tick) * 1000
    return spent, response.status_code, watch.count, watch.ms, len(body)


def time_pages(app: Any, now: datetime, today: date, *, runs: int = 5, only: str | None = None,
               forget: Callable[[Any], int] | None = None, profile: str | None = None) -> list[Timed]:
    """Time every case (``only``: those whose label holds it); print a Markdown table."""
    import feedback.monitor.views as monitor_views
    from feedback.extensions import db

    monitor_views.now_utc = lambda: now  # the seam the tests use (monitor.views.now_utc)
    with app.app_context():
        ensure_accounts(now)
        hot_spot = ensure_hot_spot(now)
        if forget is not None:
            print(f"forgot {forget(db.session()):,} medians kept by earlier views\n")
        engine = db.engine
    clients = {}
    for user in (PROVINCE_USER, COMMUNE_USER):
        clients[user] = app.test_client()
        log_in(clients[user], user)
    watch = Statements(engine)
    results: list[Timed] = []
    print("| page | status | first ms | median ms | slowest ms | SQL statements | of which SQL ms | KB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for case in cases(today):
        if only and only not in case.label:
            continue
        url = case.url.format(hot_spot=hot_spot)
        client = clients[case.user]
        first, status, first_count, first_sql, size = _request(client, url, watch)
        spent, counts, sql = [], [], []
        # A page over SLOW_MS (a whole overdue list as XLSX, a drill-down on the old code) is
        # timed SLOW_RUNS more times, not ``runs``: its time is clear and the run stays minutes.
        for _ in range(min(runs, SLOW_RUNS) if first > SLOW_MS else runs):
            ms, status, count, in_sql, size = _request(client, url, watch)
            spent.append(ms)
            counts.append(count)
            sql.append(in_sql)
        timed = Timed(case.label, url, status, round(first, 1), round(stats.median(spent), 1), round(max(spent), 1),
                      int(stats.median(counts)), round(stats.median(sql), 1), first_count, round(first_sql, 1), size,
                      len(spent))
        results.append(timed)
        print(f"| {case.label} | {status} | {timed.first_ms:.1f} | {timed.median_ms:.1f} | {timed.slowest_ms:.1f} "
              f"| {timed.statements} | {timed.sql_ms:.1f} | {size / 1024:.0f} |", flush=True)
        if profile and profile in case.label:
            _profile(client, url, case.label)
    return results


def _profile(client: Any, url: str, label: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url).get_data()
    profiler.disable()
    print(f"\n### cProfile: {label}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def write_json(results: list[Timed], path: Path, **about: object) -> None:
    load = os.getloadavg()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**about, "load_average": [round(x, 2) for x in load],
                                "pages": [asdict(r) for r in results]}, ensure_ascii=False, indent=1))
