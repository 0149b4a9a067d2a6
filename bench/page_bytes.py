"""Every page of ``bench/pages.py`` with a fixed clock: a digest of each body and the CPU each
request costs (issue #9 item 7), to show that two checkouts give the same bytes and to compare
their Python.

    .venv/bin/python bench/page_bytes.py run --database URL --json branch.json [--runs 5] [--only TEXT] [--skip TEXT]
    PYTHONPATH=/work/main .venv/bin/python bench/page_bytes.py run --database URL --json main.json
    .venv/bin/python bench/page_bytes.py compare main.json branch.json [more.json ...]

``run`` logs in as the bench monitors (``bench/pages.py``: made there if missing, with the hot
spot of the commune), fixes the dashboard's and the public scoreboard's clock at the generator's
NOW (the drill-downs' and other pages' are not fixed: their bytes may move with the time between
two runs, not within one), and asks each page in
Vietnamese and in English (``--langs``): once to warm up, then ``--runs`` times, each timed by
``time.process_time`` (this process's CPU: the request's Python, not the database's work), with
its statements and their time (cursor execute). Each body is digested with SHA-256; an XLSX
file by its sheets' names and cells (value and number format: openpyxl writes the time of
writing into the file); the CSRF token (random per session) is blanked first. A page whose
bodies differ between its own runs is marked unstable. ``PYTHONPATH=<checkout>`` times that
checkout's ``feedback`` code (this script and ``bench/pages.py`` are read from their folder).

``compare`` takes files of two checkouts, or of several alternated runs of each (A B A B: the
files' ``code``), prints per page the median CPU of each checkout over all its files' runs, the
statements and SQL ms, and whether every digest is the same; it exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import statistics as stats
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pages  # bench/pages.py (this script's folder is sys.path[0])

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(1, str(ROOT))

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # bench/stats.py's NOW (the generator's clock)
TODAY = date(2026, 11, 30)
_CSRF = re.compile(rb'(name="csrf_token"[^>]*value=")[^"]+(")')


def digest(body: bytes, content_type: str) -> str:
    """SHA-256 of the body: an XLSX file by its cells, any other with its CSRF token blanked."""
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body))
        hasher = hashlib.sha256()
        for sheet in book.worksheets:
            hasher.update(repr(sheet.title).encode())
            for row in sheet.iter_rows():
                hasher.update(repr([(c.value, c.number_format) for c in row]).encode())
        return "xlsx:" + hasher.hexdigest()
    return hashlib.sha256(_CSRF.sub(rb"\1-\2", body)).hexdigest()


def run(url: str, *, runs: int, only: list[str], skip: list[str], langs: list[str], out: Path,
        profile: str | None) -> None:
    import sqlalchemy as sa

    import feedback
    import feedback.monitor.views as monitor_views
    from config import TestConfig
    from feedback import create_app
    from feedback.extensions import db

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=Path("/tmp/feedback-bench-uploads"))
    monitor_views.now_utc = lambda: NOW  # the seam the tests use
    # The public scoreboard and open data read the real clock (their overdue counts move with it,
    # minutes apart): fixed too, through the module's ``datetime``.
    import feedback.public.scoreboard_views as board_views

    class _Fixed(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return NOW

    board_views.datetime = _Fixed  # type: ignore[misc]
    with app.app_context():
        pages.ensure_accounts(NOW)
        hot_spot = pages.ensure_hot_spot(NOW)
        items = db.session.scalar(sa.text("SELECT count(*) FROM feedback"))
        engine = db.engine
    clients: dict[tuple[str, str], Any] = {}
    for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
        for lang in langs:
            client = app.test_client()
            pages.log_in(client, user)
            client.get(f"/?lang={lang}")  # remembered in the session
            clients[user, lang] = client
    watch = pages.Statements(engine)
    rows = []
    for case in pages.cases(TODAY):
        if (only and not any(text in case.label for text in only)) or any(text in case.label for text in skip):
            continue
        for lang in langs:
            client = clients[case.user, lang]
            page = case.url.format(hot_spot=hot_spot)
            response = client.get(page)  # warm-up (and a first view computes and keeps its medians)
            first = digest(response.get_data(), response.content_type)
            cpu, counts, sql, digests = [], [], [], {first}
            for _ in range(runs):
                with watch.watching():
                    tick = time.process_time()
                    response = client.get(page)
                    body = response.get_data()
                    cpu.append((time.process_time() - tick) * 1000)
                counts.append(watch.count)
                sql.append(watch.ms)
                digests.add(digest(body, response.content_type))
            rows.append({"label": case.label, "lang": lang, "url": page, "status": response.status_code,
                         "bytes": len(body), "digest": first, "stable": len(digests) == 1,
                         "cpu_ms": [round(x, 2) for x in cpu], "statements": int(stats.median(counts)),
                         "sql_ms": round(stats.median(sql), 2)})
            print(f"{case.label} [{lang}]: {response.status_code}, cpu {stats.median(cpu):.1f} ms, "
                  f"{rows[-1]['statements']} statements, sql {rows[-1]['sql_ms']:.1f} ms, {len(body):,} bytes"
                  f"{'' if len(digests) == 1 else ', UNSTABLE'}", flush=True)
            if profile and profile in case.label and lang == langs[0]:
                pages._profile(client, page, case.label)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"code": str(Path(feedback.__file__).resolve().parents[1]), "items": items,
                               "now": NOW.isoformat(), "runs": runs, "load_average": os.getloadavg(),
                               "pages": rows}, ensure_ascii=False, indent=1))


def compare(paths: list[Path]) -> int:
    """The table of the files' checkouts (in the order first seen); 1 when any digest differs."""
    by_code: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for path in paths:
        data = json.loads(path.read_text())
        for row in data["pages"]:
            by_code.setdefault(data["code"], {}).setdefault((row["label"], row["lang"]), []).append(row)
    codes = list(by_code)
    keys = [key for key in by_code[codes[0]] if all(key in by_code[c] for c in codes)]
    head = " | ".join(f"CPU ms {Path(c).name}" for c in codes)
    print(f"| page | lang | {head} | statements | SQL ms | same bytes |")
    print("|---|---|" + "---:|" * len(codes) + "---|---|---|")
    differ = 0
    for key in keys:
        found = [by_code[c][key] for c in codes]
        cpu = [stats.median([x for row in rows for x in row["cpu_ms"]]) for rows in found]
        statements = " → ".join(str(rows[0]["statements"]) for rows in found)
        sql = " → ".join(f"{stats.median(r['sql_ms'] for r in rows):.1f}" for rows in found)
        digests = {row["digest"] for rows in found for row in rows}
        stable = all(row["stable"] for rows in found for row in rows)
        same = "yes" if len(digests) == 1 and stable else ("UNSTABLE" if len(digests) == 1 else "NO")
        differ += same != "yes"
        print(f"| {key[0]} | {key[1]} | " + " | ".join(f"{x:.1f}" for x in cpu) + f" | {statements} | {sql} | {same} |")
    print(f"\n{len(keys)} pages, {differ} with different or unstable bytes")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    timing = commands.add_parser("run")
    timing.add_argument("--database", required=True)
    timing.add_argument("--json", type=Path, required=True)
    timing.add_argument("--runs", type=int, default=5)
    timing.add_argument("--only", action="append", default=[], help="the pages whose label holds this (repeatable)")
    timing.add_argument("--skip", action="append", default=[], help="not the pages whose label holds this (repeatable)")
    timing.add_argument("--langs", default="vi,en")
    timing.add_argument("--profile", help="cProfile one more request of the pages whose label holds this")
    comparing = commands.add_parser("compare")
    comparing.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "compare":
        return compare(args.files)
    run(args.database, runs=args.runs, only=args.only, skip=args.skip, langs=args.langs.split(","), out=args.json,
        profile=args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
