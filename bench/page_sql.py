"""Every SQL statement one page sends, with its time, and optionally its plan (issue #9 item 7).

    python bench/page_sql.py --database URL /monitor/?period=this_year&group=unit [--explain] [--user commune]

Logs in as the bench's province (or commune) monitor (``bench/pages.py``), requests the page
twice (the first request warms the caches and keeps the medians a first view computes), then
lists the second request's statements: their milliseconds, the rows they returned and their
text on one line, and marks a statement sent twice with the same parameters (the same read
twice). ``--explain``: EXPLAIN (ANALYZE, BUFFERS) of each SELECT, after the request, on the same
connection settings (shared buffers warm, as a page finds them)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# ``--tree DIR``: another checkout's code (main's, to compare), its bench helpers too.
_TREE = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv else str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _TREE)

from bench import pages  # noqa: E402
from bench.stats import NOW, TODAY, _app  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--database", required=True)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--user", choices=["province", "commune"], default="province")
    parser.add_argument("--width", type=int, default=220)
    parser.add_argument("--tree", help="the checkout whose code serves the page (default: this one)")
    parser.add_argument("--summary", action="store_true",
                        help="with --explain: one line per statement (execution ms, shared buffers) instead of plans")
    args = parser.parse_args()
    import feedback.monitor.views as monitor_views
    from feedback.extensions import db

    app = _app(args.database)
    monitor_views.now_utc = lambda: NOW
    with app.app_context():
        pages.ensure_accounts(NOW)
        engine = db.engine
    client = app.test_client()
    pages.log_in(client, pages.PROVINCE_USER if args.user == "province" else pages.COMMUNE_USER)
    client.get(args.url)
    sent: list[list[Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append([statement, parameters, time.perf_counter(), 0.0, cursor])

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent[-1][3] = (time.perf_counter() - sent[-1][2]) * 1000
        sent[-1][4] = cursor.rowcount

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    tick = time.perf_counter()
    response = client.get(args.url)
    spent = (time.perf_counter() - tick) * 1000
    sa.event.remove(engine, "before_cursor_execute", before)
    sa.event.remove(engine, "after_cursor_execute", after)
    print(f"{args.url}: status {response.status_code}, {spent:.1f} ms, {len(sent)} statements, "
          f"{sum(s[3] for s in sent):.1f} ms in SQL\n")
    seen: dict[str, int] = {}
    for number, (statement, parameters, _, ms, rows) in enumerate(sent, 1):
        if args.summary:
            break
        flat = " ".join(statement.split())
        key = flat + repr(parameters)
        again = f" (again: #{seen[key]})" if key in seen else ""
        seen.setdefault(key, number)
        print(f"#{number:2d} {ms:7.2f} ms {rows:6d} rows{again}  {flat[:args.width]}")
    if args.explain:
        executed_ms, hits = 0.0, 0
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            for number, (statement, parameters, *_) in enumerate(sent, 1):
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                executed = next(line for line in plan if line.startswith("Execution Time"))
                executed_ms += float(executed.split(":")[1].split()[0])
                hits += sum(int(word.split("=")[1]) for line in plan[:1] + [next((x for x in plan if "Buffers:" in x), "")]
                            for word in line.split() if word.startswith(("hit=", "read=")))
                if args.summary:
                    buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
                    print(f"#{number:2d} {executed.split(':')[1].strip():>10} {buffers:36} "
                          + " ".join(statement.split())[:args.width - 60])
                    continue
                print(f"\n-- #{number}: " + " ".join(statement.split())[:args.width])
                for line in plan:
                    print("   " + line)
        print(f"\nEXPLAIN ANALYZE of the SELECTs: {executed_ms:.1f} ms executing, {hits} buffers (the first node's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
