"""EXPLAIN ANALYZE of the histogram's median statement (units, communes, all) for 10/2/2025 to
20/1/2026 on a bench database (its name), second of two runs.

    python bench/median_explain.py feedback_bench
"""
import sys
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
from datetime import date
import psycopg
from feedback.services.statistics.histogram import _statement
from feedback.domain.median_buckets import spans_covering
db = sys.argv[1]
first, last = date(2025, 2, 10), date(2026, 1, 20)
with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db}") as conn:
    for dim in ("unit", "commune", "all"):
        sql = _statement(dim, False)
        params = {"dimension": dim, "spans": spans_covering(first, last), "first": first, "last": last}
        sql = sql.replace(":dimension", "%(dimension)s").replace(":spans", "%(spans)s").replace(":first", "%(first)s").replace(":last", "%(last)s")
        for run in range(2):
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).fetchall()
        print(f"### {dim}, {first}..{last} (second run)")
        print("\n".join(r[0] for r in rows))
