"""Process CPU per request of the dashboard pages, /units and the open data (time.process_time:
the session, the statistics' Python, the templates and the charts, not PostgreSQL's time), the
median and the least of ``runs`` after one warm-up request (the least is the least moved by
the other jobs on the machine), and the SQL statements each sends. Run once with
main's tree and once with the branch's, in turns (bench/results/2026-12-01-dash/ab_cpu.py with
the database as an argument, the statements counted, and the public pages' clock fixed).

    python ab_cpu.py <tree> <database url> <out.json> <runs> [label,texts]
"""
import json, os, statistics, sys, time
from datetime import datetime
from pathlib import Path
root, url, out, runs = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, root)
from bench import stats as b, pages
assert pages.__file__.startswith(root)
import feedback.monitor.views as mv
import feedback.public.scoreboard_views as sv
from feedback.extensions import db


class _Fixed(datetime):
    @classmethod
    def now(cls, tz=None):
        return b.NOW


KEEP = tuple(sys.argv[5].split(",")) if len(sys.argv) > 5 else ("dashboard by", "public /units", "open data")
app = b._app(url)
mv.now_utc = lambda: b.NOW
sv.datetime = _Fixed
with app.app_context():
    pages.ensure_accounts(b.NOW)
    watch = pages.Statements(db.engine)
clients = {}
for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
    clients[user] = app.test_client(); pages.log_in(clients[user], user)
rows = []
for case in pages.cases(b.TODAY):
    if not any(k in case.label for k in KEEP):
        continue
    client = clients[case.user]
    client.get(case.url).get_data()
    cpu = []
    for _ in range(runs):
        with watch.watching():
            t0 = time.process_time()
            body = client.get(case.url).get_data()
            cpu.append((time.process_time() - t0) * 1000)
    rows.append({"label": case.label, "cpu_ms": round(statistics.median(cpu), 1), "least_ms": round(min(cpu), 1),
                 "statements": watch.count,
                 "bytes": len(body)})
    print(f"| {case.label} | {rows[-1]['cpu_ms']} | {rows[-1]['least_ms']} | {watch.count} | {len(body)//1024} |",
          flush=True)
out.write_text(json.dumps({"code": root, "load_average": [round(x, 2) for x in os.getloadavg()], "runs": runs,
                           "pages": rows}, ensure_ascii=False, indent=1))
