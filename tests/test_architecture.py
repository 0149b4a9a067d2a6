"""The layering rules of STYLE.md hold: import-linter contracts and strict typing of the domain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


# The shells: every package of feedback/ that is neither a ring nor plumbing, and the worker.
SHELLS = ("public", "admin", "auth", "health", "web", "cli", "monitor", "monitor_recs", "watch", "open311")


def _shell_files() -> list[Path]:
    files = [path for shell in SHELLS for path in (ROOT / "feedback").glob(f"{shell}/**/*.py")]
    files += [path for shell in SHELLS if (path := ROOT / "feedback" / f"{shell}.py").exists()]
    return files + sorted((ROOT / "worker").rglob("*.py"))


def inner_service_imports(source: str) -> list[str]:
    """The imports in ``source`` that reach into a capability package of feedback/services/ past
    its ``__init__`` (``feedback.services.intake.submission``, or ``from feedback.services.items
    import admin_view``): a module below ``feedback.services.<capability>``, named in the import
    path or imported as a name."""
    import ast

    services = ROOT / "feedback" / "services"

    def is_inner(dotted: str) -> bool:
        parts = dotted.split(".")
        return parts[:2] == ["feedback", "services"] and len(parts) > 3

    def is_module(package: str, name: str) -> bool:
        parts = package.split(".")
        if parts[:2] != ["feedback", "services"] or len(parts) != 3:
            return False
        folder = services / parts[2]
        return (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()

    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if is_inner(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if is_inner(node.module):
                found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names if is_module(node.module, alias.name)]
    return found


def test_the_inner_import_check_catches_each_form() -> None:
    """Proves: the check below would see each way of reaching past a capability's __init__, and
    lets the package and the single-module services through."""
    assert inner_service_imports("from feedback.services.intake.submission import submit_feedback") == [
        "feedback.services.intake.submission"]
    assert inner_service_imports("import feedback.services.deadlines.reminders as r") == [
        "feedback.services.deadlines.reminders"]
    assert inner_service_imports("from feedback.services.items import admin_view") == [
        "feedback.services.items.admin_view"]
    assert inner_service_imports("from feedback.services.routing import rules") == ["feedback.services.routing.rules"]
    assert inner_service_imports("from feedback.services.intake import submit_feedback\n"
                                 "from feedback.services import routing\n"
                                 "from feedback.services.health import beat") == []


def test_shells_import_services_only_from_their_capability_package() -> None:
    """Proves: no blueprint, CLI command or task imports an inner module of a services package
    (``from feedback.services.intake import submit_feedback``, never ``...intake.submission``),
    so that a capability may rearrange its modules behind its ``__init__``."""
    files = _shell_files()
    assert any(path.parent.name == "cli" for path in files) and any("worker" in path.parts for path in files)
    offenders = {str(path.relative_to(ROOT)): found for path in files
                 if (found := inner_service_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}


@pytest.mark.parametrize(("pattern", "home", "times"), [
    (r"class RowError\b", "feedback/services/csv_rows.py", 1),  # the problems of an imported CSV row
    (r"_l?\(\"Tố cáo\"\)", "feedback/services/kinds.py", 1),  # the kinds' translated names
    (r"Tranh chấp thẩm quyền", "feedback/services/routing/route.py", 1),  # the jurisdiction-dispute target
    (r"dialect\.name|dialects import", "feedback/services/database.py", 2),  # PostgreSQL or SQLite
    (r"split\(\"/\"\)|\}/\"", "feedback/domain/paths.py", 3),  # spelling and reading a tree path
    (r"result\.outcome\.value", "worker/tasks/routing.py", 1),  # what a routing task returns
])
def test_each_rule_is_written_in_one_place(pattern: str, home: str, times: int) -> None:
    """Proves (issue #7 item 5): each of these is defined once, in ``home``, and nowhere else in
    feedback/ or worker/ (a second copy would drift from the first)."""
    import re

    found = sorted(str(path.relative_to(ROOT)) for folder in ("feedback", "worker")
                   for path in (ROOT / folder).rglob("*.py")
                   if re.search(pattern, path.read_text(encoding="utf-8")))
    assert found == [home]
    assert len(re.findall(pattern, (ROOT / home).read_text(encoding="utf-8"))) == times
