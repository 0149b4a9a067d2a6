"""Time the Front dashboard's statistics on 1,000,000 or 10,000,000 items (issue #9 item 7).

    python bench/stats.py generate --items 1000000      # into the database feedback_bench
    python bench/stats.py time                          # time the queries, print EXPLAIN evidence

``generate`` drops and recreates the database (``--database``, default
postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench), builds the schema with the
migrations, then writes everything in SQL with generate_series, a chunk of items per statement
(a progress bar counts them): a Quảng Ninh-sized directory (1 province, 54 communes, 1,452
villages, 32 topics under 8 areas, 54 commune committees and 8 departments), the items spread
evenly over ten years up to NOW, their counted facts (``stat_fact``: first assignments, 5 %
transferred, 99.5 % answered after 2 hours to 40 days (the rest stay open and
fall overdue), on time within 15 days, 55 % of answers
rated, 70 % of those satisfied, 30 % of the unsatisfied reopened), the open items' resolution
clocks (breached when past due, as the deadline scan leaves them: the triggers keep
``overdue_item``), then the rollups and the answers' histogram summed from the facts by the same SQL as
``flask stats rebuild``, and the medians computed ahead by the same code as ``flask stats
rebuild`` and the beat (``statistics.refresh_medians``, as of NOW), and the overdue tally compacted as
the beat's task compacts it after the medians. Each answered item's published answer is written (the public
answered items and the recommendations' counts read them); the other raw handling rows (assignments, ratings)
are not: no page reads them.

``time`` runs the statistics service (``feedback.services.statistics``: the functions the
dashboard, the exports and the open data call) for several groupings, periods and filters,
each 1 + 5 times, and prints the first call's time (a question not computed ahead computes its
medians then and keeps them: the medians earlier runs kept are forgotten first), the median and
the slowest of the 5 in milliseconds, and the
median of the time spent in the medians (``queries.stored_medians`` and ``queries.medians``: the
stored medians, and the groups computed from the answers if any is stale, then kept); then the
EXPLAIN ANALYZE of every SQL statement one dashboard table sends, to show the rollup indexes in
use.
"""

from __future__ import annotations

import argparse
import statistics as stats
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestConfig  # noqa: E402
from feedback import create_app  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import (  # noqa: E402
    Feedback, StatDaily, StatDailyUnit, StatFact, StatMedian, StatMonthly, StatMonthlyPlace, StatMonthlyUnit,
)
from feedback.services import statistics  # noqa: E402
from feedback.services.deadlines import compact_overdue_tally  # noqa: E402
from feedback.services.statistics import Period, Scope  # noqa: E402
from feedback.services.statistics import queries  # noqa: E402
from feedback.services.statistics.rebuild import TREE_SOURCES, sum_rollups  # noqa: E402

# The whole tree's rollups (migration 0036, after LOAD_AT: its upgrade fills and indexes them).
TREE_TABLES = tuple(model.__tablename__ for model, _source in TREE_SOURCES)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench"
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 30/11/2026 10:00 in Hà Nội
TODAY = date(2026, 11, 30)
YEARS = 10
COMMUNES, VILLAGES, LEAVES, AREAS = 54, 1452, 32, 8
LOAD_AT = "0026"
CHUNK = 20_000  # each chunk takes an advisory lock per item touched by the triggers (0019, 0027): bounded in number

# Ids laid out so that each row's relatives are arithmetic: province 1, communes 2..55, villages
# 56..1507 (village v belongs to commune 2 + v % 54); topic areas 1..8, leaves 9..40 (leaf l
# under area 1 + l / 4); units: commune committee c has the id of commune c, departments 56..63.
DIRECTORY = f"""
INSERT INTO locality (id, code, name, kind, level, parent_id, path, search_name, remote, ethnic_minority_area)
VALUES (1, '22', 'Tỉnh thử nghiệm', 'tỉnh', 'province', NULL, '/1/', 'tinh thu nghiem', false, false);
INSERT INTO locality (id, code, name, kind, level, parent_id, path, search_name, remote, ethnic_minority_area)
SELECT c, 'X' || lpad(c::text, 4, '0'), 'Xã thử ' || c, 'xã', 'commune', 1, '/1/' || c || '/', 'xa thu ' || c,
       false, false FROM generate_series(2, {COMMUNES + 1}) AS c;
INSERT INTO locality (id, code, name, kind, level, parent_id, path, search_name, remote, ethnic_minority_area)
SELECT 56 + v, 'T' || lpad(v::text, 5, '0'), 'Thôn thử ' || v, 'thôn', 'village', 2 + v % {COMMUNES},
       '/1/' || (2 + v % {COMMUNES}) || '/' || (56 + v) || '/', 'thon thu ' || v, false, false
FROM generate_series(0, {VILLAGES - 1}) AS v;
INSERT INTO topic (id, code, name, parent_id, path, depth, position, active)
SELECT a, 'area-' || a, 'Lĩnh vực ' || a, NULL, '/' || a || '/', 1, a, true FROM generate_series(1, {AREAS}) AS a;
INSERT INTO topic (id, code, name, parent_id, path, depth, position, active)
SELECT 9 + l, 'area-' || (1 + l / 4) || '.' || l, 'Chủ đề ' || l, 1 + l / 4, '/' || (1 + l / 4) || '/' || (9 + l) || '/',
       2, l, true FROM generate_series(0, {LEAVES - 1}) AS l;
INSERT INTO unit (id, code, name, kind, parent_id, locality_id, active)
SELECT c, 'UBND-' || lpad(c::text, 4, '0'), 'UBND Xã thử ' || c, 'commune_committee', NULL, c, true
FROM generate_series(2, {COMMUNES + 1}) AS c;
INSERT INTO unit (id, code, name, kind, parent_id, locality_id, active)
SELECT 55 + a, 'SO-' || a, 'Sở thử ' || a, 'department', NULL, 1, true FROM generate_series(1, {AREAS}) AS a;
INSERT INTO user_account (id, username, password_hash, full_name, active, created_at, session_version, failed_logins)
VALUES (1, 'bench', '!', 'Cán bộ thử', false, now(), 0, 0);
SELECT setval('locality_id_seq', 2000); SELECT setval('topic_id_seq', 100); SELECT setval('unit_id_seq', 100);
SELECT setval('user_account_id_seq', 100);
"""

# One chunk of items [lo, hi): every derived value is arithmetic on i (reproducible, no random()).
BASE = """
CREATE TEMP TABLE bench_base ON COMMIT DROP AS
SELECT i,
       village_id, 2 + (village_id - 56) % {communes} AS commune_id, topic_id, 1 + (topic_id - 9) / 4 AS area,
       kind, unit_id, first_unit_id, received_at,
       received_at + (CASE WHEN first_unit_id IS NULL THEN interval '5 minutes' ELSE interval '1 day' END) AS assigned_at,
       hours,
       received_at + interval '5 minutes' + (CASE WHEN first_unit_id IS NULL THEN interval '0' ELSE interval '1 day' END)
         + hours * interval '1 hour' AS published_at,
       answer_roll, rate_roll, satisfied_roll, reopen_roll
FROM (
  SELECT i, village_id, topic_id, kind, received_at, hours, answer_roll, rate_roll, satisfied_roll, reopen_roll,
         CASE WHEN (i * 13) % 10 < 7 THEN 2 + (village_id - 56) % {communes} ELSE 55 + 1 + (topic_id - 9) / 4 END AS unit_id,
         CASE WHEN (i * 29) % 100 < 5 THEN
              CASE WHEN (i * 13) % 10 < 7 THEN 55 + 1 + (topic_id - 9) / 4 ELSE 2 + (village_id - 56) % {communes} END
         END AS first_unit_id
  FROM (
    SELECT i,
           56 + (i * 7919) % {villages} AS village_id,
           9 + (i * 31 + i / 7) % {leaves} AS topic_id,
           CASE WHEN (i * 17) % 100 < 50 THEN 'report' WHEN (i * 17) % 100 < 70 THEN 'petition'
                WHEN (i * 17) % 100 < 90 THEN 'comment' WHEN (i * 17) % 100 < 97 THEN 'complaint'
                ELSE 'denunciation' END AS kind,
           :start + (i - 1) * :step AS received_at,
           2 + ((i * 7907) % 960) * ((i * 104723) % 100) / 100.0 AS hours,
           (i * 37) % 1000 AS answer_roll, (i * 53) % 100 AS rate_roll, (i * 59) % 100 AS satisfied_roll,
           (i * 61) % 100 AS reopen_roll
    FROM generate_series(:lo::bigint, :hi - 1) AS i
  ) raw
) chosen;
ALTER TABLE bench_base ADD COLUMN answered boolean;
UPDATE bench_base SET answered = answer_roll < 995 AND published_at < :now;
"""

CHUNK_SQL = """
INSERT INTO feedback (id, code, token_hash, kind, complaint_round, is_complex, several_places, title, body, locality_id,
                      topic_id, consent_share_contact, channel, status, current_unit_id, received_at, updated_at,
                      answered_at, answered_by_unit_id)
SELECT i, 'QN-B-' || i, md5(i::text), kind, 1, false, false, 'Ý kiến thử ' || i, 'Nội dung.', village_id, topic_id,
       false, 'web', CASE WHEN answered THEN 'answered' ELSE 'in_progress' END, unit_id, received_at,
       received_at, CASE WHEN answered THEN published_at END, CASE WHEN answered THEN unit_id END
FROM bench_base;

INSERT INTO stat_fact (measure, feedback_id, ref, unit_id, locality_id, commune_id, village_id, topic_id, kind, at, day,
                       on_time, seconds, satisfied)
SELECT 'received', i, first_unit_id, first_unit_id, village_id, commune_id, village_id, topic_id, kind,
       received_at + interval '5 minutes', ((received_at + interval '5 minutes') AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
       false, NULL::int, false FROM bench_base WHERE first_unit_id IS NOT NULL
UNION ALL
SELECT 'transfer', i, i, first_unit_id, village_id, commune_id, village_id, topic_id, kind, assigned_at,
       (assigned_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, false, NULL, false
FROM bench_base WHERE first_unit_id IS NOT NULL
UNION ALL
SELECT 'received', i, unit_id, unit_id, village_id, commune_id, village_id, topic_id, kind, assigned_at,
       (assigned_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, false, NULL, false FROM bench_base
UNION ALL
SELECT 'answered', i, i, unit_id, village_id, commune_id, village_id, topic_id, kind, published_at,
       (published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, hours <= 360, round(hours * 3600)::int, false
FROM bench_base WHERE answered
UNION ALL
SELECT 'rating', i, i, unit_id, village_id, commune_id, village_id, topic_id, kind,
       published_at + (1 + i % 5) * interval '1 day',
       ((published_at + (1 + i % 5) * interval '1 day') AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, false, NULL,
       satisfied_roll < 70
FROM bench_base WHERE answered AND rate_roll < 55 AND published_at + (1 + i % 5) * interval '1 day' < :now
UNION ALL
SELECT 'reopened', i, i, unit_id, village_id, commune_id, village_id, topic_id, kind,
       published_at + (1 + i % 5) * interval '1 day' + interval '1 hour',
       ((published_at + (1 + i % 5) * interval '1 day' + interval '1 hour') AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
       false, NULL, false
FROM bench_base WHERE answered AND rate_roll < 55 AND satisfied_roll >= 70 AND reopen_roll < 30
      AND published_at + (1 + i % 5) * interval '1 day' + interval '1 hour' < :now;

INSERT INTO answer (feedback_id, cycle, status, text, version, author_id, unit_id, unit_code, unit_name, created_at,
                    updated_at, submitted_at, published_at)
SELECT b.i, 1, 'published', 'Đơn vị đã xử lý và trả lời.', 1, 1, b.unit_id, u.code, u.name, b.published_at,
       b.published_at, b.published_at, b.published_at
FROM bench_base b JOIN unit u ON u.id = b.unit_id WHERE b.answered;

INSERT INTO deadline (feedback_id, unit_id, clock, sequence, legal_basis, day_type, period_days, starts_at, due_at,
                      extensions, created_at, breached_at)
SELECT i, unit_id, 'resolution', 1, 'bench', 'calendar', 15, assigned_at, assigned_at + interval '15 days', 0,
       assigned_at,
       -- breached a minute after its due time when that is past, as the deadline scan leaves it
       -- (its trigger writes the kept overdue row, overdue_item)
       CASE WHEN assigned_at + interval '15 days' + interval '1 minute' < :now
            THEN assigned_at + interval '15 days' + interval '1 minute' END
FROM bench_base WHERE NOT answered;
"""

NAMES = """
INSERT INTO stat_unit_name (unit_id, day, at, code, name)
SELECT f.unit_id, f.day, max(f.at), u.code, u.name FROM stat_fact f JOIN unit u ON u.id = f.unit_id
GROUP BY f.unit_id, f.day, u.code, u.name;
"""


def _app(url: str) -> Any:
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=Path("/tmp/feedback-bench-uploads"))


def _indexes() -> list[sa.Index]:
    """The secondary indexes dropped while loading and built once at the end (faster)."""
    return [index for model in (Feedback, StatFact, StatDaily, StatMonthly, StatMonthlyUnit, StatMonthlyPlace,
                                StatDailyUnit)
            for index in model.__table__.indexes]  # type: ignore[attr-defined]


def generate(url: str, items: int) -> None:
    from flask_migrate import upgrade

    admin = sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = sa.make_url(url).database
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # The rollups' GROUP BYs over tens of millions of facts and the index builds sorted on
        # disk in 4 MB and 64 MB pieces (the defaults): the rollups of 10 M items did not finish
        # in 35 min. The bench's own database only, for every session that opens it.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET work_mem = \'512MB\''))
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET maintenance_work_mem = \'1GB\''))
    admin.dispose()
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        # Loaded before the unit inbox's kept counts (0027): kept by their row triggers, they made
        # the load take hours at 10,000,000 items; the upgrade after the load fills them at once.
        upgrade(directory=app.config["MIGRATIONS_DIR"], revision=LOAD_AT)
        engine = db.engine
        with engine.begin() as conn:
            # Only the indexes there at LOAD_AT: one a later migration makes (or remakes) is made
            # by the upgrade after the load, as in production.
            inspector = sa.inspect(conn)
            loaded = [index for index in _indexes() if inspector.has_index(index.table.name, index.name)]
            for index in loaded:
                index.drop(conn)
            conn.execute(sa.text("ALTER TABLE stat_fact DROP CONSTRAINT uq_stat_fact"))
            conn.execute(sa.text(DIRECTORY))
        step_seconds = YEARS * 365 * 86400 / items
        start = NOW.timestamp() - YEARS * 365 * 86400
        with click.progressbar(length=items, label="items and facts", show_pos=True) as bar:
            for lo in range(1, items + 1, CHUNK):
                hi = min(lo + CHUNK, items + 1)
                # Literals, not parameters: several statements go in one simple-protocol call.
                values = {":start": f"'{datetime.fromtimestamp(start, UTC).isoformat()}'::timestamptz",
                          ":step": f"'{step_seconds:.6f} seconds'::interval", ":now": f"'{NOW.isoformat()}'::timestamptz",
                          ":lo": str(lo), ":hi": str(hi)}
                text = BASE.format(communes=COMMUNES, villages=VILLAGES, leaves=LEAVES) + CHUNK_SQL
                for name, value in values.items():
                    text = text.replace(name, value)
                with engine.begin() as conn:
                    raw = conn.connection.driver_connection
                    assert raw is not None
                    with raw.cursor() as cursor:
                        cursor.execute(text)
                bar.update(hi - lo)
        print(f"items and facts written in {time.perf_counter() - started:.0f} s", flush=True)
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval('feedback_id_seq', :n)"), {"n": items + 1})
        tick = time.perf_counter()
        session = db.session()
        sum_rollups(session, tree=False)  # the whole tree's: filled by their migration (0036)
        session.execute(sa.text(NAMES))
        session.commit()
        print(f"rollups summed in {time.perf_counter() - tick:.0f} s", flush=True)
        tick = time.perf_counter()
        with click.progressbar(loaded, label="indexes", show_pos=True) as indexes:
            for index in indexes:
                with engine.begin() as conn:
                    index.create(conn)
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE stat_fact ADD CONSTRAINT uq_stat_fact UNIQUE (measure, feedback_id, ref)"))
        print(f"indexes built in {time.perf_counter() - tick:.0f} s", flush=True)
        tick = time.perf_counter()
        db.session.remove()
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        print(f"upgraded from {LOAD_AT} in {time.perf_counter() - tick:.0f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        tick = time.perf_counter()
        done = statistics.refresh_medians(db.session(), NOW)
        # As the beat's refresh_medians task does after the medians: the load left one tally row
        # per overdue item (its trigger's), where production keeps one per group of each dimension.
        tally_rows = compact_overdue_tally(db.session())
        db.session.commit()
        print(f"medians computed ahead in {time.perf_counter() - tick:.0f} s: {done.questions} questions, "
              f"{done.computed} group medians; overdue tally compacted to {tally_rows:,} rows", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE stat_median"))
            conn.execute(sa.text("VACUUM ANALYZE overdue_tally"))
        counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                  for t in ("feedback", "answer", "stat_fact", "stat_daily", "stat_monthly", "stat_monthly_unit",
                            "stat_monthly_place", "stat_daily_unit", *TREE_TABLES, "stat_answer_hist", "deadline")}
        print(f"done in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))


_in_medians: list[float] = []


def _timed_medians(*args: Any, **kwargs: Any) -> Any:
    tick = time.perf_counter()
    try:
        return _medians(*args, **kwargs)
    finally:
        _in_medians.append((time.perf_counter() - tick) * 1000)


_medians = queries.medians
_stored_medians = queries.stored_medians


def _timed_stored_medians(*args: Any, **kwargs: Any) -> Any:
    tick = time.perf_counter()
    try:
        return _stored_medians(*args, **kwargs)
    finally:
        _in_medians.append((time.perf_counter() - tick) * 1000)


def _time(call: Callable[[], object], runs: int = 5) -> tuple[float, float, float, float, object]:
    """(first call ms, median ms, slowest ms, median ms spent in the medians, result)."""
    tick = time.perf_counter()
    result = call()  # warm-up (a question not computed ahead computes its medians and keeps them)
    first = (time.perf_counter() - tick) * 1000
    spent, in_medians = [], []
    queries.medians = _timed_medians
    queries.stored_medians = _timed_stored_medians
    try:
        for _ in range(runs):
            _in_medians.clear()
            tick = time.perf_counter()
            result = call()
            spent.append((time.perf_counter() - tick) * 1000)
            in_medians.append(sum(_in_medians))
    finally:
        queries.medians = _medians
        queries.stored_medians = _stored_medians
    return first, stats.median(spent), max(spent), stats.median(in_medians), result


def cases() -> list[tuple[str, Callable[[Any], object]]]:
    """(label, call) pairs over the service the dashboard and the exports read."""
    periods = {name: Period.named(name, TODAY) for name in
               ("this_month", "last_month", "this_quarter", "this_year", "last_12_months")}
    custom = Period(date(2026, 2, 17), date(2026, 10, 9))
    # A year across two calendar years, none of it computed ahead (issue #9 item 7's slowest first view).
    across = Period(date(2025, 2, 10), date(2026, 1, 20))
    commune, village, area, unit = 7, 60, 3, 7

    def figures(period: Period, group: statistics.Grouping, scope: Scope) -> Callable[[Any], object]:
        return lambda s: statistics.figures(s, period=period, group=group, scope=scope, now=NOW)

    listed: list[tuple[str, Callable[[Any], object]]] = []
    for name, period in periods.items():
        listed.append((f"by unit, province, {name}", figures(period, "unit", Scope(territory_id=1))))
    year = periods["this_year"]
    listed += [
        ("by unit, province, custom 17/2-9/10", figures(custom, "unit", Scope(territory_id=1))),
        ("by unit, province, custom 10/2/2025-20/1/2026", figures(across, "unit", Scope(territory_id=1))),
        ("by commune, province, custom 10/2/2025-20/1/2026", figures(across, "commune", Scope(territory_id=1))),
        ("totals, province, custom 10/2/2025-20/1/2026",
         lambda s: statistics.totals(s, period=across, scope=Scope(territory_id=1), now=NOW)),
        ("open data: by unit, all, custom 10/2/2025-20/1/2026", figures(across, "unit", Scope())),
        ("by topic, province, custom 10/2/2025-20/1/2026", figures(across, "topic", Scope(territory_id=1))),
        ("by commune, province, this_year", figures(year, "commune", Scope(territory_id=1))),
        ("by topic, province, this_year", figures(year, "topic", Scope(territory_id=1))),
        ("by kind, province, this_year", figures(year, "kind", Scope(territory_id=1))),
        ("by month, province, last_12_months", figures(periods["last_12_months"], "month", Scope(territory_id=1))),
        ("by unit, one commune, this_year", figures(year, "unit", Scope(territory_id=commune))),
        ("by village, one commune, this_year", figures(year, "village", Scope(territory_id=commune))),
        ("by unit, one village, this_year", figures(year, "unit", Scope(territory_id=1, locality_id=village))),
        ("by unit, one topic area, this_year", figures(year, "unit", Scope(territory_id=1, topic_id=area))),
        ("by topic, one unit, last_12_months", figures(periods["last_12_months"], "topic", Scope(unit_id=unit))),
        ("by month, one unit, last_12_months", figures(periods["last_12_months"], "month", Scope(unit_id=unit))),
        ("totals, province, this_year",
         lambda s: statistics.totals(s, period=year, scope=Scope(territory_id=1), now=NOW)),
        ("open data: by unit, all, last_12_months", figures(periods["last_12_months"], "unit", Scope())),
        ("overdue list, one commune",
         lambda s: statistics.overdue_now(s, scope=Scope(territory_id=commune), now=NOW)),
    ]
    return listed


def _forget_kept(session: Any) -> int:
    """Delete the stored medians of the questions not computed ahead (kept by earlier views), so
    that each question's first call shows what a first view costs."""
    from feedback.services.statistics.medians import presets

    ahead = {(queries.scope_key(queries.filters_of(session, p.scope)), p.period.start, p.period.end,
              queries.grouping_key(p.group)) for p in presets(session, NOW)}
    stored = session.execute(sa.select(StatMedian.scope_key, StatMedian.start, StatMedian.end,
                                       StatMedian.grouping).distinct()).all()
    gone = 0
    for row in stored:
        if tuple(row) not in ahead:
            gone += session.execute(sa.delete(StatMedian).where(
                StatMedian.scope_key == row.scope_key, StatMedian.start == row.start, StatMedian.end == row.end,
                StatMedian.grouping == row.grouping)).rowcount
    session.commit()
    return gone


def explain(session: Any, label: str, call: Callable[[Any], object]) -> None:
    """EXPLAIN ANALYZE every statement ``call`` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        call(session)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    print(f"\n### EXPLAIN ANALYZE: {label}")
    raw = session.connection().connection.driver_connection
    for statement, parameters in sent:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")) or not ("stat_" in statement or "overdue" in statement
                                                                       or "deadline" in statement):
            continue
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
        print("-- " + " ".join(statement.split())[:160] + " …")
        for line in plan:
            print("   " + line)


def time_queries(url: str) -> None:
    app = _app(url)
    with app.app_context():
        session = db.session()
        items = session.scalar(sa.text("SELECT count(*) FROM feedback"))
        print(f"{items:,} items; NOW = {NOW.isoformat()}\n")
        stored = session.execute(sa.text("SELECT count(*), max(computed_at) FROM stat_median")).one()
        print(f"stat_median: {stored[0]:,} medians computed ahead, the latest at {stored[1]}\n")
        forgotten = _forget_kept(session)
        print(f"forgot {forgotten:,} medians kept by earlier views (the first call computes them again)\n")
        print("| query | first ms | median ms | slowest ms | of which medians ms | rows |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, call in cases():
            first, middle, worst, in_medians, result = _time(lambda: call(session))
            rows = len(result) if isinstance(result, list) else 1
            print(f"| {label} | {first:.1f} | {middle:.1f} | {worst:.1f} | {in_medians:.1f} | {rows} |", flush=True)
        explained = ("by unit, province, this_year", "by unit, province, custom", "by commune", "by topic, province",
                     "totals, province, custom", "open data: by unit, all, custom",
                     "by unit, one commune", "by village", "by unit, one village", "by unit, one topic area",
                     "overdue")
        for label, call in cases():
            if label.startswith(explained):
                explain(session, label, call)


def time_whole_pages(url: str, *, runs: int, only: str | None, profile: str | None, out: Path | None) -> None:
    """``pages``: every dashboard page, export and open-data file as a whole request (bench/pages.py)."""
    from bench import pages

    app = _app(url)
    with app.app_context():
        items = db.session.scalar(sa.text("SELECT count(*) FROM feedback"))
    print(f"{items:,} items; NOW = {NOW.isoformat()}\n")
    results = pages.time_pages(app, NOW, TODAY, runs=runs, only=only, forget=_forget_kept, profile=profile)
    if out is not None:
        pages.write_json(results, out, items=items, now=NOW.isoformat(), runs=runs,
                         code=str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "time", "pages"])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5, help="pages: timed requests per page after the first")
    parser.add_argument("--only", help="pages: only the pages whose label holds this text")
    parser.add_argument("--profile", help="pages: cProfile one more request of the pages whose label holds this")
    parser.add_argument("--json", type=Path, help="pages: also write the table to this JSON file")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.database, args.items)
    elif args.command == "pages":
        time_whole_pages(args.database, runs=args.runs, only=args.only, profile=args.profile, out=args.json)
    else:
        time_queries(args.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
