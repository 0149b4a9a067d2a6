#!/usr/bin/env python3
"""Start the whole platform on one machine: web app, Celery worker and beat.

Creates .venv, installs the project, applies the migrations, loads the demo directory and accounts
when the database is empty, then runs gunicorn, the worker and beat until Ctrl-C, which stops all
three. With no settings it needs no server: SQLite holds the data and is the Celery broker. Set
DATABASE_URL and REDIS_URL (or CELERY_BROKER_URL) to use PostgreSQL and Redis instead.
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


def start(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    port = env["PORT"]
    # Beat's schedule file lives with the data: INSTANCE_DIR when set (config.py reads it too).
    instance = Path(env.get("INSTANCE_DIR") or ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    commands = {
        "web": [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-",
                *gunicorn_control_socket(instance), "wsgi:app"],
        "worker": [str(BIN / "celery"), "-A", "worker.app", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [str(BIN / "celery"), "-A", "worker.app", "beat", "--loglevel", "INFO",
                 "--schedule", str(instance / "celerybeat-schedule")],
    }
    processes = []
    for name, command in commands.items():
        say(f"starting {name}: {' '.join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))}")
        # Each child in its own process group so that Ctrl-C is handled here, once, in order.
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
    return processes


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


def main() -> int:
    os.chdir(ROOT)
    ensure_venv()
    env = environment()
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
    processes = start(env)
    code = 0
    try:
        url = f"http://127.0.0.1:{env['PORT']}/"
        if wait_for_web(url, processes, lambda: stopping):
            print("\n" + "=" * 72, flush=True)
            say(f"the platform is running: open {url}")
            print(accounts, end="", flush=True)
            say("Ctrl-C stops web, worker and beat")
            print("=" * 72 + "\n", flush=True)
        while not stopping:
            for process in processes:
                if process.poll() is not None:
                    say(f"a process stopped unexpectedly (exit {process.returncode}); stopping the others")
                    stopping, code = True, 1
                    break
            time.sleep(0.5)
    finally:
        say("stopping web, worker and beat")
        stop(processes)
        say("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
