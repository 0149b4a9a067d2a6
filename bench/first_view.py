"""One dashboard page's first view statement by statement (issue #9 item 7): the medians kept by
earlier views are forgotten (those computed ahead stay), then the page is requested twice, and
each request's statements are listed with their time (execute to the end of the fetch is not
split) and first line, the slowest first, with the totals and the process CPU. Read only
besides ``stat_median`` and the bench accounts.

    python bench/first_view.py postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench '<url>' [province|commune]

Runs the code on ``sys.path`` first (``PYTHONPATH=/work/main`` for main's).
"""
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH
import sqlalchemy as sa

from bench import pages
from bench.stats import NOW, _app, _forget_kept
from feedback.extensions import db

url, page = sys.argv[1], sys.argv[2]
user = pages.COMMUNE_USER if sys.argv[3:] == ["commune"] else pages.PROVINCE_USER
app = _app(url)
import feedback.monitor.views as monitor_views  # noqa: E402

monitor_views.now_utc = lambda: NOW
with app.app_context():
    pages.ensure_accounts(NOW)
    print(f"forgot {_forget_kept(db.session())} kept medians")
    engine = db.engine
client = app.test_client()
pages.log_in(client, user)
sent: list[tuple[float, str]] = []
started = [0.0]


def before(*args):  # noqa: ANN001, ANN002
    started[0] = time.perf_counter()


def after(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
    sent.append(((time.perf_counter() - started[0]) * 1000, " ".join(statement.split())[:150]))


sa.event.listen(engine, "before_cursor_execute", before)
sa.event.listen(engine, "after_cursor_execute", after)
for label in ("first", "second"):
    sent.clear()
    cpu, tick = time.process_time(), time.perf_counter()
    status = client.get(page).status_code
    wall, cpu = (time.perf_counter() - tick) * 1000, (time.process_time() - cpu) * 1000
    print(f"## {label}: {status}, {wall:.0f} ms wall, {cpu:.0f} ms CPU of this process, {len(sent)} statements, "
          f"{sum(ms for ms, _ in sent):.0f} ms in them")
    for ms, statement in sorted(sent, reverse=True)[:12]:
        print(f"   {ms:7.1f} ms  {statement}")
