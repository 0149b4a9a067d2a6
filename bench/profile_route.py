"""In-process profile of routing one item as the worker's ``route_feedback`` task does (issue #11
item 1b): the CPU, wall time and statements per routed item, against PostgreSQL and Redis.

    .venv/bin/python bench/profile_route.py --database feedback_prof_route --redis-db 13 [--n 200] [--profile]

It makes the database as ``bench/run.py`` does for part b (migrations and the demo directory;
``--reuse`` keeps an existing one and does not migrate it, so that ``PYTHONPATH=<checkout>`` times
another checkout's code on the same database), submits ``--n`` items per mode through the intake
service (their routing messages held back, as part b's ``--route-feed enqueue`` does), then, after
a warm-up of 10, routes them one by one in this process, in three modes alternated item by item:

- ``run``: the task's function body (``route_feedback.run``) inside an app context, the session
  removed after it, as the worker's task does;
- ``call``: the task called (``route_feedback(id)``: Celery's ``__call__``, Flask's app context);
- ``apply``: ``route_feedback.apply(args=[id])``, Celery's eager execution through its tracer
  (request context, signals, state): the task machinery's own overhead is ``apply`` minus ``call``.

For each it prints the median and p90 of the wall time, of this process's CPU
(``time.process_time``) and the statement count per item, with the statements of one item; and
PostgreSQL's CPU per item over all modes (its backends' user and system time from ``/proc``: the
server must run on this machine).
``--profile`` keeps a cProfile of the ``call`` mode in ``/tmp/profile_route.prof`` (timed by this
process's CPU, so that waits for PostgreSQL do not show) and prints it sorted by cumulative and by
own time. Every item routes to the same unit by the same path (the
demo commune's People's Committee, as in part b; ``--email`` gives the items the resident's email,
which part b's do not, adding the confirmation and the "routed" notice). The database is dropped at the end unless
``--keep``; ``--flush`` flushes the Redis database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import ROOT, cleaned_up, cpu_of, demo_database, production_env, received_reports, use

MODES = ("run", "call", "apply")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="feedback_prof_route")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--n", type=int, default=200, help="items routed per mode")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--email", action="store_true",
                        help="items with the resident's email (confirmation and routed notice); part b has none")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--flush", action="store_true", help="flush the Redis database at the end")
    args = parser.parse_args()
    env = production_env(args.database, args.redis_db, uploads=f"/tmp/{args.database}-uploads",
                         PYTHONPATH=os.environ.get("PYTHONPATH") or str(ROOT))
    demo_database(args.database, env, reuse=args.reuse)
    use(env)
    with cleaned_up(args.database, env, keep=args.keep, flush=args.flush):
        run(args)
    return 0


def run(args: argparse.Namespace) -> None:
    from sqlalchemy import event

    import feedback
    from feedback.extensions import db
    from worker.app import flask_app as app
    from worker.tasks.routing import route_feedback

    print(f"code from {Path(feedback.__file__).resolve().parents[1]}")
    with app.app_context():
        engine = db.engine
        ids = received_reports(10 + args.n * len(MODES), email="dan@example.vn" if args.email else None)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def body(feedback_id: int) -> Any:
        with app.app_context():
            return route_feedback.run(feedback_id)

    routes = {"run": body, "call": route_feedback, "apply": lambda i: route_feedback.apply(args=[i]).get()}
    for feedback_id in ids[:10]:  # warm-up: connect, compile, fill caches
        route_feedback(feedback_id)
    measured: dict[str, dict[str, list[float]]] = {m: {"wall": [], "cpu": [], "statements": []} for m in MODES}
    one: dict[str, list[str]] = {}
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
    rest = ids[10:]
    backends = server_cpu(engine)
    for n, feedback_id in enumerate(rest):
        mode = MODES[n % len(MODES)]
        statements.clear()
        if profiler and mode == "call":
            profiler.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = routes[mode](feedback_id)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler and mode == "call":
            profiler.disable()
        assert outcome["outcome"] == "assigned", outcome
        measured[mode]["wall"].append(wall * 1000)
        measured[mode]["cpu"].append(cpu * 1000)
        measured[mode]["statements"].append(len(statements))
        one.setdefault(mode, list(statements))
    server = (server_cpu(engine, backends) or 0.0) / len(rest) * 1000
    load = os.getloadavg()
    print(f"{len(rest) // len(MODES)} items per mode, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'mode':<6} {'wall p50':>9} {'wall p90':>9} {'CPU p50':>8} {'CPU p90':>8} {'CPU mean':>9} statements")
    for mode in MODES:
        m = measured[mode]
        print(f"{mode:<6} {statistics.median(m['wall']):9.2f} {quantile(m['wall'], 0.9):9.2f} "
              f"{statistics.median(m['cpu']):8.2f} {quantile(m['cpu'], 0.9):8.2f} {statistics.mean(m['cpu']):9.2f} "
              f"{int(max(m['statements']))}")
    print(f"PostgreSQL's CPU per routed item (its backends' utime+stime, all modes): {server:.2f} ms")
    print("statements of one item (call):")
    for sql in one["call"]:
        print("   ", " ".join(sql.split())[:160])
    if profiler:
        profiler.dump_stats("/tmp/profile_route.prof")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


def server_cpu(engine: Any, since: dict[int, float] | None = None) -> Any:
    """The CPU seconds of the PostgreSQL backends serving this database (the server runs on this
    machine; this process is their only client): per backend pid, or with ``since`` the total
    spent since then (backends that came later count from zero)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        pids = list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
    now = cpu_of(pids)
    if since is None:
        return now
    return sum(cpu - since.get(pid, 0.0) for pid, cpu in now.items())


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    sys.exit(main())
