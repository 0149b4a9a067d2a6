"""A private, throw-away PostgreSQL server for the fault tests: stopped and started by the test
itself, on a free port, in a temporary directory, never the machine's shared server.

``initdb`` refuses to run as root (CI runs as root): then every server command runs as the
``postgres`` user (``runuser``), and the directory belongs to it. As any other user the commands
run as that user. Every wait is bounded; ``destroy`` stops the server and removes its files.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.integration.processes import free_port, wait_until

START_TIMEOUT_S = 60


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]  # the newest installed version
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin and PATH)")
    return on_path


class PrivatePostgres:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:``port`` (trust)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="feedback-faults-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], timeout=120)

    def _run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        # The socket lives in the data's directory, not /var/run/postgresql (not ours to use).
        options = f"-p {self.port} -k {self.base} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                   "-w", "-t", str(START_TIMEOUT_S), "start"], timeout=START_TIMEOUT_S + 10)
        if not wait_until(self.accepts_connections, timeout=START_TIMEOUT_S, interval=0.2):
            raise RuntimeError(f"private PostgreSQL on port {self.port} did not start:\n{self.log_tail()}")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash (every connection cut, recovery at the next start)."""
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"], timeout=40)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def accepts_connections(self) -> bool:
        engine = sa.create_engine(self.url(), connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.OperationalError:
            return False
        finally:
            engine.dispose()

    def execute(self, statement: str, database: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE DATABASE and the like)."""
        engine = sa.create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def destroy(self) -> None:
        """Stop the server if it runs and remove every file it had. Never raises."""
        try:
            if self.running():
                self.stop()
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            try:  # pg_ctl could not stop it: kill the postmaster by its own pid, never by name
                os.kill(int(pid_file.read_text().splitlines()[0]), 9)
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(self.base, ignore_errors=True)
