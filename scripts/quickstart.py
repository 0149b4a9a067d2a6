#!/usr/bin/env python3
"""Start the whole platform on one machine: web app, Celery worker and beat.

Creates .venv, installs the project, applies the migrations, loads the demo directory and accounts
when the database is empty, then runs gunicorn, the worker and beat until Ctrl-C, which stops all
three. A child that stops unexpectedly is started again after a growing pause (RESTART_DELAYS);
one that crashes GIVE_UP_CRASHES times within CRASH_WINDOW seconds stops everything. With no
settings it needs no server: SQLite holds the data and is the Celery broker. Set DATABASE_URL and
REDIS_URL (or CELERY_BROKER_URL) to use PostgreSQL and Redis instead.

The web app is one gunicorn process with threads (gthread): rate-limit counters kept in memory
(the default without Redis) are then shared by every request, and a few clients sending their
request slowly each hold one thread, not the whole server. This bounds that damage, it does not
remove it: WEB_THREADS slow clients still fill it. Production belongs behind a reverse proxy that
buffers whole requests (README, "Production").
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
MIN_PYTHON = (3, 12)
# Threads of the one web process. A client that opens a connection and sends its request slowly,
# or not at all, holds one thread for as long as it keeps the connection open (gunicorn's
# --timeout watches the worker process, not a client's read): WEB_THREADS such clients stop the
# Quick start answering anyone. Measured: 8 idle connections blocked it for over 90 s.
WEB_THREADS = 8
WEB_TIMEOUT = 30
# Pause before restarting a child after its 1st, 2nd, ... crash within CRASH_WINDOW seconds.
RESTART_DELAYS = (1, 2, 4, 8)
CRASH_WINDOW = 60.0
# A child crashing this often within CRASH_WINDOW is broken, not unlucky: stop everything.
GIVE_UP_CRASHES = 5


def say(message: str) -> None:
    print(f"[quickstart] {message}", flush=True)


def find_python() -> str:
    """This interpreter if it is new enough, else python3.13 / python3.12 from PATH."""
    if sys.version_info >= MIN_PYTHON:
        return sys.executable
    for name in ("python3.13", "python3.12"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("Python 3.12 or newer is needed (install python3.12 and python3.12-venv).")


def ensure_venv() -> None:
    """Create .venv and install the project; reinstall only when pyproject.toml changed."""
    if not (BIN / "python").exists():
        say("creating the virtual environment .venv")
        result = subprocess.run([find_python(), "-m", "venv", str(VENV)])
        if result.returncode != 0:
            sys.exit("Could not create .venv: on Debian install the venv module (apt-get install python3-venv).")
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say("installing the project into .venv (first run only)")
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", str(ROOT)], check=True)
    stamp.write_text(wanted)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("FEEDBACK_ENV", "development")
    env.setdefault("PORT", "5000")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{env['PORT']}")
    env["FLASK_APP"] = "wsgi"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True)


def gunicorn_control_socket(instance: Path) -> list[str]:
    """Newer gunicorn opens a control socket in ~/.gunicorn by default, shared by every run of the
    same user; keep this run's next to its data so two Quick starts never cross."""
    help_text = subprocess.run([str(BIN / "gunicorn"), "--help"], capture_output=True, text=True).stdout
    return ["--control-socket", str(instance / "gunicorn.ctl")] if "--control-socket" in help_text else []


def private_instance(env: dict[str, str]) -> Path:
    """The instance folder (INSTANCE_DIR when set, config.py reads it too), made readable by its
    owner only: it holds the residents' names and phone numbers (the SQLite database), their
    photos (uploads) and the session key, which the default umask would leave readable by every
    account of the machine."""
    instance = Path(env.get("INSTANCE_DIR") or ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    return instance


def commands(env: dict[str, str]) -> dict[str, list[str]]:
    """The three children by name: web, worker, beat."""
    port = env["PORT"]
    # Beat's schedule file lives with the data.
    instance = private_instance(env)
    return {
        # One process (its in-memory rate-limit counters see every request), threads so that a
        # slow client does not hold the whole web app.
        "web": [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--worker-class", "gthread", "--threads", str(WEB_THREADS), "--timeout", str(WEB_TIMEOUT),
                "--access-logfile", "-", *gunicorn_control_socket(instance), "wsgi:app"],
        "worker": [str(BIN / "celery"), "-A", "worker.app", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [str(BIN / "celery"), "-A", "worker.app", "beat", "--loglevel", "INFO",
                 "--schedule", str(instance / "celerybeat-schedule")],
    }


def spawn(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    say(f"starting {name}: {' '.join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))}")
    # Each child in its own process group so that Ctrl-C is handled here, once, in order.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


class Supervisor:
    """Keeps web, worker and beat running: restarts a child that stopped, with a bounded backoff."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.commands = commands(env)
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.crashes: dict[str, list[float]] = {name: [] for name in self.commands}
        self.restart_at: dict[str, float] = {}

    def start(self) -> None:
        for name, command in self.commands.items():
            self.children[name] = spawn(name, command, self.env)

    def check(self, now: float) -> str | None:
        """Restart what is due; note what stopped. Returns why to give up, or None."""
        for name, process in self.children.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self.children[name] = spawn(name, self.commands[name], self.env)
                continue
            code = process.poll()
            if code is None:
                continue
            # What the child left in its process group (a pool process, a gunicorn worker) goes too.
            kill_group(process)
            recent = [t for t in self.crashes[name] if now - t < CRASH_WINDOW] + [now]
            self.crashes[name] = recent
            if len(recent) >= GIVE_UP_CRASHES:
                return (f"{name} stopped {len(recent)} times within {CRASH_WINDOW:.0f} s (last exit {code}); "
                        "giving up: stopping web, worker and beat")
            delay = RESTART_DELAYS[min(len(recent), len(RESTART_DELAYS)) - 1]
            say(f"{name} stopped unexpectedly (exit {code}); restarting it in {delay} s")
            self.restart_at[name] = now + delay
        return None

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return list(self.children.values())


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL what is left in the process group of ``process`` (which has exited: it led the group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_for_web(url: str, processes: list[subprocess.Popen[bytes]], stopped: Callable[[], bool],
                 seconds: float = 60) -> bool:
    """Poll the home page until it answers, so the banner comes after the start-up noise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stopped() and all(p.poll() is None for p in processes):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each child, wait (bounded) and kill what is left, down to its process group: a
    gunicorn worker still serving a slow client, a Celery pool process."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        kill_group(process)


def main() -> int:
    os.chdir(ROOT)
    ensure_venv()
    env = environment()
    private_instance(env)  # before the migrations create the database in it
    say("applying database migrations")
    flask(env, "db", "upgrade")
    say("loading the demo directory and accounts (only into an empty database)")
    flask(env, "demo", "load")
    # Read now, printed in the banner: no command runs while the user may press Ctrl-C.
    accounts = subprocess.run([str(BIN / "flask"), "demo", "accounts"], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    # Installed before the children start: they run in their own sessions and never see Ctrl-C,
    # so this script must stop them, also when Ctrl-C comes while they are still starting.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    supervisor = Supervisor(env)
    supervisor.start()
    code = 0
    try:
        url = f"http://127.0.0.1:{env['PORT']}/"
        if wait_for_web(url, [supervisor.children["web"]], lambda: stopping):
            print("\n" + "=" * 72, flush=True)
            say(f"the platform is running: open {url}")
            print(accounts, end="", flush=True)
            say("Ctrl-C stops web, worker and beat")
            print("=" * 72 + "\n", flush=True)
        while not stopping:
            reason = supervisor.check(time.monotonic())
            if reason is not None:
                say(reason)
                stopping, code = True, 1
                break
            time.sleep(0.5)
    finally:
        say("stopping web, worker and beat")
        stop(supervisor.processes())
        say("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
