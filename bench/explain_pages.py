"""The statements of the staff list pages (issue #11 item 2) with what each reads: EXPLAIN (ANALYZE,
BUFFERS) of every statement one GET sends, and the request's process CPU time.

Against a database kept by ``bench/run.py --parts d --keep`` (it writes only what a login writes,
as ``bench/profile_inbox.py`` does: the users of the pages asked log in; the list pages and
EXPLAIN ANALYZE of their SELECTs write nothing): for each page, one warm-up GET, then
``--repeat`` GETs timed in process CPU (``time.process_time``: what load does not move), then one
GET whose statements are captured with their parameters and EXPLAINed on the same connection.
Per statement it prints its execution time, the shared buffers hit and read, and the plan's
top node; ``--plans`` prints the whole plans. ``PYTHONPATH=<checkout>`` runs another checkout's
code on the same database::

    .venv/bin/python bench/explain_pages.py --database feedback_bench_inbox --redis-db 12
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from typing import Any

from _common import logged_in, production_env, use

PAGES = {
    "unit: no filter": ("unit", "/unit/"),
    "unit: in progress": ("unit", "/unit/?status=in_progress"),
    "unit: answered": ("unit", "/unit/?status=answered"),
    "unit: overdue": ("unit", "/unit/?overdue=1"),
    "unit: overdue page 3": ("unit", "/unit/?overdue=1&page=3"),
    "admin: overdue": ("admin", "/admin/items?overdue=1"),
}
LOGINS = {"admin": ("admin", "admin-demo-2026"), "unit": ("canbo.hatu", "canbo-demo-2026")}
_BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pages", help="comma-separated labels (default all)")
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    use(production_env(args.database, args.redis_db, LOGIN_RATE_LIMIT="100000 per minute"))
    from sqlalchemy import event

    import feedback
    from feedback import create_app
    from feedback.extensions import db

    app = create_app(WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    chosen = set(args.pages.split(",")) if args.pages else set(PAGES)
    clients = {}
    for role, (username, password) in LOGINS.items():
        if not any(PAGES[name][0] == role for name in chosen):
            continue  # log in only as the users of the pages asked (a login writes its session)
        clients[role] = logged_in(app, username, password)
    result: dict[str, Any] = {"label": args.label, "code": os.path.dirname(os.path.dirname(feedback.__file__)),
                              "load": os.getloadavg(), "pages": {}}
    print(f"code from {result['code']}, load average {result['load'][0]:.2f}")
    for name, (role, url) in PAGES.items():
        if name not in chosen:
            continue
        client = clients[role]
        client.get(url)
        cpu = []
        for _ in range(args.repeat):
            began = time.process_time()
            response = client.get(url)
            cpu.append(round((time.process_time() - began) * 1000, 1))
            assert response.status_code == 200, (url, response.status_code)
        captured: list[tuple[str, Any]] = []

        def record(conn: Any, cursor: Any, statement: str, parameters: Any, *a: Any) -> None:
            captured.append((statement, parameters))

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            client.get(url)
            event.remove(db.engine, "before_cursor_execute", record)
            rows: list[dict[str, Any]] = []
            with db.engine.connect() as conn:
                raw: Any = conn.connection.dbapi_connection  # psycopg's connection
                for statement, parameters in captured:
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        plan: list[str] = [line for (line,) in cursor.fetchall()]
                    hit = read = 0
                    for line in plan:  # the first Buffers line is the top node's (its children's included)
                        if line.strip().startswith("Planning"):
                            break
                        if (m := _BUFFERS.search(line)) is not None:
                            hit, read = int(m.group(1) or 0), int(m.group(2) or 0)
                            break
                    ms = next((float(line.split(":")[1].split()[0]) for line in plan if "Execution Time" in line), 0.0)
                    rows.append({"ms": ms, "hit": hit, "read": read, "sql": " ".join(statement.split())[:120],
                                 "plan": plan})
                raw.rollback()
        entry = {"cpu_ms": statistics.median(cpu), "cpu": cpu, "statements": len(rows),
                 "buffers": sum(r["hit"] + r["read"] for r in rows), "sql_ms": round(sum(r["ms"] for r in rows), 2),
                 "each": [{k: v for k, v in r.items() if k != "plan"} for r in rows]}
        result["pages"][name] = entry
        print(f"{name:<22} CPU {entry['cpu_ms']:6.1f} ms (median of {cpu}), {len(rows)} statements, "
              f"{entry['buffers']} buffers, {entry['sql_ms']} ms in the database")
        for r in rows:
            print(f"    {r['ms']:8.2f} ms {r['hit']:6d} hit {r['read']:5d} read  {r['sql']}")
            if args.plans:
                print("\n".join("        " + line for line in r["plan"]))
    if args.json:
        with open(args.json, "a", encoding="utf-8") as out:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
