"""One benchmark command (issue #11): submissions beside the stack's floor, routing latency, the
deadline scan, staff pages at scale and memory, against PostgreSQL and Redis.

    .venv/bin/python bench/run.py                       # every part at 1,000,000 items
    .venv/bin/python bench/run.py --size 100000 --seconds 5 --route-seconds 5    # a quick run
    .venv/bin/python bench/run.py --parts c,d --size 1000000 --size 10000000

Parts: a = submission throughput (HTML form POST with its CSRF token and form key, the Open311
POST when the app has it, and a minimal reference endpoint: Flask parsing the form, one INSERT
through a raw psycopg pool, JSON), each under gunicorn with one worker per core, driven by wrk for
a fixed time, alternating A B A B; b = routing latency from the submission's commit to the
assignment's commit at a steady rate with one Celery worker, Redis broker and embedded SQLite
broker; c = one deadline scan tick at each size (1 % of the running clocks falling due in it,
and an idle tick); d = staff pages at each size (admin and unit lists, dashboard, routing one
item); e = peak RSS of a web worker and of the Celery worker after the load.

It makes its own database (``feedback_bench_perf``, dropped at the end unless ``--keep``) and
uses Redis database 8 (flushed at the end); items are generated in SQL with a progress bar. It
prints a table and writes ``bench/results/<date>.json``. Everything it starts is stopped when it
ends, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG = "postgresql://postgres@127.0.0.1:5432"
FORM = {
    "kind": "report",
    "commune": "",  # filled from the demo directory
    "village": "",
    "topic": "",
    "title": "Rác tồn đọng ở đầu ngõ",
    "body": "Rác không được thu gom ba ngày nay, bốc mùi khó chịu cho cả khu phố.",
    "name": "",
    "phone": "",
    "email": "",
}
# The schema the items are generated at: before the unit inbox's kept counts (0027), whose
# triggers on every inserted item made a 10,000,000-item load take hours; the upgrade after the
# load fills them in one statement.
LOAD_AT = "0026"
GENERATE_CHUNK = 20_000  # bounded: the triggers take an advisory lock per item touched, in the shared lock table
YEARS = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="a,b,c,d,e", help="comma-separated parts to run (default all)")
    parser.add_argument("--size", type=int, action="append", help="items for parts c and d (repeatable; 1000000)")
    parser.add_argument("--seconds", type=float, default=10, help="wrk time per run in part a (10)")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds in part a (2: A B A B)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers in part a, for both apps (one per core)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="gunicorn worker class in part a, for both apps (sync; the README's production "
                             "command uses gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker in part a (4)")
    parser.add_argument("--rate", type=float, default=100, help="submissions per second in part b (100)")
    parser.add_argument("--route-seconds", type=float, default=20, help="duration of each part b run (20)")
    parser.add_argument("--brokers", default="redis,sqlite", help="brokers of part b (redis,sqlite)")
    parser.add_argument("--route-feed", choices=("submit", "enqueue"), default="submit",
                        help="part b: 'submit' calls the intake service at the rate in the bench process "
                             "(latency from the submission's commit); 'enqueue' submits the items first and "
                             "sends only their routing messages at the rate (latency from the send)")
    parser.add_argument("--database", default="feedback_bench_perf")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the database (and the work folder) at the end")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database kept by an earlier --keep run and its generated items")
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    args.size = sorted(set(args.size or [1_000_000]))
    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        bench.run()
    finally:
        bench.cleanup()
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, in MB."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return round(int(match.group(1)) / 1024, 1) if match else None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} "
                     f"{time.monotonic() - started:6.1f} s")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="feedback-bench-"))
        self.db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}"
        self.dsn = f"{PG}/{args.database}"
        self.redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.results: dict[str, Any] = {
            "started_at": self.now.isoformat(),
            "machine": machine(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        }
        self.env = dict(os.environ)
        self.env.update(
            FEEDBACK_ENV="production",
            SECRET_KEY=secrets.token_hex(32),
            DATABASE_URL=self.db_url,
            REDIS_URL=self.redis_url,
            CELERY_BROKER_URL=self.redis_url,
            UPLOAD_DIR=str(self.tmp / "uploads"),
            SUBMIT_RATE_LIMIT="100000000 per minute",
            LOGIN_RATE_LIMIT="100000 per minute",
            TRACK_RATE_LIMIT="100000000 per minute",
            PYTHONPATH=str(ROOT),
        )
        self.app: Any = None
        self.generated = 0

    # ---------------------------------------------------------------- lifecycle

    def run(self) -> None:
        print(f"benchmark database {self.args.database}, Redis db {self.args.redis_db}, work folder {self.tmp}")
        self.create_database()
        os.environ.update(self.env)  # config.py reads the environment once, at import
        sys.path.insert(0, str(ROOT))
        if "a" in self.args.parts or "e" in self.args.parts:
            self.part_a()
        if "b" in self.args.parts or "e" in self.args.parts:
            self.part_b()
        generated = self.generated
        for size in self.args.size:
            if not {"c", "d"} & self.args.parts:
                break
            if generated < size:
                generated = self.generate(generated, size)
            if "c" in self.args.parts:
                self.part_c(size)
            if "d" in self.args.parts:
                self.part_d(size)
        self.results["finished_at"] = datetime.now(UTC).isoformat()
        self.report()

    def cleanup(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        if self.app is not None:
            from feedback.extensions import db

            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        try:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        except Exception as error:  # noqa: BLE001 - cleanup goes on
            print(f"could not flush Redis db {self.args.redis_db}: {error}", file=sys.stderr)
        if not self.args.keep:
            self.admin_sql(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
        if not self.args.keep:
            subprocess.run(["rm", "-rf", str(self.tmp)], check=False)

    def admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.args.database,)).fetchone()
        reuse = self.args.reuse and exists
        if not reuse:
            self.admin_sql(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
            self.admin_sql(f'CREATE DATABASE "{self.args.database}"')
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        # A new database for parts c and d is loaded at LOAD_AT and upgraded after the items are
        # generated, with the demo's directory and accounts but none of its items (their handling
        # writes the rollups of migrations after LOAD_AT); one for the other parts is made at head
        # with the demo's items.
        at = [LOAD_AT] if not reuse and {"c", "d"} & self.args.parts else []
        for command in (["db", "upgrade", *at], ["demo", "load", *(["--items", "0"] if at else [])]):
            subprocess.run([*flask, *command], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_reference (id bigserial PRIMARY KEY, kind text, "
                         "commune text, topic text, title text, body text, created_at timestamptz DEFAULT now())")
            self.generated = conn.execute("SELECT count(*) FROM feedback WHERE code LIKE 'BN-%%'").fetchone()[0]
            if reuse:
                print(f"reusing {self.args.database}: {self.generated:,} generated items")
            commune, village, unit = conn.execute(
                "SELECT c.code, v.code, u.code FROM unit u JOIN locality c ON c.id = u.locality_id "
                "JOIN locality v ON v.parent_id = c.id WHERE u.kind = 'commune_committee' "
                "AND EXISTS (SELECT 1 FROM user_account a WHERE a.username = 'canbo.hatu') "
                "ORDER BY (u.code LIKE '%hatu%' OR u.name LIKE '%Hà Tu%') DESC, c.code, v.code LIMIT 1").fetchone()
            topic = conn.execute("SELECT code FROM topic WHERE active AND parent_id IS NOT NULL "
                                 "ORDER BY code LIMIT 1").fetchone()[0]
        FORM.update(commune=commune, village=village, topic=topic)
        self.unit_code = unit

    def flask_app(self) -> Any:
        if self.app is None:
            from feedback import create_app

            self.app = create_app(WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
        return self.app

    def start(self, command: list[str], name: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.processes:
            self.processes.remove(process)

    # ---------------------------------------------------------------- part a

    def part_a(self) -> None:
        workers = self.args.workers or os.cpu_count() or 1
        threads = self.args.threads if self.args.worker_class == "gthread" else 1
        app_port, ref_port = free_port(), free_port()
        # The same gunicorn for both apps: the ratio compares the apps, not two servers.
        gunicorn = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", self.args.worker_class,
                    "--threads", str(threads), "--log-level", "warning"]
        server = (f"gunicorn, {workers} {self.args.worker_class} worker(s)"
                  + (f" of {threads} threads" if self.args.worker_class == "gthread" else "") + ", for both apps")
        web = self.start([*gunicorn, "--bind", f"127.0.0.1:{app_port}", "wsgi:app"], "web")
        # The reference's pool has a connection for each thread of a worker, as ours can.
        ref_env = {**self.env, "BENCH_REFERENCE_DSN": self.dsn, "BENCH_REFERENCE_POOL": str(max(2, threads))}
        ref = self.start([*gunicorn, "--bind", f"127.0.0.1:{ref_port}", "--chdir", str(ROOT / "bench"),
                          "reference_app:app"], "reference", ref_env)
        for port in (app_port, ref_port):
            wait_for_port(port)
        cookie, csrf, key = fetch_form(app_port)
        form_fields = {**FORM, "csrf_token": csrf, "submission_key": key}
        runs: dict[str, list[dict[str, Any]]] = {"form": [], "reference": []}
        open311 = self.open311_target(app_port)
        if open311 is not None:
            runs["open311"] = []
        print(f"part a: {server}, wrk {self.args.seconds:g} s x {self.args.rounds} rounds, "
              f"{self.args.connections} connections")
        # Warm-up (discarded): every worker has served, compiled its templates and filled its pools.
        self.wrk(app_port, "/submit", form_fields, cookie, "multipart", seconds=3)
        self.wrk(ref_port, "/reference", form_fields, "", "multipart", seconds=3)
        items_before = self.count_items()
        for _round in range(self.args.rounds):
            runs["form"].append(self.wrk(app_port, "/submit", form_fields, cookie, "multipart"))
            runs["reference"].append(self.wrk(ref_port, "/reference", form_fields, "", "multipart"))
            if open311 is not None:
                path, fields = open311
                runs["open311"].append(self.wrk(app_port, path, fields, "", "urlencoded"))
        # Every request answered without error must have made an item (a repeat would make none).
        made = self.count_items() - items_before
        sent = sum(r["requests"] - r["errors"] for name in ("form", "open311") for r in runs.get(name, []))
        print(f"  {made} items made by {sent} form and Open311 requests answered without error")
        web_rss = [peak_rss_mb(pid) for pid in children(web.pid)]
        self.stop(web)
        self.stop(ref)
        summary: dict[str, Any] = {"items_made": made, "requests_answered": sent, "server": server,
                                   "workers": workers, "worker_class": self.args.worker_class, "threads": threads,
                                   "seconds": self.args.seconds, "rounds": self.args.rounds,
                                   "connections": self.args.connections, "runs": runs}
        reference_rps = statistics.mean(r["rps"] for r in runs["reference"])
        for name, results in runs.items():
            summary[name] = {
                "rps": round(statistics.mean(r["rps"] for r in results), 1),
                "p50_ms": round(statistics.mean(r["p50_ms"] for r in results), 2),
                "p99_ms": round(statistics.mean(r["p99_ms"] for r in results), 2),
                "errors": sum(r["errors"] for r in results),
                "ratio": round(statistics.mean(r["rps"] for r in results) / reference_rps, 3) if reference_rps else None,
            }
        if open311 is None:
            summary["open311"] = "not built yet"
        self.results["a_submissions"] = summary
        self.results.setdefault("e_memory", {})["web_worker_peak_rss_mb"] = max(
            (x for x in web_rss if x is not None), default=None)

    def count_items(self) -> int:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return int(conn.execute("SELECT count(*) FROM feedback").fetchone()[0])  # type: ignore[index]

    def open311_target(self, port: int) -> tuple[str, dict[str, str]] | None:
        """The Open311 POST of this app and its fields (with an API key issued for the run), if the
        app has one (issue #8) and it takes the probe; None otherwise (the table says so)."""
        app = self.flask_app()
        rules = [r.rule for r in app.url_map.iter_rules()
                 if "open311" in r.rule and "/requests." in r.rule and "POST" in (r.methods or set())]
        if not rules:
            return None
        path = rules[0].split("/requests.", 1)[0] + "/requests.json"
        try:
            from feedback.domain.events import Actor
            from feedback.services import open311  # type: ignore[attr-defined]

            with app.app_context():
                issued = open311.issue_key(f"bench-{secrets.token_hex(4)}", actor=Actor.system(),
                                           now=datetime.now(UTC), rate_limit="100000000 per minute")
            key = str(issued.key)
        except Exception as error:  # noqa: BLE001 - the API's service may differ: report, do not fail
            print(f"Open311: could not issue an API key ({error}): not measured", file=sys.stderr)
            return None
        fields = {"api_key": key, "service_code": FORM["topic"], "address_id": FORM["commune"],
                  "attribute[village]": FORM["village"], "attribute[kind]": FORM["kind"],
                  "description": f"{FORM['title']}. {FORM['body']}"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         data=urllib.parse.urlencode(fields).encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                ok = 200 <= response.status < 300
        except Exception as error:  # noqa: BLE001
            print(f"Open311 POST {path} refused the probe ({error}): not measured", file=sys.stderr)
            return None
        return (path, fields) if ok else None

    def wrk(self, port: int, path: str, fields: dict[str, str], cookie: str, encoding: str,
            seconds: float | None = None) -> dict[str, Any]:
        env = {**os.environ, "BENCH_PATH": path, "BENCH_COOKIE": cookie, "BENCH_ENCODING": encoding,
               "BENCH_NONCE": secrets.token_hex(4) + "-",
               "BENCH_FIELDS": "\n".join(f"{k}={v}" for k, v in fields.items())}
        threads = min(2, self.args.connections)
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{self.args.connections}", f"-d{seconds or self.args.seconds:g}s", "--timeout", "10s",
             "-s", str(ROOT / "bench" / "post.lua"), f"http://127.0.0.1:{port}"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("BENCH "))
        data = json.loads(line[6:])
        seconds = data["duration_us"] / 1e6
        errors = data["errors_status"] + data["errors_connect"] + data["errors_timeout"]
        result = {"path": path, "rps": round((data["requests"] - errors) / seconds, 1), "requests": data["requests"],
                  "errors": errors, "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000}
        print(f"  {path:<24} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
              f"p99 {result['p99_ms']:7.2f} ms  errors {errors}")
        return result

    # ---------------------------------------------------------------- part b

    def part_b(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("""
                CREATE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify(TG_ARGV[0], NEW.feedback_id::text); RETURN NEW; END $$;
                CREATE FUNCTION bench_notify_item() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify('bench_received', NEW.id::text); RETURN NEW; END $$;
                CREATE TRIGGER bench_assigned AFTER INSERT ON assignment
                    FOR EACH ROW EXECUTE FUNCTION bench_notify('bench_assigned');
                CREATE TRIGGER bench_received AFTER INSERT ON feedback
                    FOR EACH ROW EXECUTE FUNCTION bench_notify_item();
            """)
        brokers = {"redis": self.redis_url, "sqlite": f"sqla+sqlite:///{self.tmp / 'broker.sqlite3'}"}
        brokers = {k: v for k, v in brokers.items() if k in self.args.brokers}
        summary: dict[str, Any] = {"rate": self.args.rate, "seconds": self.args.route_seconds}
        for name, url in brokers.items():
            summary[name] = self.route_latency(name, url)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("DROP TRIGGER bench_assigned ON assignment; DROP TRIGGER bench_received ON feedback; "
                         "DROP FUNCTION bench_notify(); DROP FUNCTION bench_notify_item()")
        self.results["b_routing"] = summary

    def route_latency(self, name: str, broker: str) -> dict[str, Any]:
        import psycopg

        from feedback import create_app
        from feedback.extensions import db
        from feedback.services.intake import Submission, submit_feedback

        env = {**self.env, "CELERY_BROKER_URL": broker}
        if broker == self.redis_url:
            # Part a's submissions left their routing messages in this queue (no worker ran
            # then): without this, the worker drains that backlog first and the warm-up and the
            # measured items wait behind it.
            import redis

            redis.Redis.from_url(broker).flushdb()
        # One worker node as deployed (README, Quick start): Celery's default pool, prefork, with
        # one child per core; no --pool or --concurrency given.
        worker = self.start([str(BIN / "celery"), "-A", "worker.app", "worker",
                             "--without-gossip", "--without-mingle", "--loglevel", "INFO"], f"worker-{name}", env)
        wait_for_log(self.tmp / f"worker-{name}.log", "ready", 120)
        banner = (self.tmp / f"worker-{name}.log").read_text(errors="replace")
        found = re.search(r"concurrency:\s*(\d+)\s*\((\w+)\)", banner)
        pool = f"{found.group(2)}, concurrency {found.group(1)}" if found else "?"
        # Celery lets the CELERY_BROKER_URL environment variable win over the app's configuration.
        os.environ["CELERY_BROKER_URL"] = broker
        app = create_app(CELERY_BROKER_URL=broker)
        received: dict[int, float] = {}
        assigned: dict[int, float] = {}
        stop = threading.Event()
        listening = threading.Event()

        def listen() -> None:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute("LISTEN bench_received")
                conn.execute("LISTEN bench_assigned")
                listening.set()
                while not stop.is_set():
                    for note in conn.notifies(timeout=0.2):
                        at = time.monotonic()
                        if note.channel == "bench_assigned":
                            assigned[int(note.payload)] = at
                        elif self.args.route_feed == "submit":  # else the bench stamps the send
                            received[int(note.payload)] = at

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        listening.wait(10)
        # Warm-up (not measured): the worker's first tasks import, connect and compile.
        with app.app_context():
            for i in range(10):
                submit_feedback(Submission(kind=FORM["kind"], locality_code=FORM["commune"],  # type: ignore[arg-type]
                                           topic_code=FORM["topic"], title=f"warm-up {name} {i}",
                                           body=FORM["body"]), now=datetime.now(UTC))
            db.session.remove()
        warm = time.monotonic() + 60
        while time.monotonic() < warm and len(assigned) < 10:
            time.sleep(0.2)
        received.clear()
        assigned.clear()
        count = int(self.args.rate * self.args.route_seconds)
        interval = 1 / self.args.rate
        late = [0]
        sent = [0]
        refused = [0]
        presubmitted: list[int] = []
        if self.args.route_feed == "enqueue":
            # The items are submitted before the clock starts (their routing message held back),
            # then only the messages are sent at the rate: the bench's own intake work does not
            # share the two cores with the worker; latency runs from the send.
            from feedback import jobs

            with app.app_context():
                original = jobs.enqueue
                jobs.enqueue = lambda *a, **k: True  # type: ignore[assignment]
                try:
                    for i in range(count):
                        receipt = submit_feedback(Submission(
                            kind=FORM["kind"], locality_code=FORM["commune"], topic_code=FORM["topic"],  # type: ignore[arg-type]
                            title=f"{FORM['title']} {name} {i}", body=FORM["body"]), now=datetime.now(UTC))
                        db.session.remove()
                        if i % 200 == 0:
                            progress(f"part b ({name}, submitting first)", i, count, time.monotonic())
                finally:
                    jobs.enqueue = original  # type: ignore[assignment]
                presubmitted = list(db.session.scalars(db.text(
                    "SELECT id FROM feedback WHERE status = 'received' AND title LIKE :t ORDER BY id"),
                    {"t": f"{FORM['title']} {name} %"}))
                db.session.remove()
            received.clear()
        cpu_before = os.times()
        started = time.monotonic()

        def submit(lane: int, lanes: int) -> None:
            # Several lanes keep the pace when one submission takes longer than 1/rate.
            with app.app_context():
                for i in range(lane, count, lanes):
                    pause = started + i * interval - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    else:
                        late[0] += 1
                    if presubmitted:
                        if i < len(presubmitted):
                            received[presubmitted[i]] = time.monotonic()
                            refused[0] += not jobs_enqueue(presubmitted[i])
                    else:
                        receipt = submit_feedback(Submission(
                            kind=FORM["kind"], locality_code=FORM["commune"], topic_code=FORM["topic"],  # type: ignore[arg-type]
                            title=f"{FORM['title']} {name} {i}", body=FORM["body"]), now=datetime.now(UTC))
                        refused[0] += not receipt.enqueued
                    sent[0] += 1
                db.session.remove()

        def jobs_enqueue(feedback_id: int) -> bool:
            from feedback import jobs

            return jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id)

        lanes = [threading.Thread(target=submit, args=(lane, 4)) for lane in range(4)]
        for lane in lanes:
            lane.start()
        while any(lane.is_alive() for lane in lanes):
            progress(f"part b ({name})", sent[0], count, started)
            time.sleep(0.5)
        progress(f"part b ({name})", count, count, started)
        elapsed = time.monotonic() - started
        achieved = count / elapsed
        cpu_after = os.times()
        # The bench process's own CPU while it sent (its lanes run submit_feedback in process):
        # a share near 1.0 means the sender alone took a whole core of the machine.
        sender_cpu = (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) / elapsed
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([i for i in received if i in assigned]) < len(received):
            time.sleep(0.2)
        stop.set()
        listener.join(5)
        # The largest of the worker node's processes (the main one and its pool's children).
        worker_rss = max((r for r in (peak_rss_mb(p) for p in [worker.pid, *children(worker.pid)]) if r is not None),
                         default=None)
        self.stop(worker)
        self.results.setdefault("e_memory", {})[f"celery_worker_peak_rss_mb_{name}"] = worker_rss
        latencies = [assigned[i] - received[i] for i in received if i in assigned]
        if len(latencies) < count:
            log = (self.tmp / f"worker-{name}.log").read_text(errors="replace").splitlines()
            print(f"  only {len(latencies)} of {count} routed; the worker's log ends:", *log[-15:], sep="\n    ")
        result = {"submitted": count, "achieved_rate": round(achieved, 1), "routed": len(latencies),
                  "broker_refused": refused[0], "late_sends": late[0], "worker": pool,
                  "feed": self.args.route_feed, "sender_cpu_share": round(sender_cpu, 2),
                  "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
                  "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else None,
                  "max_ms": round(max(latencies) * 1000, 1) if latencies else None}
        print(f"  routing via {name} ({pool}, {self.args.route_feed}): p50 {result['p50_ms']} ms, "
              f"p99 {result['p99_ms']} ms, {result['routed']}/{count} routed, {result['achieved_rate']}/s sent, "
              f"{late[0]} late, sender CPU {sender_cpu:.2f} core")
        return result

    # ---------------------------------------------------------------- generation

    def generate(self, have: int, size: int) -> int:
        """Add generated items (in SQL, chunk by chunk) until ``size`` exist besides the demo's."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            units = conn.execute("SELECT u.id, u.locality_id FROM unit u WHERE u.kind = 'commune_committee' "
                                 "ORDER BY u.id").fetchall()
            topics = [r[0] for r in conn.execute("SELECT id FROM topic WHERE parent_id IS NOT NULL ORDER BY id")]
            unit_ids, locality_ids = [u[0] for u in units], [u[1] for u in units]
            started = time.monotonic()
            done = have
            # Triggers off while loading (each clock's row trigger updated its item's nearest due
            # time, one more write of a 10,000,000-row table per clock: 12,000 items a minute);
            # what they keep is filled after the load, in set statements (as the migrations do).
            conn.execute("SET session_replication_role = replica")
            while done < size:
                stop = min(size, done + GENERATE_CHUNK)
                conn.execute(GENERATE_SQL, {"first": done + 1, "last": stop, "now": self.now, "units": unit_ids,
                                            "localities": locality_ids, "topics": topics, "years": YEARS})
                done = stop
                progress(f"generating {size:,} items", done, size, started)
            conn.execute(NEXT_DUE_SQL)
            conn.execute("SET session_replication_role = origin")
        app = self.flask_app()
        with app.app_context():
            from feedback.extensions import db
            from feedback.services.deadlines.overdue_state import rebuild_overdue

            rebuild_overdue(db.session())
            db.session.commit()
            db.session.remove()
        # The kept counts of the unit inbox (0027) are filled by their migration in one statement:
        # kept by their row triggers while loading, they cost more than the load itself.
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        self.results.setdefault("generation", {})[str(size)] = round(time.monotonic() - started, 1)
        return size

    # ---------------------------------------------------------------- part c

    def part_c(self, size: int) -> None:
        import psycopg

        from feedback.extensions import db
        from feedback.services.deadlines import scan_deadlines

        app = self.flask_app()

        def fall_due(count: int, at: datetime) -> None:
            """Make ``count`` random running clocks fall due at ``at``, a quarter of each kind of
            wake: a clock's first wake (its ``notify_at`` has come, its due time unchanged: mostly
            nothing to send, the scan stores the exact next instant), its "before" reminder (due two
            working days ahead), its due day (due at the end of today) and its breach (due 30 s
            before ``at``), with the ``notify_at`` the scan would have stored. So the tick writes the
            notifications, breaches, escalations and audit events a real tick writes."""
            with app.app_context():
                from feedback.domain.calendar import end_of_local_day, local_date, start_of_local_day
                from feedback.services.deadlines.calendar import calendar_for_years

                today = local_date(at)
                cal = calendar_for_years(range(at.year - 1, at.year + 2))
                start = start_of_local_day(today)
                levels = [  # (due_at, notify_at) of each wake, in the order of ``g % 4`` (None: unchanged)
                    (None, at - timedelta(seconds=30)),
                    (end_of_local_day(cal.add_working_days(today, 2)), start),
                    (end_of_local_day(today), start),
                    (at - timedelta(seconds=30), at - timedelta(seconds=30) + timedelta(microseconds=1)),
                ]
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute(
                    "WITH pick AS (SELECT id, row_number() OVER () %% 4 AS g FROM (SELECT id FROM deadline "
                    "WHERE notify_at > %(now)s ORDER BY random() LIMIT %(n)s) s) "
                    "UPDATE deadline d SET due_at = coalesce((%(dues)s::timestamptz[])[pick.g + 1], d.due_at), "
                    "notify_at = (%(notifies)s::timestamptz[])[pick.g + 1] FROM pick WHERE d.id = pick.id",
                    {"now": self.now, "n": count, "dues": [lv[0] for lv in levels],
                     "notifies": [lv[1] for lv in levels]})

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            running = conn.execute("SELECT count(*) FROM deadline WHERE notify_at IS NOT NULL").fetchone()[0]
        due = max(1, running // 100)
        with app.app_context():
            from sqlalchemy import event

            # A running worker has compiled its statements and cached the holiday calendar after its
            # first tick: a warm-up tick with a few clocks due does that here, then the measured one.
            fall_due(10, self.now - timedelta(minutes=1))
            scan_deadlines(self.now - timedelta(minutes=1))
            fall_due(due, self.now)
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE deadline")
            started = time.perf_counter()
            result = scan_deadlines(self.now)
            tick = time.perf_counter() - started
            idle: list[float] = []
            statements: list[str] = []
            for i in range(5):
                record = (lambda *a: statements.append(a[2])) if i == 0 else None
                if record:
                    event.listen(db.engine, "before_cursor_execute", record)
                started = time.perf_counter()
                scan_deadlines(self.now + timedelta(seconds=1 + i))
                idle.append(time.perf_counter() - started)
                if record:
                    event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()
        entry = {"running_clocks": running, "due_in_tick": due, "examined": result.examined,
                 "notifications": result.notifications, "breaches": result.breaches,
                 "tick_ms": round(tick * 1000, 1), "per_due_clock_ms": round(tick * 1000 / max(1, due), 3),
                 "idle_tick_ms": median_ms(idle), "idle_tick_statements": len(statements)}
        print(f"  scan at {size:,}: {due:,} of {running:,} running clocks due: {entry['tick_ms']} ms "
              f"({entry['per_due_clock_ms']} ms each; {result.notifications:,} notifications, "
              f"{result.breaches:,} breaches); idle tick {entry['idle_tick_ms']} ms")
        self.results.setdefault("c_scan", {})[str(size)] = entry

    # ---------------------------------------------------------------- part d

    def part_d(self, size: int) -> None:
        from sqlalchemy import event

        from feedback.extensions import db

        app = self.flask_app()
        pages = {
            "admin: no filter": "/admin/items",
            "admin: by status (in progress)": "/admin/items?status=in_progress",
            "admin: by status (closed)": "/admin/items?status=closed",
            "admin: by unit": f"/admin/items?unit={self.unit_code}",
            "admin: overdue": "/admin/items?overdue=1",
            "admin: dashboard counts": "/admin/",
            "unit: inbox": "/unit/",
            "unit: by status": "/unit/?status=in_progress",
            "unit: by status (answered)": "/unit/?status=answered",
            "unit: overdue": "/unit/?overdue=1",
        }
        logins = {"admin": ("admin", "admin-demo-2026"), "unit": ("canbo.hatu", "canbo-demo-2026")}
        clients = {}
        for role, (username, password) in logins.items():
            client = app.test_client()
            response = client.post("/login", data={"username": username, "password": password})
            if response.status_code not in (302, 303):
                raise RuntimeError(f"login of {username} failed: {response.status_code}")
            clients[role] = client
        entry: dict[str, Any] = {}
        for label, url in pages.items():
            client = clients[label.split(":")[0]]
            statements: list[str] = []

            def record(*a: Any) -> None:
                statements.append(a[2])

            times = []
            status = 0
            for i in range(6):
                with app.app_context():
                    if i == 1:
                        event.listen(db.engine, "before_cursor_execute", record)
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = time.perf_counter() - started
                    if i == 1:
                        event.remove(db.engine, "before_cursor_execute", record)
                status = response.status_code
                if i:
                    times.append(elapsed)
            entry[label] = {"ms": median_ms(times), "statements": len(statements), "status": status}
            print(f"  {label:<32} {entry[label]['ms']:9.1f} ms  {len(statements):3d} statements  HTTP {status}")
        entry["routing one item"] = self.route_one()
        print(f"  {'routing one item':<32} {entry['routing one item']['ms']:9.1f} ms  "
              f"{entry['routing one item']['statements']:3d} statements")
        self.results.setdefault("d_pages", {})[str(size)] = entry

    def route_one(self) -> dict[str, Any]:
        from sqlalchemy import event

        from feedback import jobs
        from feedback.extensions import db
        from feedback.services.intake import Submission, submit_feedback
        from feedback.services.routing import route_item

        app = self.flask_app()
        times, counts = [], []
        with app.app_context():
            original = jobs.enqueue
            jobs.enqueue = lambda *a, **k: True  # type: ignore[assignment]  # routed here, not by a worker
            try:
                for i in range(6):
                    receipt = submit_feedback(Submission(kind=FORM["kind"], locality_code=FORM["commune"],  # type: ignore[arg-type]
                                                         topic_code=FORM["topic"], title=f"routing {i}",
                                                         body=FORM["body"]), now=datetime.now(UTC))
                    db.session.remove()
                    item_id = db.session.execute(db.text("SELECT id FROM feedback WHERE code = :c"),
                                                 {"c": receipt.code}).scalar_one()
                    db.session.remove()
                    statements: list[str] = []

                    def record(*a: Any) -> None:
                        statements.append(a[2])

                    event.listen(db.engine, "before_cursor_execute", record)
                    started = time.perf_counter()
                    route_item(item_id, now=datetime.now(UTC))
                    elapsed = time.perf_counter() - started
                    event.remove(db.engine, "before_cursor_execute", record)
                    db.session.remove()
                    if i:
                        times.append(elapsed)
                        counts.append(len(statements))
            finally:
                jobs.enqueue = original  # type: ignore[assignment]
        return {"ms": median_ms(times), "statements": max(counts)}

    # ---------------------------------------------------------------- report

    def report(self) -> None:
        out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.results, indent=2, ensure_ascii=False) + "\n")
        print()
        print(table(self.results))
        print(f"\nwritten to {out.relative_to(ROOT)}")


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (the README shows the latest)."""
    lines = ["| part | measure | result | target |", "|---|---|---|---|"]
    a = results.get("a_submissions")
    if a:
        if a.get("server"):
            lines.append(f"| a | server | {a['server']} | |")
        for name, label in (("form", "HTML form POST"), ("open311", "Open311 POST"), ("reference", "reference")):
            value = a.get(name)
            if isinstance(value, dict):
                target = "" if name == "reference" else "≥ 0.7 × reference"
                lines.append(f"| a | {label} | {value['rps']} req/s, p50 {value['p50_ms']} ms, p99 {value['p99_ms']} ms,"
                             f" ratio {value['ratio']} | {target} |")
            elif value:
                lines.append(f"| a | {label} | {value} | ≥ 0.7 × reference |")
    b = results.get("b_routing")
    if b:
        for name, target in (("redis", "p99 < 100 ms"), ("sqlite", "p99 < 2 s")):
            if name in b:
                v = b[name]
                lines.append(f"| b | routing latency, {name} broker, {b['rate']:g}/s ({v.get('achieved_rate')}/s sent, "
                             f"{v.get('feed', 'submit')}; worker {v.get('worker', 'solo')}) | p50 {v['p50_ms']} ms, "
                             f"p99 {v['p99_ms']} ms ({v['routed']}/{v['submitted']} routed) | {target} |")
    for size, v in results.get("c_scan", {}).items():
        lines.append(f"| c | scan tick at {int(size):,} items, {v['due_in_tick']:,} of {v['running_clocks']:,} "
                     f"clocks due | {v['tick_ms']} ms ({v['per_due_clock_ms']} ms per clock due) | < 10 ms |")
        lines.append(f"| c | idle scan tick at {int(size):,} items | {v['idle_tick_ms']} ms, "
                     f"{v['idle_tick_statements']} statement(s) | < 10 ms |")
    for size, pages in results.get("d_pages", {}).items():
        for label, v in pages.items():
            target = "≤ 8 statements" if label == "routing one item" else "< 50 ms at 10 M"
            lines.append(f"| d | {label} at {int(size):,} | {v['ms']} ms, {v['statements']} statements | {target} |")
    e = results.get("e_memory")
    if e:
        for key, value in e.items():
            target = "< 150 MB" if key.startswith("web") else ""
            lines.append(f"| e | {key.replace('_', ' ')} | {value} MB | {target} |")
    m = results.get("machine", {})
    lines.append(f"\nMachine: {m.get('cores')} cores, {m.get('memory_gb')} GB memory, {m.get('cpu')}, "
                 f"PostgreSQL {m.get('postgresql')}, Python {m.get('python')}.")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
        memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    except OSError:
        memory = 0
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    except Exception:  # noqa: BLE001
        version = "?"
    return {"cores": os.cpu_count(), "memory_gb": round(memory / 1024 / 1024, 1), "cpu": cpu,
            "postgresql": version, "python": platform.python_version()}


def wait_for_port(port: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def wait_for_log(path: Path, word: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and word in path.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise RuntimeError(f"{path.name}: no '{word}' after {timeout:g} s")


def fetch_form(port: int) -> tuple[str, str, str]:
    """GET the form as a browser: (the session cookie, the CSRF token, the form key)."""
    # The first request of a worker imports and compiles much: on a loaded machine it takes a while.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/submit", timeout=120) as response:
        html = response.read().decode()
        cookies = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', html)
    if not (csrf and key):
        raise RuntimeError("the form has no csrf_token or submission_key")
    return "; ".join(cookies), csrf.group(1), key.group(1)


# Items over YEARS years, ids from the sequence; one open assignment each (the commune's People's
# Committee) and one resolution clock. Items older than 60 days are closed, answered or rejected
# with their clock met; the younger ones are in progress or assigned with a running clock, due
# 21 to 41 days after receipt: breached when that is past (as the scan would have left it), else
# with the notify_at the scan would have stored (about the "before" reminder, the due day, or
# just after the due time).
# Each item's nearest running clock (``feedback.next_due_at``), as the triggers of 0023 keep it.
NEXT_DUE_SQL = """
UPDATE feedback f SET next_due_at = d.due
FROM (SELECT feedback_id, min(due_at) AS due FROM deadline
      WHERE met_at IS NULL AND closed_at IS NULL AND paused_at IS NULL GROUP BY feedback_id) d
WHERE f.id = d.feedback_id AND f.next_due_at IS DISTINCT FROM d.due
"""

GENERATE_SQL = """
WITH src AS (
    SELECT g, %(now)s::timestamptz - make_interval(secs => random() * %(years)s * 365 * 86400) AS r,
           1 + (g %% cardinality(%(units)s::int[])) AS u, 1 + ((g / 7) %% cardinality(%(topics)s::int[])) AS t
    FROM generate_series(%(first)s::int, %(last)s::int) AS g
), f AS (
    INSERT INTO feedback (code, token_hash, kind, complaint_round, is_complex, several_places, title, body,
                          locality_id, topic_id, consent_share_contact, channel, language, status, current_unit_id,
                          received_at, updated_at, answered_at, answered_by_unit_id, accepted_at)
    SELECT 'BN-' || g, md5(g::text) || md5(g::text),
           (ARRAY['report','report','report','petition','comment','complaint','denunciation'])[1 + g %% 7],
           1, false, false, 'Ý kiến mẫu số ' || g, 'Nội dung mẫu của ý kiến số ' || g,
           (%(localities)s::int[])[u], (%(topics)s::int[])[t], false, 'web', 'vi',
           CASE WHEN r < %(now)s - interval '60 days'
                THEN (ARRAY['closed','closed','closed','closed','closed','closed','closed','closed','answered','rejected'])[1 + g %% 10]
                ELSE (ARRAY['in_progress','in_progress','assigned'])[1 + g %% 3] END,
           (%(units)s::int[])[u], r, r,
           CASE WHEN r < %(now)s - interval '60 days' THEN r + interval '10 days' END,
           CASE WHEN r < %(now)s - interval '60 days' THEN (%(units)s::int[])[u] END,
           r + interval '2 days'
    FROM src
    RETURNING id, received_at, current_unit_id, status
), a AS (
    INSERT INTO assignment (feedback_id, unit_id, explanation, assigned_at)
    SELECT id, current_unit_id, '', received_at FROM f
    RETURNING 1
), d AS (
    SELECT f.*, f.received_at + interval '21 days' + (f.id %% 21) * interval '1 day' AS due,
           f.status IN ('in_progress', 'assigned') AS running
    FROM f
)
INSERT INTO deadline (feedback_id, unit_id, clock, sequence, legal_basis, day_type, period_days, starts_at, due_at,
                      extensions, met_at, breached_at, closed_at, created_at, notify_at)
SELECT id, current_unit_id, 'resolution', 1, 'benchmark', 'working', 15, received_at, due, 0,
       CASE WHEN NOT running THEN received_at + interval '10 days' END,
       CASE WHEN running AND due < %(now)s THEN due + interval '1 minute' END,
       CASE WHEN NOT running THEN received_at + interval '10 days' END,
       received_at,
       CASE WHEN NOT running OR due < %(now)s THEN NULL
            WHEN %(now)s < due - interval '4 days' THEN due - interval '4 days'
            WHEN %(now)s < date_trunc('day', due) THEN date_trunc('day', due)
            ELSE due + interval '1 microsecond' END
FROM d
"""


if __name__ == "__main__":
    sys.exit(main())
