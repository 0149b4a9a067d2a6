"""Celery wiring for the web side: the only module of ``feedback`` that imports Celery.

The web app never imports ``worker``: it sends tasks by name (constants below) after commit.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import uuid
from typing import Any

import redis
from celery import Celery, Task, signals
from celery.utils.saferepr import saferepr
from flask import Flask, current_app
from sqlalchemy import dialects, event
from sqlalchemy.engine import CreateEnginePlugin, Engine

log = logging.getLogger(__name__)

# Task names: the contract between the web app and the worker.
ROUTE_FEEDBACK = "feedback.route_feedback"
SWEEP_RECEIVED = "feedback.sweep_received"
SCAN_DEADLINES = "feedback.scan_deadlines"
SEND_NOTIFICATIONS = "feedback.send_notifications"
SEND_NOTIFICATION = "feedback.send_notification"
REROUTE_FEEDBACK = "feedback.reroute_feedback"
TIDY_UPLOADS = "feedback.tidy_uploads"
PURGE_BROKER_MESSAGES = "feedback.purge_broker_messages"
IMPORT_ROUTING_RULES = "feedback.import_routing_rules"
CLOSE_ANSWERED = "feedback.close_answered"
REMIND_TO_RATE = "feedback.remind_to_rate"
FIND_HOT_SPOTS = "feedback.find_hot_spots"
GENERATE_BRIEFING_REPORTS = "feedback.generate_briefing_reports"
REFRESH_MEDIANS = "feedback.refresh_medians"


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app bound to ``app`` (Flask's official pattern, docs/patterns/celery.rst)."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    broker = app.config["CELERY_BROKER_URL"]
    timeout = app.config["BROKER_CONNECT_TIMEOUT"]
    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        result_backend=None,
        timezone="UTC",
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=prefetch_multiplier(broker),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=timeout,
        broker_transport_options=transport_options(broker, timeout,
                                                   visibility_timeout=int(app.config["BROKER_VISIBILITY_TIMEOUT"])),
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


# Messages a worker process reserves ahead on the embedded SQLite broker. That transport polls: when
# the worker holds as many unacknowledged messages as it may, or finds the queue empty, it sleeps
# the polling interval before it looks again (kombu's default 1 s: with one message per pool
# process a two-process worker routed about 2 items a second however fast routing was; issue #11
# b: 130 of 200 items routed at 20/s). Reserving more lets it take a poll's worth of work at once.
# Redis pushes, and keeps 1.
SQLITE_PREFETCH_MULTIPLIER = 16
# Seconds kombu's SQLite transport sleeps after a poll that found nothing it could take (instead of
# its default 1 s, which every item that came meanwhile waited out, and which made the worker take
# at most its reserve each second: at 100 submissions a second the backlog grew to 12 s; issue #11
# b). An idle worker then polls ten times a second: each poll is one short transaction on the file.
SQLITE_POLLING_INTERVAL = 0.1
# The SQLAlchemy engine plugin (below) that takes the transport's own options off create_engine.
SQLITE_BROKER_PLUGIN = "feedback_sqlite_broker"


def prefetch_multiplier(broker_url: str) -> int:
    """Celery's ``worker_prefetch_multiplier`` for ``broker_url``: 1 where the broker pushes
    (Redis), ``SQLITE_PREFETCH_MULTIPLIER`` on the polled SQLite transport ("sqla+"). That
    transport keeps no visibility timeout: what a worker killed outright had reserved is lost with
    it, as it was with one message per process; routing and mail are swept again by the beat
    (items still received, notifications still pending) and the beat's own tasks recur."""
    return SQLITE_PREFETCH_MULTIPLIER if broker_url.startswith("sqla+") else 1


class SQLiteBrokerEnginePlugin(CreateEnginePlugin):
    """The engine of kombu's SQLAlchemy transport, named in its transport options as an engine
    plugin (SQLAlchemy's ``plugins`` argument of ``create_engine``):

    - takes ``polling_interval`` off ``create_engine``'s keyword arguments: the transport reads
      its polling interval from the transport options, but also hands every transport option to
      ``create_engine``, which refuses one it does not know (kombu 5.7);
    - on SQLite, opens each connection in WAL mode with ``synchronous=NORMAL``
      (``sqlite_broker_pragmas``).
    """

    def __init__(self, url: Any, kwargs: dict[str, Any]) -> None:
        super().__init__(url, kwargs)
        kwargs.pop("polling_interval", None)
        self.sqlite = url.get_backend_name() == "sqlite"  # "sqla+" may name another database

    def update_url(self, url: Any) -> Any:
        return url  # nothing of it is the plugin's

    def engine_created(self, engine: Engine) -> None:
        if self.sqlite:
            event.listen(engine, "connect", sqlite_broker_pragmas)


def sqlite_broker_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """WAL and ``synchronous=NORMAL`` for a connection to the SQLite broker file.

    In SQLite's default rollback journal every message sent and every message taken is a
    transaction that syncs the file to disk several times: about 30 ms each on this machine, one
    at a time (the file is locked for each), so the worker could take at most about 30 messages a
    second and the web waited as long for each send (issue #11 b). In WAL a commit appends to the
    log and, with NORMAL, syncs only at checkpoints (2–4 ms each here, mostly CPU): a message
    committed just before a power cut may be lost (never on a crash of a process), which the beat
    recovers as it does for a broker that was down (items still received are sent again, pending
    notifications retried). WAL is a property of the file: the first connection that can set it
    does; one that finds the file busy leaves it to the next."""
    cursor = dbapi_connection.cursor()
    try:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception:  # the file is busy (sqlite3.OperationalError): another connection sets it
            log.debug("broker: journal mode left as it is for now", exc_info=True)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


dialects.plugins.register(SQLITE_BROKER_PLUGIN, __name__, SQLiteBrokerEnginePlugin.__name__)


def transport_options(broker_url: str, timeout: float, *, visibility_timeout: int = 3600) -> dict[str, object]:
    """Broker options: short socket timeouts for Redis; on the SQLite (sqla+) transport, whose other
    options go to SQLAlchemy's create_engine, its polling interval (``SQLITE_POLLING_INTERVAL``,
    taken off create_engine's arguments by ``SQLiteBrokerEnginePlugin``)."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 1,
            # Retry at once, not after kombu's default 2 s: with the broker down every submission
            # (already saved) would otherwise wait 2 s more before the resident gets an answer.
            "interval_start": 0,
            # An unacknowledged task (acks_late) is redelivered after this many seconds; a starting
            # worker gives back such tasks of a dead one at once, a running one checks every
            # ten "unacked_restore_interval"s (kombu's default: 10 s × 10).
            "visibility_timeout": visibility_timeout,
        }
    if broker_url.startswith("sqla+"):
        return {"polling_interval": SQLITE_POLLING_INTERVAL, "plugins": [SQLITE_BROKER_PLUGIN]}
    return {}


def enqueue(name: str, *args: Any) -> bool:
    """Send task ``name`` with ``args``; call it only after the data it needs is committed.

    Never raises: if the broker is unreachable the caller's data is already saved and the beat
    sweep will send the task again. Returns whether the broker took the message.
    """
    celery_app: Celery = current_app.extensions["celery"]
    try:
        publisher = _redis_publisher(celery_app)
        # Inside a task Celery links the message to it (parent and root ids): Celery sends those.
        if publisher is not None and publisher.takes(args) and not celery_app.current_worker_task:
            publisher.publish(name, list(args))
        else:
            celery_app.send_task(name, args=list(args), retry=False)
    except Exception:  # the broker's many failure types: connection, timeout, operational
        log.warning("broker unreachable, %s%r left for the sweep", name, args, exc_info=True)
        return False
    return True


class RedisPublisher:
    """Sends a task to the Redis broker as ``Celery.send_task(name, args=args, retry=False)`` does,
    the same message (Celery's protocol 2 in kombu's Redis envelope) pushed on the same list with
    one ``LPUSH``, for a fraction of the CPU (issue #11).

    ``send_task`` took about 0.8 ms of CPU per submission (of 6–7 in all): Celery builds and routes
    the message, copies and declares the queue, takes a producer from its pool, and kombu's Redis
    channel makes a new ``redis.Redis`` client for every message (a client's setup alone, its
    table of 170 response callbacks, was a quarter of it). This keeps one client on the channel's
    own connection pool (kombu's connection parameters: host, database, timeouts, retries) and
    builds the message directly; the queue is declared once, when the publisher is made, as
    Celery's first message does. Only for what it builds exactly as Celery: the configuration
    checked by ``redis_publisher_for`` and arguments of JSON's own types (``takes``); anything
    else goes through ``send_task``.
    """

    def __init__(self, celery_app: Celery) -> None:
        self.connection = celery_app.connection_for_write()  # kept: its channel's pool is ours
        queue = celery_app.amqp.default_queue
        channel = self.connection.default_channel  # connects (raises when the broker is down)
        queue(channel).declare()
        self.client = redis.Redis(connection_pool=channel.pool)
        self.queue = str(queue.name)
        self.celery_app = celery_app
        self.origin = f"gen{os.getpid()}@{socket.gethostname()}"  # Celery's anon_nodename()
        self.argsrepr_maxsize = int(celery_app.amqp.argsrepr_maxsize)

    @staticmethod
    def takes(args: tuple[Any, ...]) -> bool:
        """Whether every argument is one JSON writes as Celery's serializer does (ids, names)."""
        return all(arg is None or type(arg) in (int, str, bool) for arg in args)

    def publish(self, name: str, args: list[Any]) -> None:
        self.client.lpush(self.queue, self.message(name, args))

    def message(self, name: str, args: list[Any]) -> bytes:
        """The message ``send_task(name, args=args)`` pushes (key order apart)."""
        task_id = str(uuid.uuid4())
        body = json.dumps([args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
        return json.dumps({
            "body": base64.b64encode(body.encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py", "task": name, "id": task_id, "shadow": None, "eta": None, "expires": None,
                "group": None, "group_index": None, "retries": 0, "timelimit": [None, None], "root_id": task_id,
                "parent_id": None, "argsrepr": saferepr(args, self.argsrepr_maxsize), "kwargsrepr": "{}",
                "origin": self.origin, "ignore_result": None, "replaced_task_nesting": 0, "stamped_headers": None,
                "stamps": {},
            },
            "properties": {
                "correlation_id": task_id, "reply_to": self.celery_app.thread_oid, "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": self.queue}, "priority": 0,
                "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
            },
        }).encode()


def redis_publisher_for(celery_app: Celery) -> bool:
    """Whether ``RedisPublisher`` builds exactly what Celery would send with this configuration:
    the Redis transport without a key prefix, Celery's default queue and routing, JSON without
    compression, no priorities, persistent messages, no time limits (``_redis_publisher`` also
    checks that nobody listens to the publish signals)."""
    conf = celery_app.conf
    options = conf.broker_transport_options or {}
    queue = celery_app.amqp.default_queue
    return (str(conf.broker_url or "").startswith("redis://")
            and not options.get("global_keyprefix") and not options.get("priority_steps")
            and not conf.broker_use_ssl and not conf.task_routes
            and conf.task_default_priority is None and conf.task_queue_max_priority is None
            and conf.task_default_delivery_mode in (2, "persistent") and conf.task_serializer == "json"
            and conf.task_compression is None and int(conf.task_protocol) == 2 and not conf.task_send_sent_event
            and conf.task_time_limit is None and conf.task_soft_time_limit is None
            and queue.exchange.type == "direct" and list(celery_app.amqp.queues) == [queue.name])


_publisher_lock = threading.Lock()


def _redis_publisher(celery_app: Celery) -> RedisPublisher | None:
    """This process's publisher for the current app's ``celery_app`` (made at its first message: a
    broker down then raises, and the next message tries again), or None where ``send_task`` must
    send. Kept in the Flask app's extensions with the process id: a forked process makes its own."""
    if signals.before_task_publish.receivers or signals.after_task_publish.receivers:
        return None
    extensions = current_app.extensions
    kept = extensions.get("feedback_redis_publisher")
    pid = os.getpid()
    if kept is None or kept[0] != pid or kept[1] is not celery_app:
        with _publisher_lock:
            kept = extensions.get("feedback_redis_publisher")
            if kept is None or kept[0] != pid or kept[1] is not celery_app:
                publisher = RedisPublisher(celery_app) if redis_publisher_for(celery_app) else None
                kept = extensions["feedback_redis_publisher"] = (pid, celery_app, publisher)
    return kept[2]
