"""The medians through the answers' histogram against percentile_cont on a bench database
(issue #9 item 7), per unit, commune, topic and in all, for two fixed and four random ranges; prints
whether they are equal and the time of each (one call, so the first is cold).

    python bench/median_check.py postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench
"""
import sys, time, random
from datetime import date, timedelta
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
import sqlalchemy as sa
from config import TestConfig
from pathlib import Path
from feedback import create_app
from feedback.extensions import db
from feedback.services.statistics.histogram import histogram_medians
url = sys.argv[1]
app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=Path('/tmp/feedback-bench-uploads'))
with app.app_context():
    s = db.session()
    r = random.Random(5)
    ranges = [(date(2025,2,10), date(2026,1,20)), (date(2026,2,17), date(2026,10,9))]
    for _ in range(4):
        a = date(2017,1,1)+timedelta(days=r.randrange(3400)); ranges.append((a, a+timedelta(days=r.randrange(400))))
    for a, b in ranges:
        for dim, col in (("unit", "unit_id"), ("commune", "commune_id"), ("all", "0"), ("topic", "topic_id")):
            t = time.perf_counter(); got = histogram_medians(s, a, b, dim); t1 = time.perf_counter() - t
            t = time.perf_counter()
            want = {g: float(v) for g, v in s.execute(sa.text(f"SELECT {col}, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM stat_fact WHERE measure='answered' AND day BETWEEN :a AND :b GROUP BY 1"), {"a": a, "b": b})}
            t2 = time.perf_counter() - t
            print(a, b, dim, len(got), got == want, f"hist {t1*1000:.1f} ms, percentile_cont {t2*1000:.1f} ms")
            if got != want:
                print([ (k, got.get(k), want.get(k)) for k in want if got.get(k) != want[k]][:5])
