"""Real processes for the integration tests: a Celery worker and a private redis-server.

Every wait is bounded; every process is stopped by its own handle (never by name).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

from config import TestConfig

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed; return the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(broker_url: str, log_path: Path, *, concurrency: int = 2,
                 extra_env: dict[str, str] | None = None, database_url: str | None = None,
                 own_process_group: bool = False) -> subprocess.Popen[bytes]:
    """``celery -A worker.app worker`` against ``database_url`` (default: the test database) and
    ``broker_url``, logging to ``log_path``. Returns once the process is started (not necessarily
    consuming yet). ``own_process_group``: the worker and its pool children form a process group
    of their own, which a test may kill at once (``os.killpg``)."""
    env = {
        **os.environ,
        "FEEDBACK_ENV": "test",
        "TEST_DATABASE_URL": database_url or TestConfig.SQLALCHEMY_DATABASE_URI,
        "TEST_REDIS_URL": broker_url,
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    command = [
        str(BIN / "celery"), "-A", "worker.app", "worker", "--loglevel=INFO",
        "--pool=prefork", f"--concurrency={concurrency}",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=own_process_group)


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Terminate ``process`` (warm shutdown for Celery), killing it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A private, throw-away redis-server on ``port`` (no persistence), ready when this returns."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)

    def ready() -> bool:
        try:
            return bool(client.ping())
        except redis.exceptions.RedisError:
            return False

    if not wait_until(ready, timeout=10, interval=0.1):
        stop(process)
        raise RuntimeError(f"private redis-server on port {port} did not start")
    return process


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
