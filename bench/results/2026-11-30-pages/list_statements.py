"""List the statements of one dashboard page with their call site (profiling aid, not committed)."""
import sys, time, traceback, re
from pathlib import Path
root = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(root))
import sqlalchemy as sa
from bench import stats, pages
url = sys.argv[2]
page = sys.argv[3] if len(sys.argv) > 3 else "/monitor/?period=this_year&group=unit"
app = stats._app(url)
import feedback.monitor.views as mv
mv.now_utc = lambda: stats.NOW
from feedback.extensions import db
with app.app_context():
    pages.ensure_accounts(stats.NOW)
    engine = db.engine
client = app.test_client()
pages.log_in(client, pages.PROVINCE_USER)
client.get(page)  # warm
got = []
def before(conn, cursor, statement, params, context, executemany):
    conn.info["t"] = time.perf_counter()
def after(conn, cursor, statement, params, context, executemany):
    ms = (time.perf_counter() - conn.info["t"]) * 1000
    frames = [f for f in traceback.extract_stack() if "/feedback/" in f.filename]
    site = " < ".join(f"{Path(f.filename).stem}.{f.name}:{f.lineno}" for f in reversed(frames[-4:]))
    got.append((ms, re.sub(r"\s+", " ", statement)[:150], site))
sa.event.listen(engine, "before_cursor_execute", before)
sa.event.listen(engine, "after_cursor_execute", after)
t = time.perf_counter(); r = client.get(page); body = r.get_data(); total = (time.perf_counter() - t) * 1000
for i, (ms, s, site) in enumerate(got, 1):
    print(f"{i:3d} {ms:7.1f}  {site}\n        {s}")
print(f"status {r.status_code}; {len(got)} statements, {sum(g[0] for g in got):.1f} ms SQL; page {total:.1f} ms")
