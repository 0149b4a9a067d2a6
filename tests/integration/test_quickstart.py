"""The README's Quick start, run as a new user would: ``python3 scripts/quickstart.py``.

What this proves: with no settings (no DATABASE_URL, no Redis) the one command brings up the web
app, a worker and beat on SQLite; it prints the URL and the demo accounts; a resident's report sent
through the real form is routed by the real worker through the SQLite broker and gets deadlines;
/healthz sees the database, the broker and beat; Ctrl-C stops everything with exit code 0 and
leaves no gunicorn or Celery process behind.

INSTANCE_DIR points at a temporary folder, so the developer's own instance/ is never touched.
The script reinstalls .venv only when pyproject.toml changed (scripts/test.sh writes the stamp),
so here it starts in seconds; the bound below also covers a first install.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from tests.integration.processes import free_port, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Settings that would point the Quick start away from its embedded defaults.
CLEARED = ("FEEDBACK_ENV", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "UPLOAD_DIR", "PUBLIC_BASE_URL",
           "SECRET_KEY", "PORT", "INSTANCE_DIR")
START_SECONDS = 180  # migrations, demo data, three processes (and pip, on a first run)
HEALTHY_SECONDS = 90  # beat's first periodic task runs 30 s after it starts
ROUTED_SECONDS = 120
STOP_SECONDS = 40

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


class Output:
    """The script's combined output, read line by line on a thread (a full pipe would block it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float, alive: Callable[[], bool]) -> re.Match[str] | None:
        """The first line matching ``pattern``, waiting up to ``timeout`` s while ``alive()``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if match := regex.search(line):
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or not alive():
                    return None
                self._changed.wait(timeout=min(left, 0.5))

    def tail(self, count: int = 60) -> str:
        with self._changed:
            return "\n".join(self.lines[-count:])

    def join(self) -> None:
        self._thread.join(timeout=5)


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of ``pid`` from /proc, or None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may contain spaces: split after the last ")".
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[19])


def descendants(root: int) -> dict[int, tuple[int, str]]:
    """Every process below ``root``: pid → (start time, command line). Start times tell a process
    from a later one that reuses its pid."""
    parents: dict[int, int] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)], _state, starts[int(entry.name)] = stat
    found: dict[int, tuple[int, str]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                except OSError:
                    command = ""
                found[pid] = (starts[pid], command)
                frontier.append(pid)
    return found


def marked(instance: Path) -> dict[int, str]:
    """Live processes started with INSTANCE_DIR=``instance`` (the script and all it started,
    however deep, even once re-parented): pid → command line."""
    marker = f"INSTANCE_DIR={instance}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        stat = _stat(int(entry.name))
        if marker in environ and stat is not None and stat[1] != "Z":
            found[int(entry.name)] = command
    return found


def still_running(pid: int, start: int) -> bool:
    """``pid`` is the same process as before and has not exited (a zombie has exited)."""
    stat = _stat(pid)
    return stat is not None and stat[2] == start and stat[1] != "Z"


class Visitor:
    """A person's browser reduced to urllib: cookies kept, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final URL, body) of a GET; error statuses are returned, not raised."""
        return self._open(urllib.request.Request(self.base + path))

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def json(self, path: str) -> tuple[int, Any]:
        status, _url, body = self.get(path)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as error:
            return 0, "", str(error)


def first_option(html: str, name: str) -> str:
    """The value of the first real option (not the empty placeholder) of the select ``name``."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"the form has no {name} list"
    values = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', select.group(1)) if v]
    assert values, f"the {name} list is empty: no demo data?"
    return str(values[0])


def quickstart_env(port: int, instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(PORT=str(port), INSTANCE_DIR=str(instance))
    return env


def launch(port: int, instance: Path) -> tuple[subprocess.Popen[bytes], Output]:
    """``python3 scripts/quickstart.py`` from the repository root, output read on a thread."""
    # Its own session: a clean-up kill reaches the script without touching pytest.
    process = subprocess.Popen(
        [sys.executable, "scripts/quickstart.py"], cwd=ROOT, env=quickstart_env(port, instance),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    assert process.stdout is not None
    return process, Output(process.stdout)


def interrupt(process: subprocess.Popen[bytes], output: Output) -> int:
    """Ctrl-C: SIGINT to the script alone (its children run in sessions of their own)."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_SECONDS} s after Ctrl-C:\n{output.tail()}")


def stop_everything(process: subprocess.Popen[bytes], output: Output, instance: Path,
                    children: dict[int, tuple[int, str]]) -> None:
    """Clean-up, also after a failure: the script's group, then the group of each process it
    started (known by pid and start time, or by its INSTANCE_DIR)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)
    pids = {pid for pid, (start, _command) in children.items() if still_running(pid, start)} | set(marked(instance))
    for pid in pids:
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    output.join()
    if process.stdout:
        process.stdout.close()


def test_quick_start_runs_the_platform_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    instance = tmp_path / "instance"
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process, output = launch(port, instance)
    children: dict[int, tuple[int, str]] = {}
    alive = lambda: process.poll() is None  # noqa: E731
    try:
        banner = output.wait_for(r"the platform is running: open (http://\S+)", START_SECONDS, alive)
        assert banner, f"no banner within {START_SECONDS} s:\n{output.tail()}"
        assert banner.group(1) == f"{base}/"
        assert output.wait_for(r"^\s*admin\s+admin-demo-2026\b", 10, alive), output.tail()
        print(f"banner after {time.monotonic() - started:.1f} s")
        children.update(descendants(process.pid))  # known now, for the clean-up if anything fails

        visitor = Visitor(base)
        health: dict[str, Any] = {}

        def healthy() -> bool:
            nonlocal health
            _status, health = visitor.json("/healthz")
            return bool(health and health["database"] and health["broker"]
                        and health["beat_last_run_age_s"] is not None)

        assert wait_until(healthy, HEALTHY_SECONDS, interval=1), f"{health}\n{output.tail()}"
        print(f"healthy after {time.monotonic() - started:.1f} s: {health}")

        status, _url, form = visitor.get("/submit")
        assert status == 200, form
        csrf, key = _CSRF.search(form), _KEY.search(form)
        assert csrf and key, "the form has no CSRF token or submission key"
        status, url, receipt = visitor.post_form("/submit", {
            "csrf_token": csrf.group(1),
            "submission_key": key.group(1),
            "kind": "report",
            "commune": first_option(form, "commune"),
            "village": "",
            "topic": first_option(form, "topic"),
            "title": "Ổ gà lớn trước cổng trường",
            "body": "Ổ gà sâu khoảng 20 cm, xe máy đi qua dễ ngã, nhất là khi trời mưa.",
            "name": "",
            "phone": "",
            "email": "",
        })
        assert status == 200 and "/submitted/" in url, f"{status} {url}\n{receipt[:2000]}"
        shown = re.search(r'id="tracking-code">([^<]+)<', receipt)
        assert shown, receipt[:2000]
        code = shown.group(1).strip()
        assert url.endswith(f"/submitted/{code}")

        item: dict[str, Any] = {}

        def routed() -> bool:
            nonlocal item
            _status, item = visitor.json(f"/t/{code}.json")
            return bool(item and item["unit"] is not None and item["deadlines"])

        assert wait_until(routed, ROUTED_SECONDS, interval=1), f"{item}\n{output.tail()}"
        print(f"routed after {time.monotonic() - started:.1f} s to {item['unit']}")
        assert item["status"] == "assigned"

        children.update(descendants(process.pid))
        commands = [command for _start, command in children.values()]
        assert any("gunicorn" in c for c in commands), commands
        assert any("celery" in c and " worker" in c for c in commands), commands
        assert any("celery" in c and " beat" in c for c in commands), commands
        # Data, broker and beat's schedule all went to INSTANCE_DIR.
        for name in ("feedback.sqlite3", "broker.sqlite3"):
            assert (instance / name).exists(), name
        assert list(instance.glob("celerybeat-schedule*")), sorted(p.name for p in instance.iterdir())

        stopping = time.monotonic()
        code_at_exit = interrupt(process, output)
        print(f"stopped {time.monotonic() - stopping:.1f} s after Ctrl-C")
        assert code_at_exit == 0, output.tail()
        left = {pid: command for pid, (start, command) in children.items() if still_running(pid, start)}
        assert not left, f"left running after Ctrl-C: {left}"
        assert not marked(instance), "a process with this INSTANCE_DIR is still running"
    finally:
        stop_everything(process, output, instance, {**children, **descendants(process.pid)})


def test_ctrl_c_while_the_platform_starts_stops_what_was_started(tmp_path: Path) -> None:
    """A user who gives up before the banner: gunicorn, the worker and beat must not outlive the
    script (they run in their own sessions, so the terminal's Ctrl-C never reaches them)."""
    instance = tmp_path / "instance"
    process, output = launch(free_port(), instance)
    children: dict[int, tuple[int, str]] = {}
    alive = lambda: process.poll() is None  # noqa: E731
    try:
        assert output.wait_for(r"\[quickstart\] starting beat", START_SECONDS, alive), output.tail()
        # The line is printed just before beat is spawned: give the spawn a moment (bounded).
        spawned_by = time.monotonic() + 15
        while len(children) < 3 and time.monotonic() < spawned_by and alive():
            children.update(descendants(process.pid))
            time.sleep(0.1)
        assert len(children) >= 3, children  # web, worker and beat are started, not yet serving
        assert interrupt(process, output) == 0, output.tail()
        assert not output.wait_for(r"the platform is running", 0, alive)
        left = {pid: command for pid, (start, command) in children.items() if still_running(pid, start)}
        assert not left, f"left running after Ctrl-C: {left}"
        assert not marked(instance), f"still running: {marked(instance)}"
    finally:
        stop_everything(process, output, instance, children)


def direct_child(parent: int, *words: str) -> int | None:
    """The pid of a live child of ``parent`` whose command line contains every one of ``words``."""
    for pid, (_start, command) in descendants(parent).items():
        stat = _stat(pid)
        if stat is not None and stat[0] == parent and stat[1] != "Z" and all(w in command for w in words):
            return pid
    return None


def test_a_crashed_worker_is_restarted_while_the_web_app_keeps_answering(tmp_path: Path) -> None:
    """Issue #6, items 17 and 18. Proves: three clients sending a request header slowly do not stop
    a fourth request from being served; after the Celery worker is killed (SIGKILL, as a crash)
    the script says which child stopped, its exit code and when it restarts it, starts a new
    worker that gets ready, and the web app answers every request meanwhile; Ctrl-C still stops
    everything with exit code 0."""
    port = free_port()
    instance = tmp_path / "instance"
    base = f"http://127.0.0.1:{port}"
    process, output = launch(port, instance)
    children: dict[int, tuple[int, str]] = {}
    alive = lambda: process.poll() is None  # noqa: E731
    slow: list[socket.socket] = []
    try:
        assert output.wait_for(r"the platform is running", START_SECONDS, alive), output.tail()
        children.update(descendants(process.pid))
        visitor = Visitor(base)

        # Three slow clients: the request line and half a header, never finished.
        for _client in range(3):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(connection)
        asked = time.monotonic()
        status, _url, _body = visitor.get("/")
        assert status == 200 and time.monotonic() - asked < 8, (status, time.monotonic() - asked)
        for connection in slow:
            connection.close()

        worker = direct_child(process.pid, "celery", " worker")
        assert worker is not None, descendants(process.pid)
        readies = lambda: sum("ready." in line for line in output.lines)  # noqa: E731
        assert wait_until(lambda: readies() >= 1, 60), output.tail()
        os.kill(worker, signal.SIGKILL)

        said = output.wait_for(r"worker stopped unexpectedly \(exit -9\); restarting it in (\d+) s", 20, alive)
        assert said, output.tail()
        answers: list[int] = []

        def restarted() -> bool:
            answers.append(visitor.get("/")[0])
            return direct_child(process.pid, "celery", " worker") not in (None, worker) and readies() >= 2

        assert wait_until(restarted, 60, interval=0.5), output.tail()
        assert answers and set(answers) == {200}, answers
        assert alive() and direct_child(process.pid, "gunicorn") is not None
        children.update(descendants(process.pid))

        assert interrupt(process, output) == 0, output.tail()
        left = {pid: command for pid, (start, command) in children.items() if still_running(pid, start)}
        assert not left, f"left running after Ctrl-C: {left}"
        assert not marked(instance), f"still running: {marked(instance)}"
    finally:
        for connection in slow:
            connection.close()
        stop_everything(process, output, instance, {**children, **descendants(process.pid)})


class FakeChild:
    """A stand-in for a child process: ``poll()`` answers ``code`` (None while running)."""

    def __init__(self, name: str) -> None:
        self.name, self.code, self.pid = name, None, -1

    def poll(self) -> int | None:
        return self.code


def test_the_supervisor_backs_off_and_gives_up_on_a_child_that_keeps_crashing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Proves (item 17, without processes): a crashed child is restarted after 1, 2, 4, 8 s; a
    crash more than a minute after the earlier ones starts the count again; the fifth crash
    within a minute gives up with a message naming the child and its exit code."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "scripts" / "quickstart.py")
    assert spec and spec.loader
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    spawned: list[FakeChild] = []

    def spawn(name: str, _command: list[str], _env: dict[str, str]) -> FakeChild:
        spawned.append(FakeChild(name))
        return spawned[-1]

    monkeypatch.setattr(quickstart, "commands", lambda env: {"web": [], "worker": [], "beat": []})
    monkeypatch.setattr(quickstart, "spawn", spawn)
    monkeypatch.setattr(quickstart, "kill_group", lambda process: None)  # never signal a real group
    supervisor = quickstart.Supervisor({})
    supervisor.start()

    def crash_worker_at(now: float) -> str | None:
        supervisor.children["worker"].code = 1
        reason = supervisor.check(now)
        if reason is None:
            supervisor.check(supervisor.restart_at["worker"])  # the restart itself
        return str(reason) if reason else None

    assert crash_worker_at(0.0) is None
    assert crash_worker_at(100.0) is None  # a minute later: counted afresh
    for moment in (102.0, 106.0, 114.0):
        assert crash_worker_at(moment) is None
    reason = crash_worker_at(130.0)

    said = [line for line in capsys.readouterr().out.splitlines() if "restarting" in line]
    assert [line.rsplit(" in ", 1)[1] for line in said] == ["1 s", "1 s", "2 s", "4 s", "8 s"]
    assert all("worker stopped unexpectedly (exit 1)" in line for line in said)
    assert reason is not None and "worker stopped 5 times within 60 s (last exit 1); giving up" in reason
    assert [child.name for child in spawned] == ["web", "worker", "beat"] + ["worker"] * 5
    assert supervisor.children["web"].poll() is None


def test_the_instance_folder_is_private_to_its_owner(tmp_path: Path) -> None:
    """Proves: the folder holding the residents' data, uploads and the session key is mode 0700,
    also when it existed already with the default 0755 (found by probing: feedback.sqlite3 was
    0644 in a 0755 folder, readable by every account of the machine; only secret_key was 0600)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "scripts" / "quickstart.py")
    assert spec and spec.loader
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    fresh, existing = tmp_path / "fresh" / "instance", tmp_path / "existing"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)

    for folder in (fresh, existing):
        assert quickstart.private_instance({"INSTANCE_DIR": str(folder)}) == folder
        assert folder.stat().st_mode & 0o777 == 0o700
    assert Path(quickstart.commands({"INSTANCE_DIR": str(existing), "PORT": "5000"})["beat"][-1]).parent == existing
