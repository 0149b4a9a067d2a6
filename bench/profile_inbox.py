"""Time the unit inbox's pages in process (issue #11 items 1d/2), with each statement and its time.

Against a database kept by ``bench/run.py --parts d --keep`` (migrated, the demo accounts loaded,
items generated): logs in as the demo officer (``canbo.hatu``) through the Flask test client,
then for each page (no filter, in progress, overdue) one warm-up GET and ``--repeat`` timed ones
(the median and every time are printed), and the statements of one GET with their own times.
Runs no migration, so that the code of another checkout (``PYTHONPATH=<checkout>``) can be timed
on the same database, alternated::

    .venv/bin/python bench/profile_inbox.py --database feedback_bench_inbox --redis-db 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from _common import logged_in, production_env, use

PAGES = {"no filter": "/unit/", "in progress": "/unit/?status=in_progress", "overdue": "/unit/?overdue=1"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    parser.add_argument("--label", default="", help="a label for the JSON line (which code)")
    args = parser.parse_args()
    use(production_env(args.database, args.redis_db, LOGIN_RATE_LIMIT="100000 per minute"))
    from sqlalchemy import event

    import feedback
    from feedback import create_app
    from feedback.extensions import db

    app = create_app(WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    client = logged_in(app, "canbo.hatu", "canbo-demo-2026")
    result: dict[str, Any] = {"label": args.label, "code": os.path.dirname(os.path.dirname(feedback.__file__)),
                              "load": os.getloadavg(), "pages": {}}
    print(f"code from {result['code']}, load average {result['load'][0]:.2f}")
    for name, url in PAGES.items():
        statements: list[list[Any]] = []
        started: list[float] = []

        def before(*a: Any) -> None:
            started.append(time.perf_counter())

        def after(*a: Any) -> None:
            statements.append([round((time.perf_counter() - started.pop()) * 1000, 2), " ".join(a[2].split())[:160]])

        times = []
        for i in range(args.repeat + 2):
            with app.app_context():
                if i == 1:
                    event.listen(db.engine, "before_cursor_execute", before)
                    event.listen(db.engine, "after_cursor_execute", after)
                began = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - began) * 1000
                if i == 1:
                    event.remove(db.engine, "before_cursor_execute", before)
                    event.remove(db.engine, "after_cursor_execute", after)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if i > 1:
                times.append(round(elapsed, 1))
        entry = {"ms": round(statistics.median(times), 1), "times": times, "statements": statements}
        result["pages"][name] = entry
        print(f"{name:<12} {entry['ms']:7.1f} ms (median of {len(times)}: {times}), {len(statements)} statements")
        for ms, sql in statements:
            print(f"    {ms:7.2f} ms  {sql}")
    if args.json:
        with open(args.json, "a", encoding="utf-8") as out:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
