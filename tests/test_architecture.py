"""The layering rules of STYLE.md hold: import-linter contracts and strict typing of the domain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_are_kept() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_code_type_checks() -> None:
    """mypy over feedback/, worker/ and config.py: strict for the domain, typed signatures elsewhere."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_live_in_the_module_of_their_aggregate() -> None:
    """Proves: the calendar override and the worker heartbeat have their own model modules (not the
    directory's or the notifications'), under unchanged table names."""
    from feedback.models import CalendarOverride, WorkerHeartbeat

    assert (CalendarOverride.__module__, CalendarOverride.__tablename__) == ("feedback.models.calendar",
                                                                           "calendar_override")
    assert (WorkerHeartbeat.__module__, WorkerHeartbeat.__tablename__) == ("feedback.models.health",
                                                                         "worker_heartbeat")


def test_every_event_action_is_named_and_written() -> None:
    """Proves: no record_event call passes a bare string as its action, and every EventAction is
    used by the services (an action nothing writes would be a dead name with a dead label)."""
    import re

    from feedback.domain.events import EventAction

    call = re.compile(r"record_event\(\s*[\w.]+,\s*([^,]+),")
    named: set[str] = set()
    for path in (ROOT / "feedback").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for argument in call.findall(text):
            assert argument.startswith("EventAction.") or argument == "action", (path, argument)
        if "services" in path.parts:
            named.update(re.findall(r"EventAction\.([A-Z_]+)", text))
    assert named == {action.name for action in EventAction}
