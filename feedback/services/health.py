"""Liveness facts for /healthz: database, broker, beat heartbeat age and backlog.

``beat`` is called by every periodic task after its work, so the age of the newest heartbeat
says whether beat and a worker are alive. Right after a start the heartbeat is missing (fresh
install) or as old as the downtime, although nothing is wrong yet: beat sends its first tick
at once (``worker.app``), and until a heartbeat newer than this process's start exists the beat
counts as "starting", healthy for at most STARTUP_GRACE after the start. The report
carries no personal data: booleans and counts only. This is the only module that imports kombu
(the broker check needs a connection outside Celery's publishing machinery, with a short
timeout).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from kombu.connection import Connection
from sqlalchemy import func, select, text

from feedback.domain.status import Status
from feedback.extensions import db
from feedback.jobs import transport_options
from feedback.models import Feedback, WorkerHeartbeat
from feedback.services.database import dialect_insert

log = logging.getLogger(__name__)

# Celery's default queue: the web app and the beat send every task there.
DEFAULT_QUEUE = "celery"
# When this process started (first import, before the app serves anything).
STARTED_AT = datetime.now(UTC)
# Beat sends its first tick as it starts and a worker runs it within seconds; two minutes cover
# a slow worker start. Kept short: a web process restarted while beat is dead reports healthy
# for this long (never longer than BEAT_MAX_AGE_SECONDS).
STARTUP_GRACE = timedelta(minutes=2)


def beat(name: str, now: datetime) -> None:
    """Record that periodic job ``name`` ran at ``now`` (upsert, then commit). Idempotent."""
    stmt = dialect_insert(WorkerHeartbeat).values(name=name, last_run_at=now)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"last_run_at": now}))
    db.session.commit()


def health_report(now: datetime, *, started_at: datetime | None = None) -> dict[str, Any]:
    """The facts /healthz shows, and ``ok``: database and broker reachable, beat alive.

    Keys: ``database`` and ``broker`` (bool); ``beat_last_run_age_s`` (seconds since the newest
    heartbeat, None when none was ever written or the database is down); ``beat_starting``
    (True when no heartbeat was written since ``started_at``, this process's start by default,
    and that start is at most STARTUP_GRACE ago: beat's first tick is still on its way);
    ``queue_messages`` (messages waiting in the ``celery`` queue, None when the broker cannot
    tell); ``stranded_received`` (items still ``received`` after STRANDED_AFTER_MINUTES, None
    when the database is down); ``queue_backlog`` (the sum of the two known counts: work waiting
    for the worker); ``ok`` (False when the database or broker is unreachable, or when beat has
    not run for BEAT_MAX_AGE_SECONDS and is not starting). Never raises for an unreachable
    service.
    """
    config = current_app.config
    database, age, stranded = _database_facts(now, int(config["STRANDED_AFTER_MINUTES"]))
    broker, messages = _broker_facts(str(config["CELERY_BROKER_URL"]), float(config["BROKER_CONNECT_TIMEOUT"]))
    known = [n for n in (messages, stranded) if n is not None]
    backlog = sum(known) if known else None
    max_age = float(config["BEAT_MAX_AGE_SECONDS"])
    since_start = (now - (started_at or STARTED_AT)).total_seconds()
    grace = min(STARTUP_GRACE.total_seconds(), max_age)
    starting = database and since_start <= grace and (age is None or age > since_start)
    beat_alive = starting or (age is not None and age <= max_age)
    return {
        "ok": database and broker and beat_alive,
        "database": database,
        "broker": broker,
        "beat_last_run_age_s": age,
        "beat_starting": starting,
        "queue_backlog": backlog,
        "queue_messages": messages,
        "stranded_received": stranded,
    }


def _database_facts(now: datetime, stranded_minutes: int) -> tuple[bool, float | None, int | None]:
    try:
        db.session.execute(text("SELECT 1"))
        last = db.session.scalar(select(func.max(WorkerHeartbeat.last_run_at)))
        stranded = db.session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(
                Feedback.status == Status.RECEIVED,
                Feedback.received_at < now - timedelta(minutes=stranded_minutes),
            )
        )
    except Exception:  # any driver or network failure means "unreachable" here
        log.warning("health: database unreachable", exc_info=True)
        db.session.rollback()
        return False, None, None
    age = None if last is None else round(max((now - last).total_seconds(), 0.0), 1)
    return True, age, int(stranded or 0)


def _broker_facts(url: str, timeout: float) -> tuple[bool, int | None]:
    """(reachable, messages waiting in the default queue or None when unknown)."""
    options: dict[str, Any] = {}
    if url.startswith(("redis://", "rediss://")):
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    elif url.startswith("sqla+"):
        # kombu keeps one engine per file and process: made here first, it must be made as the
        # sending one is (the broker's pragmas, jobs.SQLiteBrokerEnginePlugin).
        options = transport_options(url, timeout)
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            return True, _queue_size(conn)
    except Exception:  # kombu wraps every transport's failure differently
        log.warning("health: broker unreachable", exc_info=True)
        return False, None


def _queue_size(conn: Connection) -> int | None:
    """Messages waiting in the default queue: LLEN on Redis (all priority lists), a row count on
    the SQLAlchemy transport, the passive declare's count on AMQP; None when it cannot be told."""
    try:
        channel = conn.default_channel
        size = getattr(channel, "_size", None)  # kombu virtual transports (Redis, SQLAlchemy)
        if size is not None:
            return int(size(DEFAULT_QUEUE))
        return int(channel.queue_declare(queue=DEFAULT_QUEUE, passive=True).message_count)
    except Exception:
        log.info("health: queue size unknown", exc_info=True)
        return None


__all__ = ["beat", "health_report"]
