"""Each SQL statement of one page (its time, rows and first 200 characters), twice: the second
request's list is printed. Usage: statements.py DATABASE_URL URL [USER] (bench/pages.py's users).

    PYTHONPATH=<tree> .venv/bin/python bench/results/2026-12-01b-drill/statements.py \
        postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench_drill "/monitor/items?period=this_month&figure=received"
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.getcwd())

from bench import pages  # noqa: E402
from bench.stats import NOW, _app  # noqa: E402


def main() -> None:
    url, page = sys.argv[1], sys.argv[2]
    user = sys.argv[3] if len(sys.argv) > 3 else pages.PROVINCE_USER
    import feedback.monitor.views as views
    from feedback.extensions import db

    views.now_utc = lambda: NOW
    app = _app(url)
    with app.app_context():
        pages.ensure_accounts(NOW)
        engine = db.engine
    client = app.test_client()
    pages.log_in(client, user)
    seen: list[tuple[float, str]] = []
    slowest: list[tuple[float, str, Any]] = []
    started: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        ms = (time.perf_counter() - started.pop()) * 1000
        seen.append((ms, " ".join(statement.split())[:200]))
        slowest.append((ms, statement, args[0] if args else None))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    for run in range(2):
        seen.clear()
        tick, cpu = time.perf_counter(), time.process_time()
        response = client.get(page)
        body = response.get_data()
        spent, cpu_spent = (time.perf_counter() - tick) * 1000, (time.process_time() - cpu) * 1000
    print(f"{page}: {response.status_code}, {len(body)} bytes, {spent:.1f} ms wall, {cpu_spent:.1f} ms CPU of this "
          f"process, {len(seen)} statements, {sum(ms for ms, _ in seen):.1f} ms SQL; load {os.getloadavg()[0]:.1f}")
    for ms, text in seen:
        print(f"  {ms:7.1f}  {text}")
    if os.environ.get("BUFFERS"):  # every statement of the second request again under EXPLAIN: blocks and server ms
        blocks, server, count = 0, 0.0, len(seen)
        with app.app_context():
            with db.engine.connect() as conn:
                for _, statement, parameters in slowest[-len(seen):]:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    (plan,) = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                                   parameters).one()
                    top = plan[0]["Plan"]
                    blocks += top["Shared Hit Blocks"] + top["Shared Read Blocks"]
                    server += plan[0]["Execution Time"]
        print(f"BUFFERS {page}: {blocks} blocks, {server:.1f} ms executing on the server, {cpu_spent:.1f} ms CPU, "
              f"{count} statements")
    if os.environ.get("EXPLAIN"):  # EXPLAIN (ANALYZE, BUFFERS) of the second request's slowest statement holding it
        ms, statement, parameters = max((found for found in slowest[-len(seen):] if os.environ["EXPLAIN"] in found[1]),
                                        key=lambda found: found[0])
        with app.app_context():
            with db.engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        print("\n" + "\n".join(row[0] for row in plan))


if __name__ == "__main__":
    main()
