"""Flask commands, one module a noun: ``directory``, ``demo``, ``users``, ``rules``, ``stats``.

Each module holds one AppGroup of thin wrappers over services: a command parses its options,
calls one service and prints the outcome in the default locale. Help texts stay plain (click
reads them at import time, before any locale exists); everything a command prints goes through
Babel. The CLI is a shell like the blueprints: it imports services, never another shell.
"""

from __future__ import annotations

from flask import Flask

from feedback.cli.demo import demo_cli
from feedback.cli.directory import directory_cli
from feedback.cli.rules import rules_cli
from feedback.cli.stats import stats_cli
from feedback.cli.users import users_cli


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``flask``."""
    for group in (directory_cli, demo_cli, users_cli, rules_cli, stats_cli):
        app.cli.add_command(group)
