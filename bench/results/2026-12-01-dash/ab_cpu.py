"""The Python side of the same pages: the client process's CPU time per request (time.process_time:
the session, the statistics' Python, the templates and the charts, not the time PostgreSQL
spends), the median of ``runs`` after one warm-up request. Less moved by the machine's load than
the wall time, which waits for PostgreSQL and for the CPU."""
import json, os, statistics, sys, time
from pathlib import Path
root, out, runs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, root)
from bench import stats as b, pages
assert pages.__file__.startswith(root)
import feedback.monitor.views as mv
KEEP = tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ("dashboard by", "public /units", "open data")
app = b._app("postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench_dash")
mv.now_utc = lambda: b.NOW
with app.app_context():
    pages.ensure_accounts(b.NOW)
clients = {}
for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
    clients[user] = app.test_client(); pages.log_in(clients[user], user)
rows = []
for case in pages.cases(b.TODAY):
    if not any(k in case.label for k in KEEP):
        continue
    client = clients[case.user]
    client.get(case.url).get_data()
    cpu, wall = [], []
    for _ in range(runs):
        t0, w0 = time.process_time(), time.perf_counter()
        body = client.get(case.url).get_data()
        cpu.append((time.process_time() - t0) * 1000); wall.append((time.perf_counter() - w0) * 1000)
    rows.append({"label": case.label, "cpu_ms": round(statistics.median(cpu), 1), "wall_ms": round(statistics.median(wall), 1), "bytes": len(body)})
    print(f"| {case.label} | {rows[-1]['cpu_ms']} | {rows[-1]['wall_ms']} | {len(body)//1024} |", flush=True)
out.write_text(json.dumps({"code": root, "load_average": [round(x, 2) for x in os.getloadavg()], "runs": runs, "pages": rows}, ensure_ascii=False, indent=1))
