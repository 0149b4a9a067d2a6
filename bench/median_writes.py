"""Cost of one answer's rollup writes (``rollups.apply_deltas``: the chained upsert) with and
without the histogram's 15 rows, alternated 300 times each, every transaction rolled back, on a
bench database.

    python bench/median_writes.py postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench
"""
import sys, time, statistics as st, random
from datetime import date, datetime, UTC
from pathlib import Path
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
from config import TestConfig
from feedback import create_app
from feedback.extensions import db
from feedback.services.statistics import rollups
url = sys.argv[1]
app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=Path('/tmp/feedback-bench-uploads'))
real = rollups.histogram_rows
rng = random.Random(3)
with app.app_context():
    s = db.session()
    times = {"with": [], "without": []}
    for i in range(300):
        for mode in ("with", "without") if i % 2 else ("without", "with"):
            rollups.histogram_rows = real if mode == "with" else (lambda row: [])
            unit = rng.choice(range(2, 56)); village = 56 + rng.randrange(1452)
            row = {"measure": "answered", "unit_id": unit, "locality_id": village, "commune_id": 2 + (village - 56) % 54,
                   "village_id": village, "topic_id": 9 + rng.randrange(32), "kind": "report", "day": date(2026, 11, 30),
                   "on_time": True, "satisfied": False, "seconds": rng.randrange(7200, 3_000_000)}
            t = time.perf_counter()
            rollups.apply_deltas(s, [(1, row)])
            times[mode].append(time.perf_counter() - t)
            s.rollback()
    rollups.histogram_rows = real
    for mode, v in times.items():
        print(mode, f"median {st.median(v)*1000:.2f} ms, p90 {sorted(v)[int(len(v)*0.9)]*1000:.2f} ms over {len(v)}")
