"""EXPLAIN (ANALYZE, BUFFERS) of the statements that compute the medians of the dashboard's first
views not computed ahead (issue #9 item 7), on a bench database: for each question, every
statement ``queries.median_seconds`` sends (through the histogram or ``percentile_cont``), its
time, the groups found, and the plan's top lines with the buffers read. Read only.

    python bench/median_explain.py postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench [--plans]

Runs the code on ``sys.path`` first (``PYTHONPATH=/work/main`` for main's).
"""
import sys
import time
from datetime import date
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: main's code with PYTHONPATH=/work/main
import sqlalchemy as sa

from config import TestConfig
from feedback import create_app
from feedback.domain.statistics import Period, trend_period
from feedback.extensions import db
from feedback.services.statistics import Scope
from feedback.services.statistics.queries import filters_of, median_seconds

url, plans = sys.argv[1], "--plans" in sys.argv
app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=Path("/tmp/feedback-bench-uploads"))
TODAY = date(2026, 11, 30)
# The bench directory (bench/pages.py): province 1, commune 7, topic area 3 and its leaf 17, unit 7.
PROVINCE, COMMUNE, AREA, LEAF, UNIT = 1, 7, 3, 17, 7
custom, year = Period(date(2026, 2, 17), date(2026, 10, 9)), Period.named("this_year", TODAY)
province = Scope(territory_id=PROVINCE)
QUESTIONS = [
    ("custom 17/2-9/10, province", custom, province, ("unit", "month", None)),
    ("this_year, province", year, province, ("topic", "village")),
    ("this_year, topic area", year, Scope(territory_id=PROVINCE, topic_id=AREA), ("unit", "month", None)),
    ("this_year, leaf topic", year, Scope(territory_id=PROVINCE, topic_id=LEAF), ("commune", "unit", "month", None)),
    ("this_year, unit + commune", year, Scope(territory_id=PROVINCE, unit_id=UNIT, locality_id=COMMUNE),
     ("topic", "unit", "month", None)),
    ("this_year, commune monitor", year, Scope(territory_id=COMMUNE), ("topic", "unit", "month", None)),
]


def main() -> None:
    with app.app_context():
        session = db.session()
        sent: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if "percentile_cont" in statement or "stat_answer_hist" in statement:
                sent.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        for label, period, scope, groups in QUESTIONS:
            f = filters_of(session, scope)
            for group in groups:
                asked = trend_period(period) if group == "month" else period
                sent.clear()
                tick = time.perf_counter()
                found = median_seconds(session, asked, group, f)
                ms = (time.perf_counter() - tick) * 1000
                kinds = ["histogram" if "stat_answer_hist" in s else "percentile_cont" for s, _ in sent]
                print(f"## {label}, by {group or 'totals'}: {ms:.0f} ms, {len(found)} groups, {kinds}")
                for statement, parameters in list(sent):
                    cursor = session.connection().connection.driver_connection.cursor()
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                    lines = [row[0] for row in cursor.fetchall()]
                    buffers = next((line.strip() for line in lines if "Buffers" in line), "")
                    total = next((line.strip() for line in lines if "Execution Time" in line), "")
                    print(f"   {total}; top: {buffers}")
                    if plans:
                        print("\n".join("      " + line for line in lines))
                session.rollback()
        sa.event.remove(db.engine, "before_cursor_execute", record)


main()
