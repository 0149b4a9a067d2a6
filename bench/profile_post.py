"""In-process profile of the two submission POSTs (issue #11): the HTML form POST and the Open311
POST, through the Flask test client against PostgreSQL and Redis, as configured in production.

    .venv/bin/python bench/profile_post.py --database feedback_prof_post --redis-db 4 [--n 200] [--profile form]

It makes the database (migrations and the demo directory; ``--reuse`` keeps an existing one),
warms up, then times ``--n`` POSTs of each kind and prints the mean time per request and the SQL
statements each one sends (with the statements of the last request). ``--profile form|open311``
prints the cProfile of that loop (top functions by cumulative time) and keeps it in
``/tmp/profile_post_<kind>.prof``; with ``--cpu-profile`` it counts this process's CPU time
instead of the wall clock (on a loaded machine the waits for a core otherwise land on whatever
happened to block). The form is posted as ``bench/post.lua`` posts it (one multipart boundary). It drops the database at the
end unless ``--keep``, and flushes its Redis database.
"""

from __future__ import annotations

import argparse
import os
import cProfile
import pstats
import re
import secrets
import sys
import time
from typing import Any

from _common import ROOT, cleaned_up, demo_database, production_env, use


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="feedback_prof_post")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", choices=["form", "open311"], default=None)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--flush", action="store_true", help="flush the Redis database at the end")
    parser.add_argument("--cpu-profile", action="store_true",
                        help="the cProfile counts this process's CPU time (time.process_time), not the wall clock: "
                             "on a loaded machine the waits for a core would otherwise fill the round trips")
    args = parser.parse_args()
    env = production_env(args.database, args.redis_db, uploads=f"/tmp/{args.database}-uploads",
                         SUBMIT_RATE_LIMIT="100000000 per minute",
                         PYTHONPATH=os.environ.get("PYTHONPATH") or str(ROOT))
    demo_database(args.database, env, reuse=args.reuse)
    use(env)
    with cleaned_up(args.database, env, keep=args.keep, flush=args.flush):
        run(args)
    return 0


def run(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import event, select

    from feedback import create_app
    from feedback.domain.events import Actor
    from feedback.extensions import db
    from feedback.models import Locality, LocalityLevel, Topic
    from feedback.services import open311

    app = create_app(SESSION_COOKIE_SECURE=False)
    with app.app_context():
        village = db.session.scalars(select(Locality).where(Locality.level == LocalityLevel.VILLAGE)
                                     .order_by(Locality.code)).first()
        commune = db.session.get(Locality, village.parent_id)
        topic = db.session.scalars(select(Topic).where(Topic.active.is_(True), Topic.parent_id.is_not(None))
                                   .order_by(Topic.code)).first()
        key = str(open311.issue_key(f"prof-{secrets.token_hex(4)}", actor=Actor.system(), now=datetime.now(UTC),
                                    rate_limit="100000000 per minute").key)
        commune_code, village_code, topic_code = commune.code, village.code, topic.code
        db.session.remove()
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    client = app.test_client()
    page = client.get("/submit").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form_key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    counter = iter(range(10**9))

    boundary = "----benchBoundary7MA4YWxkTrZu0gW"  # one boundary for every POST, as bench/post.lua sends

    def multipart(fields: dict[str, str]) -> bytes:
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n\r\n")
        parts.append(f"--{boundary}--\r\n")
        return "".join(parts).encode()

    def form_post() -> Any:
        n = next(counter)
        # The body as bench/post.lua (and a browser) sends it, with a fixed boundary: the test
        # client's own boundary is new for every request, and Werkzeug compiles two regular
        # expressions for each new one (0.4 ms of CPU, which wrk's runs do not pay).
        response = client.post("/submit", content_type=f"multipart/form-data; boundary={boundary}", data=multipart({
            "csrf_token": csrf, "submission_key": form_key, "kind": "report", "commune": commune_code,
            "village": village_code, "topic": topic_code, "title": f"Rác tồn đọng ở đầu ngõ {n}",
            "body": "Rác không được thu gom ba ngày nay, bốc mùi khó chịu cho cả khu phố.", "name": "",
            "phone": "", "email": ""}))
        assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:2000])
        return response

    api = app.test_client()

    def open311_post() -> Any:
        n = next(counter)
        response = api.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": topic_code, "address_id": commune_code,
            "attribute[village]": village_code, "attribute[kind]": "report",
            "description": f"Rác tồn đọng ở đầu ngõ {n}. Rác không được thu gom ba ngày nay."})
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:2000])
        return response

    for name, post in (("form", form_post), ("open311", open311_post)):
        for _ in range(20):
            post()
        statements.clear()
        post()
        one = list(statements)
        profiler = None
        if args.profile == name:
            profiler = cProfile.Profile(time.process_time) if args.cpu_profile else cProfile.Profile()
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(args.n):
            post()
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{name}: {elapsed / args.n * 1000:.2f} ms per POST ({cpu / args.n * 1000:.2f} ms of this process's CPU) "
              f"over {args.n}, {len(one)} statements:")
        for sql in one:
            print("   ", " ".join(sql.split())[:160])
        if profiler:
            profiler.dump_stats(f"/tmp/profile_post_{name}.prof")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    sys.exit(main())
