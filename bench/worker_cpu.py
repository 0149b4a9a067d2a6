"""The CPU a Celery worker node as deployed spends per routed item (issue #11 item 1b): its main
process and its pool's children, and PostgreSQL's backends, read from ``/proc``.

    .venv/bin/python bench/worker_cpu.py --database feedback_prof_route --redis-db 13 [--n 300] [--rounds 3]

It makes the database as ``bench/profile_route.py`` does (``--reuse`` keeps an existing one,
not migrated, so that ``PYTHONPATH=<checkout>`` times another checkout's worker on the same
database), submits ``--n`` items per round through the intake service with their routing
messages held back, starts ``celery -A worker.app worker`` (prefork, one child per core, as
``bench/run.py`` part b starts it; ``--broker sqlite`` on the embedded SQLite broker), routes
10 items to warm it up, then per round sends the ``--n`` messages at once and waits until every
item is assigned. It prints, per round, the CPU milliseconds per item of the worker's main
process, of its children and of PostgreSQL's backends, and the wall time of the round; then the
medians. The worker is stopped at the end (by its pid); the database is dropped unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BIN, ROOT, cleaned_up, cpu_of, demo_database, production_env, received_reports, use


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="feedback_prof_route")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--n", type=int, default=300, help="items routed per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--broker", choices=["redis", "sqlite"], default="redis")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--flush", action="store_true", help="flush the Redis database at the end")
    args = parser.parse_args()
    checkout = os.environ.get("PYTHONPATH") or str(ROOT)
    env = production_env(args.database, args.redis_db, uploads=f"/tmp/{args.database}-uploads", PYTHONPATH=checkout)
    work = Path(tempfile.mkdtemp(prefix="worker-cpu-"))
    if args.broker == "sqlite":
        env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{work / 'broker.sqlite3'}"
    demo_database(args.database, env, reuse=args.reuse)
    use(env)
    with cleaned_up(args.database, env, keep=args.keep, flush=args.flush):
        run(args, env, checkout, work)
    return 0


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run(args: argparse.Namespace, env: dict[str, str], checkout: str, work: Path) -> None:
    from sqlalchemy import text

    from feedback import create_app, jobs
    from feedback.extensions import db

    app = create_app()
    total = 10 + args.n * args.rounds
    with app.app_context():
        ids = received_reports(total)  # their messages sent below, in rounds
    log = open(work / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen([str(BIN / "celery"), "-A", "worker.app", "worker", "--without-gossip",
                               "--without-mingle", "--loglevel", "INFO"], cwd=checkout,
                              env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while b"ready" not in (work / "worker.log").read_bytes():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError((work / "worker.log").read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        rows: list[tuple[float, float, float, float]] = []
        with app.app_context():
            print(f"code from {checkout}, broker {args.broker}, {args.n} items per round, "
                  f"load {os.getloadavg()[0]:.2f}")
            route(ids[:10], db, jobs)  # warm-up
            rest = ids[10:]
            for r in range(args.rounds):
                batch = rest[r * args.n:(r + 1) * args.n]
                pids = [worker.pid, *children_of(worker.pid)]
                backends = list(db.session.scalars(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")))
                db.session.remove()
                before_w, before_pg = cpu_of(pids), cpu_of(backends)
                wall = route(batch, db, jobs)
                after_w, after_pg = cpu_of(pids), cpu_of(backends)
                main_ms = (after_w[worker.pid] - before_w[worker.pid]) / len(batch) * 1000
                kids_ms = sum(after_w[p] - before_w[p] for p in pids[1:] if p in after_w) / len(batch) * 1000
                pg_ms = sum(after_pg[p] - before_pg.get(p, 0) for p in after_pg) / len(batch) * 1000
                rows.append((main_ms, kids_ms, pg_ms, wall))
                print(f"round {r + 1}: worker main {main_ms:.2f} ms, children {kids_ms:.2f} ms, "
                      f"PostgreSQL {pg_ms:.2f} ms per item; {len(batch) / wall:.0f} items/s; "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
        med = [statistics.median(c) for c in zip(*rows)]
        print(f"median: worker main {med[0]:.2f} ms, children {med[1]:.2f} ms, worker total {med[0] + med[1]:.2f} ms, "
              f"PostgreSQL {med[2]:.2f} ms per item")
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
        log.close()


def route(batch: list[int], db: Any, jobs: Any) -> float:
    """Send the routing of ``batch`` at once and wait (at most 300 s) until all are assigned."""
    from sqlalchemy import text

    started = time.monotonic()
    for feedback_id in batch:
        jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)
    deadline = started + 300
    while time.monotonic() < deadline:
        left = db.session.scalar(text("SELECT count(*) FROM feedback WHERE id = ANY(:ids) AND status = 'received'"),
                                 {"ids": batch})
        db.session.remove()
        if not left:
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"{left} of {len(batch)} items still received after 300 s")


if __name__ == "__main__":
    sys.exit(main())
