"""What the in-process bench scripts (``profile_route``, ``profile_post``, ``profile_inbox``,
``explain_pages``) share: the production configuration pointed at one PostgreSQL database and
one Redis database, the demo database made as ``bench/run.py`` makes it (or kept), its removal
at the end, and a test client logged in as a demo user.

Imported as ``_common`` from the scripts' own directory (the first entry of ``sys.path`` when a
script runs), so that ``PYTHONPATH=<checkout>`` still chooses whose ``feedback`` code is timed.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG = "postgresql://postgres@127.0.0.1:5432"


def production_env(database: str, redis_db: int, *, uploads: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a production process on ``database`` and Redis database ``redis_db``
    (broker and limits alike), with a fresh secret key; ``extra`` adds or replaces settings."""
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    return {"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
            "UPLOAD_DIR": uploads or tempfile.mkdtemp(prefix="feedback-bench-"), **extra}


def use(env: dict[str, str]) -> None:
    """Make ``env`` this process's configuration, and this checkout importable unless
    ``PYTHONPATH`` names another one (whose code is then the one timed)."""
    os.environ.update(env)
    if not os.environ.get("PYTHONPATH") or os.environ["PYTHONPATH"] == str(ROOT):
        sys.path.insert(0, str(ROOT))


def demo_database(database: str, env: dict[str, str], *, reuse: bool) -> None:
    """Drop and create ``database``, migrate it and load the demo directory and accounts (``flask
    db upgrade``, ``flask demo load``); with ``reuse``, an existing one is kept as it is (not
    migrated: another checkout's code can then be timed on it)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if reuse and exists:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=dict(os.environ, **env),
                       check=True, stdout=subprocess.DEVNULL)


@contextmanager
def cleaned_up(database: str, env: dict[str, str], *, keep: bool, flush: bool) -> Iterator[None]:
    """Run the body, then flush the Redis database (``flush``) and drop ``database`` (unless
    ``keep``), whatever the body did."""
    try:
        yield
    finally:
        import psycopg
        import redis

        if flush:
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        if not keep:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def logged_in(app: Any, username: str, password: str) -> Any:
    """A test client of ``app`` logged in as ``username`` (RuntimeError when the login fails)."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    return client


def cpu_of(pids: list[int]) -> dict[int, float]:
    """utime + stime in seconds of each of ``pids`` still alive (from ``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def received_reports(count: int, *, email: str | None = None) -> list[int]:
    """``count`` reports submitted through the intake service (a commune's committee's place,
    Hà Tu's first, and a leaf topic), their routing messages not sent: the caller routes them.
    Their ids, oldest first. Needs an app context."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from feedback import jobs
    from feedback.extensions import db
    from feedback.services.intake import Submission, submit_feedback

    commune, topic = db.session.execute(text(
        "SELECT c.code, t.code FROM unit u JOIN locality c ON c.id = u.locality_id, topic t "
        "WHERE u.kind = 'commune_committee' AND t.active AND t.parent_id IS NOT NULL "
        "ORDER BY (u.code LIKE '%hatu%' OR u.name LIKE '%Hà Tu%') DESC, c.code, t.code LIMIT 1")).one()
    tag = secrets.token_hex(3)
    original = jobs.enqueue
    jobs.enqueue = lambda *a, **k: True  # type: ignore[assignment]  # routed by the caller
    try:
        for i in range(count):
            submit_feedback(Submission(kind="report", locality_code=commune, topic_code=topic,  # type: ignore[arg-type]
                                       title=f"Rác tồn đọng ở đầu ngõ {tag} {i}",
                                       body="Rác không được thu gom ba ngày nay, bốc mùi khó chịu cho cả khu phố.",
                                       email=email), now=datetime.now(UTC))
            db.session.remove()
    finally:
        jobs.enqueue = original  # type: ignore[assignment]
    ids = list(db.session.scalars(text(
        "SELECT id FROM feedback WHERE status = 'received' AND title LIKE :t ORDER BY id"),
        {"t": f"Rác tồn đọng ở đầu ngõ {tag} %"}))
    db.session.remove()
    return ids
